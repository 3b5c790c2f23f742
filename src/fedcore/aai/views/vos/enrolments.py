"""A group's enrolment configurations (the ways in), from its administration page: creating one
and the page that changes one (``/aai/groups/{path}/enrolments/{id}``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fedcore.aai.models import Enrolment, Group
from fedcore.aai.service import enrolment, groups
from fedcore.aai.service.enrolment import EnrolmentChanges, EnrolmentData
from fedcore.aai.views.vos.common import AdminPost, admin_group, enrolment_of, group_page
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.forms import Errors, sign_in_first
from fedcore.core.templating import render

router = APIRouter()


def _enrolment_values(form: FormData) -> dict[str, Any]:
    duration = str(form.get("duration_days", "")).strip()
    return {
        "name": str(form.get("name", "")),
        "approval_required": form.get("approval_required") == "on",
        "aup_required": form.get("aup_required") == "on",
        "duration_days": duration or None,
        "allowed_roles": [str(r) for r in form.getlist("allowed_roles")],
        "justification_label": str(form.get("justification_label", "")),
        "visible": form.get("visible") == "on",
        "enabled": form.get("enabled") == "on",
        "is_default": form.get("is_default") == "on",
    }


def _saved(group: Group, saved: Enrolment) -> str:
    return f"The enrolment {saved.name!r} of {group.path} is saved."


@router.post("/groups/{path:path}/enrolments")
def enrolment_create(post: AdminPost) -> Response:
    values = _enrolment_values(post.form)
    return post.submit_on_page(
        lambda: enrolment.create_enrolment(
            session=post.session,
            actor=post.principal,
            group=post.group,
            data=EnrolmentData(**values),
        ),
        form="enrolment",
        values=values,
        notice=partial(_saved, post.group),
    )


def _render_enrolment(
    request: Request,
    session: Session,
    group: Group,
    way_in: Enrolment,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "aai/group_enrolment.html",
        status_code=status_code,
        group=group,
        enrolment=way_in,
        roles=groups.role_names(session, group),
        values=values or {name: getattr(way_in, name) for name in EnrolmentData.model_fields},
        errors=errors or {},
    )


@router.get("/groups/{path:path}/enrolments/{enrolment_id}")
def enrolment_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    path: str,
    enrolment_id: str,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    group = admin_group(session, principal, path)
    return _render_enrolment(request, session, group, enrolment_of(session, group, enrolment_id))


@router.post("/groups/{path:path}/enrolments/{enrolment_id}")
def enrolment_update(post: AdminPost, enrolment_id: str) -> Response:
    way_in = enrolment_of(post.session, post.group, enrolment_id)
    values = _enrolment_values(post.form)
    return post.submit(
        lambda: enrolment.update_enrolment(
            session=post.session,
            actor=post.principal,
            enrolment_id=way_in.id,
            changes=EnrolmentChanges(**values),
        ),
        again=partial(
            _render_enrolment, post.request, post.session, post.group, way_in, values=values
        ),
        done=lambda updated: (_saved(post.group, updated), group_page(post.group)),
    )
