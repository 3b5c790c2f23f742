"""What the community pages share: the group a page administers (a dependency that refuses
non-admins), a form posted to its pages (:class:`GroupPost`), the group's administration page,
and an enrolment looked up from the address."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.aai.enums import ApplicationStatus, VoStatus
from fedcore.aai.models import Enrolment, Group
from fedcore.aai.service import enrolment, groups, memberships
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound
from fedcore.core.forms import Errors, Post, Posted, Rename
from fedcore.core.security import Principal
from fedcore.core.templating import render

T = TypeVar("T")

VO_STATUS_COLOURS = {
    VoStatus.PENDING: "amber",
    VoStatus.ACTIVE: "green",
    VoStatus.SUSPENDED: "grey",
    VoStatus.DELETED: "red",
}


def admin_group(session: DbSession, principal: CurrentPrincipal, path: str) -> Group:
    """The group at ``path`` when the viewer administers it (directly, through a group above, or
    as an operator); otherwise the sign-in page or 403."""
    group = groups.get_group(session=session, path=path)
    groups.require_admin(session, principal, group, "administer the group")
    return group


AdminGroup = Annotated[Group, Depends(admin_group)]


def group_page(group: Group) -> str:
    return f"/aai/groups/{group.path}"


def enrolment_of(session: Session, group: Group, enrolment_id: str) -> Enrolment:
    if not enrolment_id.isdigit():
        raise NotFound(f"no enrolment {enrolment_id!r}", field="enrolment")
    found = enrolment.get_enrolment(session=session, enrolment_id=int(enrolment_id))
    if found.group_id != group.id:
        raise NotFound(f"no enrolment {enrolment_id} of {group.path}", field="enrolment")
    return found


def render_group(
    request: Request,
    session: Session,
    principal: Principal,
    group: Group,
    *,
    form: str = "",
    subject: str = "",
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    """The admin page; ``form`` (and for a member's form ``subject``) names the form whose
    ``values`` and ``errors`` are shown again."""
    members = [
        {
            "membership": m,
            "status": memberships.effective_status(session, m),
            "expiry": memberships.effective_expiry(session, m),
        }
        for m in memberships.list_members(session=session, group=group)
    ]
    below = [
        g
        for g in groups.list_groups(session=session, vo=groups.vo_of(session, group))
        if g.path.startswith(f"{group.path}/")
    ]
    return render(
        request,
        "aai/group.html",
        status_code=status_code,
        group=group,
        vo=groups.vo_of(session, group),
        subgroups=[{"group": g, "depth": g.path.count("/") - group.path.count("/")} for g in below],
        members=members,
        roles=groups.role_names(session, group),
        admins=groups.admin_subjects(session, group),
        applications=enrolment.list_applications(
            session=session, actor=principal, group=group, status=ApplicationStatus.PENDING
        ),
        enrolments=enrolment.list_enrolments(session=session, group=group, actor=principal),
        form=form,
        subject=subject,
        values=values or {},
        errors=errors or {},
    )


@dataclass(frozen=True)
class GroupPost(Post):
    """A form posted to a group's administration pages: the group resolved and its
    administration required (:func:`admin_group`)."""

    group: Group

    def submit_on_page(
        self,
        change: Callable[[], T],
        *,
        form: str,
        values: dict[str, Any],
        notice: Callable[[T], str],
        subject: str = "",
        fields: Mapping[str, str] | Rename = str,
    ) -> Response:
        """A form of the group's page: on bad input the page again with the form ``form`` (a
        member's: ``subject``) showing ``values`` and the errors; on success ``notice(result)``
        on the group's page."""
        return self.submit(
            change,
            again=partial(
                render_group,
                self.request,
                self.session,
                self.principal,
                self.group,
                form=form,
                subject=subject,
                values=values,
            ),
            done=lambda result: (notice(result), group_page(self.group)),
            fields=fields,
        )


def group_post(post: Posted, group: AdminGroup) -> GroupPost:
    return GroupPost(post.request, post.session, post.principal, post.form, group)


AdminPost = Annotated[GroupPost, Depends(group_post)]
