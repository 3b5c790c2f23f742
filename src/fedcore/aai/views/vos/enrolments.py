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
from fedcore.aai.views.forms import Errors, FormFields, sign_in_first, submit
from fedcore.aai.views.vos.common import (
    AdminGroup,
    admin_group,
    enrolment_of,
    group_form,
    group_page,
)
from fedcore.core.deps import CsrfChecked, CurrentPrincipal, DbSession
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
def enrolment_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    group: AdminGroup,
    form: FormFields,
) -> Response:
    values = _enrolment_values(form)
    return group_form(
        request,
        session,
        principal,
        group,
        lambda: enrolment.create_enrolment(
            session=session, actor=principal, group=group, data=EnrolmentData(**values)
        ),
        form="enrolment",
        values=values,
        notice=partial(_saved, group),
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
def enrolment_update(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    group: AdminGroup,
    form: FormFields,
    enrolment_id: str,
) -> Response:
    way_in = enrolment_of(session, group, enrolment_id)
    values = _enrolment_values(form)
    return submit(
        request,
        session,
        principal,
        lambda: enrolment.update_enrolment(
            session=session,
            actor=principal,
            enrolment_id=way_in.id,
            changes=EnrolmentChanges(**values),
        ),
        again=partial(_render_enrolment, request, session, group, way_in, values=values),
        done=lambda updated: (_saved(group, updated), group_page(group)),
    )
