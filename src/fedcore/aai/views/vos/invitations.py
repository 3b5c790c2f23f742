"""E-mail invitations: a group's admins send one from its administration page; the invited
person accepts it at ``/aai/invitations/{token}`` (with the VO's AUP where it has one)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.aai.models import Group, Invitation, Membership
from fedcore.aai.service import enrolment, groups, vos
from fedcore.aai.views.vos.common import AdminPost
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import ValidationFailed
from fedcore.core.forms import Errors, Posted, sign_in_first
from fedcore.core.templating import render

router = APIRouter()


@router.post("/groups/{path:path}/invitations")
def group_invite(post: AdminPost, settings: AppSettings) -> Response:
    values: dict[str, Any] = {
        "email": str(post.form.get("email", "")),
        "roles": [str(r) for r in post.form.getlist("roles")],
        "hours": str(post.form.get("hours", "") or enrolment.INVITATION_HOURS),
    }

    def send() -> Invitation:
        if not values["hours"].strip().isdigit():
            raise ValidationFailed("a whole number of hours", field="hours")
        return enrolment.invite(
            session=post.session,
            settings=settings,
            actor=post.principal,
            group=post.group,
            email=values["email"],
            roles=values["roles"],
            hours=int(values["hours"]),
        )

    return post.submit_on_page(
        send,
        form="invite",
        values=values,
        notice=lambda _: (
            f"An invitation to {post.group.path} was mailed to {values['email'].strip()}."
        ),
    )


def _group_of(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    assert group is not None  # a foreign key
    return group


def _render_invitation(
    request: Request,
    session: Session,
    token: str,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    invitation = enrolment.get_invitation(session=session, token=token)
    group = _group_of(session, invitation.group_id)
    vo = groups.vo_of(session, group)
    return render(
        request,
        "aai/invitation.html",
        status_code=status_code,
        invitation=invitation,
        group=group,
        vo=vo,
        has_aup=vos.has_aup(vo),
        token=token,
        errors=errors or {},
    )


@router.get("/invitations/{token}")
def invitation_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, token: str
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    return _render_invitation(request, session, token)


@router.post("/invitations/{token}")
def invitation_accept(post: Posted, token: str) -> Response:
    def accepted(membership: Membership) -> tuple[str, str]:
        group = _group_of(post.session, membership.group_id)
        vo = groups.vo_of(post.session, group)
        return f"You are a member of {group.path}.", f"/aai/vos/{vo.name}"

    return post.submit(
        lambda: enrolment.accept_invitation(
            session=post.session,
            actor=post.principal,
            token=token,
            accept_aup=post.form.get("accept_aup") == "on",
        ),
        again=partial(_render_invitation, post.request, post.session, token),
        done=accepted,
    )
