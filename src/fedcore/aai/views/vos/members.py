"""A group's members, from its administration page: adding one directly (where the VO has no
AUP, or by an operator) and changing one (roles, expiry, suspension, removal) with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.responses import Response

from fedcore.aai.models import Membership
from fedcore.aai.service import memberships
from fedcore.aai.views.vos.common import AdminPost
from fedcore.core.errors import ValidationFailed

router = APIRouter()

MEMBER_ACTIONS = ("roles", "extend", "suspend", "resume", "remove")


def _expiry(value: str) -> datetime | None:
    """A date from the form as the end of that day in UTC; empty: none."""
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{value!r} is not a date (YYYY-MM-DD)", field="expires_at"
        ) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _member_values(form: FormData) -> dict[str, Any]:
    return {
        "subject": str(form.get("subject", "")).strip(),
        "roles": [str(r) for r in form.getlist("roles")],
        "expires_at": str(form.get("expires_at", "")),
        "reason": str(form.get("reason", "")),
    }


@router.post("/groups/{path:path}/members")
def member_add(post: AdminPost) -> Response:
    values = _member_values(post.form)
    return post.submit_on_page(
        lambda: memberships.add_member(
            session=post.session,
            actor=post.principal,
            group=post.group,
            subject=values["subject"],
            roles=values["roles"],
            expires_at=_expiry(values["expires_at"]),
            reason=values["reason"],
        ),
        form="add",
        values=values,
        notice=lambda membership: f"{membership.subject} is a member of {post.group.path}.",
    )


@router.post("/groups/{path:path}/members/change")
def member_change(post: AdminPost) -> Response:
    values = _member_values(post.form)
    action = str(post.form.get("action", ""))
    subject = values["subject"]

    def change() -> Membership:
        common: dict[str, Any] = {
            "session": post.session,
            "actor": post.principal,
            "group": post.group,
            "subject": subject,
            "reason": values["reason"],
        }
        if action == "roles":
            return memberships.set_roles(roles=values["roles"], **common)
        if action == "extend":
            return memberships.extend_member(expires_at=_expiry(values["expires_at"]), **common)
        if action == "suspend":
            return memberships.suspend_member(**common)
        if action == "resume":
            return memberships.resume_member(**common)
        if action == "remove":
            return memberships.remove_member(**common)
        raise ValidationFailed(f"choose one of: {', '.join(MEMBER_ACTIONS)}", field="action")

    return post.submit_on_page(
        change,
        form="member",
        subject=subject,
        values=values,
        notice=lambda _: f"{subject}: {action} done.",
    )
