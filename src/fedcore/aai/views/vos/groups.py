"""``/aai/groups/{path}``: a group's administration page for its admins (rights flow down the
tree; operators administer every group), and its forms for the group itself: subgroups, roles
and admins. The forms for members, invitations and enrolments are in their own modules."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from fedcore.aai.service import groups
from fedcore.aai.views.vos.common import AdminPost, admin_group, render_group
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.forms import sign_in_first

router = APIRouter()


@router.post("/groups/{path:path}/subgroups")
def subgroup_create(post: AdminPost) -> Response:
    values = post.values("subgroup", "subgroup_description")
    return post.submit_on_page(
        lambda: groups.create_group(
            session=post.session,
            actor=post.principal,
            path=f"{post.group.path}/{values['subgroup'].strip()}",
            description=values["subgroup_description"],
        ),
        form="subgroup",
        values=values,
        notice=lambda created: f"The group {created.path} is created.",
        fields={"path": "subgroup", "description": "subgroup_description", "form": "subgroup"},
    )


@router.post("/groups/{path:path}/roles")
def role_add(post: AdminPost) -> Response:
    values = post.values("role", "role_description")
    return post.submit_on_page(
        lambda: groups.add_role(
            session=post.session,
            actor=post.principal,
            group=post.group,
            name=values["role"],
            description=values["role_description"],
        ),
        form="role",
        values=values,
        notice=lambda role: f"{post.group.path} has the role {role.name}.",
        fields={"name": "role", "description": "role_description", "form": "role"},
    )


@router.post("/groups/{path:path}/admins")
def admin_add(post: AdminPost) -> Response:
    values = post.values("admin")
    return post.submit_on_page(
        lambda: groups.add_admin(
            session=post.session, actor=post.principal, group=post.group, subject=values["admin"]
        ),
        form="admin",
        values=values,
        notice=lambda admin: f"{admin.subject} is an admin of {post.group.path}.",
        fields={"subject": "admin", "form": "admin"},
    )


@router.post("/groups/{path:path}/admins/remove")
def admin_remove(post: AdminPost) -> Response:
    subject = post.values("subject")["subject"]
    return post.submit_on_page(
        lambda: groups.remove_admin(
            session=post.session, actor=post.principal, group=post.group, subject=subject
        ),
        form="admins",
        values={},
        notice=lambda _: f"{subject} is no longer an admin of {post.group.path}.",
        fields={"subject": "admins", "form": "admins"},
    )


@router.get("/groups/{path:path}")
def group_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, path: str
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    return render_group(request, session, principal, admin_group(session, principal, path))
