"""Joining a group through an enrolment (``/aai/groups/{path}/join?enrolment=ID``) and the page
the admins' e-mail links to (``/aai/groups/{path}/applications/{id}``), where they decide."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.aai.enums import ApplicationStatus
from fedcore.aai.models import Application, Enrolment, Group
from fedcore.aai.service import enrolment, groups, vos
from fedcore.aai.views.vos.common import AdminPost, admin_group, enrolment_of, group_page
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound, ValidationFailed
from fedcore.core.forms import Errors, Posted, sign_in_first
from fedcore.core.templating import render

router = APIRouter()


def _render_join(
    request: Request,
    session: Session,
    group: Group,
    way_in: Enrolment,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    vo = groups.vo_of(session, group)
    return render(
        request,
        "aai/group_join.html",
        status_code=status_code,
        group=group,
        vo=vo,
        enrolment=way_in,
        has_aup=vos.has_aup(vo),
        values=values or {"roles": way_in.allowed_roles[:1], "justification": ""},
        errors=errors or {},
    )


def _way_in(request: Request, session: Session, path: str) -> tuple[Group, Enrolment]:
    """The group at ``path`` and the enrolment the address names (``?enrolment=ID``)."""
    group = groups.get_group(session=session, path=path)
    return group, enrolment_of(session, group, request.query_params.get("enrolment", ""))


@router.get("/groups/{path:path}/join")
def group_join_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    path: str,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    return _render_join(request, session, *_way_in(request, session, path))


@router.post("/groups/{path:path}/join")
def group_join(post: Posted, settings: AppSettings, path: str) -> Response:
    if not post.principal.is_authenticated:
        return sign_in_first(post.request)
    group, way_in = _way_in(post.request, post.session, path)
    values: dict[str, Any] = {
        "roles": [str(r) for r in post.form.getlist("roles")],
        "justification": str(post.form.get("justification", "")),
    }

    def joined(application: Application) -> tuple[str, str]:
        notice = (
            f"Your application to {group.path} was approved: you are a member."
            if application.status == ApplicationStatus.APPROVED
            else f"Your application to {group.path} is waiting for approval by its administrators."
        )
        return notice, f"/aai/vos/{groups.vo_of(post.session, group).name}"

    return post.submit(
        lambda: enrolment.apply(
            session=post.session,
            settings=settings,
            actor=post.principal,
            enrolment_id=way_in.id,
            roles=values["roles"],
            justification=values["justification"],
            accept_aup=post.form.get("accept_aup") == "on",
        ),
        again=partial(_render_join, post.request, post.session, group, way_in, values=values),
        done=joined,
    )


def _application_to(session: Session, group: Group, application_id: int) -> Application:
    application = enrolment.get_application(session=session, application_id=application_id)
    if application.group_id != group.id:
        raise NotFound(f"no application {application_id} to {group.path}")
    return application


def _render_application(
    request: Request,
    session: Session,
    group: Group,
    application_id: int,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    application = _application_to(session, group, application_id)
    account = enrolment.applicant_account(session, application)
    return render(
        request,
        "aai/application.html",
        status_code=status_code,
        group=group,
        application=application,
        account=account,
        sources=enrolment.identity_sources(session, account) if account else [],
        errors=errors or {},
    )


@router.get("/groups/{path:path}/applications/{application_id}")
def application_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    path: str,
    application_id: int,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    group = admin_group(session, principal, path)
    return _render_application(request, session, group, application_id)


@router.post("/groups/{path:path}/applications/{application_id}")
def application_decide(post: AdminPost, settings: AppSettings, application_id: int) -> Response:
    decision = post.values("decision")["decision"]

    def decide() -> Application:
        if decision not in ("approve", "deny"):
            raise ValidationFailed("choose approve or deny", field="decision")
        return enrolment.decide_application(
            session=post.session,
            settings=settings,
            actor=post.principal,
            application_id=_application_to(post.session, post.group, application_id).id,
            approve=decision == "approve",
            reason=post.values("reason")["reason"],
        )

    return post.submit(
        decide,
        again=partial(_render_application, post.request, post.session, post.group, application_id),
        done=lambda application: (
            f"Application {application.id} of {application.subject} is {application.status}.",
            group_page(post.group),
        ),
    )
