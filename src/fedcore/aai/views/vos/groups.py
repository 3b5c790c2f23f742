"""``/aai/groups/{path}``: a group's administration page for its admins (rights flow down the
tree; operators administer every group), and its forms for the group itself: subgroups, roles
and admins. The forms for members, invitations and enrolments are in their own modules."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from fedcore.aai.service import groups
from fedcore.aai.views.forms import FormFields, sign_in_first
from fedcore.aai.views.vos.common import AdminGroup, admin_group, group_form, render_group
from fedcore.core.deps import CsrfChecked, CurrentPrincipal, DbSession

router = APIRouter()


@router.post("/groups/{path:path}/subgroups")
def subgroup_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    group: AdminGroup,
    form: FormFields,
) -> Response:
    values = {
        "subgroup": str(form.get("subgroup", "")).strip(),
        "subgroup_description": str(form.get("subgroup_description", "")),
    }
    return group_form(
        request,
        session,
        principal,
        group,
        lambda: groups.create_group(
            session=session,
            actor=principal,
            path=f"{group.path}/{values['subgroup']}",
            description=values["subgroup_description"],
        ),
        form="subgroup",
        values=values,
        notice=lambda created: f"The group {created.path} is created.",
        fields={"path": "subgroup", "description": "subgroup_description", "form": "subgroup"},
    )


@router.post("/groups/{path:path}/roles")
def role_add(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    group: AdminGroup,
    form: FormFields,
) -> Response:
    values = {
        "role": str(form.get("role", "")),
        "role_description": str(form.get("role_description", "")),
    }
    return group_form(
        request,
        session,
        principal,
        group,
        lambda: groups.add_role(
            session=session,
            actor=principal,
            group=group,
            name=values["role"],
            description=values["role_description"],
        ),
        form="role",
        values=values,
        notice=lambda role: f"{group.path} has the role {role.name}.",
        fields={"name": "role", "description": "role_description", "form": "role"},
    )


@router.post("/groups/{path:path}/admins")
def admin_add(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    group: AdminGroup,
    form: FormFields,
) -> Response:
    values = {"admin": str(form.get("admin", "")).strip()}
    return group_form(
        request,
        session,
        principal,
        group,
        lambda: groups.add_admin(
            session=session, actor=principal, group=group, subject=values["admin"]
        ),
        form="admin",
        values=values,
        notice=lambda admin: f"{admin.subject} is an admin of {group.path}.",
        fields={"subject": "admin", "form": "admin"},
    )


@router.post("/groups/{path:path}/admins/remove")
def admin_remove(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    group: AdminGroup,
    form: FormFields,
) -> Response:
    subject = str(form.get("subject", ""))
    return group_form(
        request,
        session,
        principal,
        group,
        lambda: groups.remove_admin(session=session, actor=principal, group=group, subject=subject),
        form="admins",
        values={},
        notice=lambda _: f"{subject} is no longer an admin of {group.path}.",
        fields={"subject": "admins", "form": "admins"},
    )


@router.get("/groups/{path:path}")
def group_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, path: str
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    return render_group(request, session, principal, admin_group(session, principal, path))
