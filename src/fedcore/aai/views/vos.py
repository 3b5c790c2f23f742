"""Community pages: ``/aai/vos`` (the public catalogue, VO registration, the operators'
decisions), ``/aai/vos/{name}`` (the ID card, the AUP, the group tree and the ways in),
``/aai/groups/{path}/join`` (apply through an enrolment), ``/aai/groups/{path}`` (the group's
admins: members, applications, invitations, enrolment configurations),
``/aai/groups/{path}/applications/{id}`` (the page the admins' e-mail links to) and
``/aai/invitations/{token}`` (accept an invitation).

Every change goes through :mod:`fedcore.aai.service` in a savepoint: on bad input the page is
shown again with the message next to the field and nothing changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fedcore.aai.enums import ApplicationStatus, VoStatus
from fedcore.aai.models import Enrolment, Group, Vo
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import enrolment, groups, memberships, vos
from fedcore.aai.service.enrolment import EnrolmentChanges, EnrolmentData
from fedcore.aai.views.forms import Errors, FormFields, attempt, sign_in_first
from fedcore.aai.views.session import redirect
from fedcore.core.deps import AppSettings, CsrfChecked, CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.core.templating import flash, render

router = APIRouter()

VO_STATUS_COLOURS = {
    VoStatus.PENDING: "amber",
    VoStatus.ACTIVE: "green",
    VoStatus.SUSPENDED: "grey",
    VoStatus.DELETED: "red",
}
MEMBER_ACTIONS = ("roles", "extend", "suspend", "resume", "remove")


# --- the catalogue and registration -------------------------------------------------------------


def _vo_values(form: FormData) -> dict[str, Any]:
    return {
        key: str(form.get(key, ""))
        for key in ("name", "description", "discipline", "homepage", "aup_text", "aup_url")
    } | {"contacts": str(form.get("contacts", ""))}


def _render_catalogue(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    waiting = (
        [
            vo
            for vo in vos.list_vos(session=session, include_hidden=True)
            if vo.status == VoStatus.PENDING
        ]
        if principal.is_admin
        else []
    )
    return render(
        request,
        "aai/vos.html",
        status_code=status_code,
        vos=vos.list_vos(session=session),
        waiting=waiting,
        status_colours=VO_STATUS_COLOURS,
        values=values or {},
        errors=errors or {},
    )


@router.get("/vos")
def vo_catalogue(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _render_catalogue(request, session, principal)


@router.post("/vos")
def vo_register(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    values = _vo_values(form)
    vo, errors, status_code = attempt(
        session,
        lambda: vos.register_vo(session=session, actor=principal, data=VoCreate(**values)),
    )
    if vo is None:
        return _render_catalogue(
            request, session, principal, values=values, errors=errors, status_code=status_code
        )
    flash(
        request,
        f"{vo.name} is registered and active."
        if vo.status == VoStatus.ACTIVE
        else f"{vo.name} is registered; an operator will review it before it is listed.",
    )
    return redirect(f"/aai/vos/{vo.name}")


@router.post("/vos/{name}/decision")
def vo_decide(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    name: str,
) -> Response:
    status = str(form.get("status", ""))
    vo, errors, status_code = attempt(
        session,
        lambda: vos.decide_vo(
            session=session,
            actor=principal,
            name=name,
            status=_vo_status(status),
            reason=str(form.get("reason", "")),
        ),
    )
    if vo is None:
        return _render_vo(
            request,
            session,
            principal,
            vos.get_vo(session=session, name=name),
            errors=errors,
            status_code=status_code,
        )
    flash(request, f"{vo.name} is {vo.status}.")
    return redirect(f"/aai/vos/{vo.name}")


def _vo_status(value: str) -> VoStatus:
    if value not in VoStatus.__members__.values():
        raise ValidationFailed(f"choose one of: {', '.join(vos.DECISIONS)}", field="status")
    return VoStatus(value)


# --- a VO's page --------------------------------------------------------------------------------


def _visible_vo(session: Session, principal: Principal, name: str) -> Vo:
    """The VO, when it is active or the viewer manages it (or is an operator)."""
    vo = vos.get_vo(session=session, name=name)
    if vo.status != VoStatus.ACTIVE and not groups.is_admin(
        session, principal, vos.root_group(session, vo)
    ):
        raise NotFound(f"no VO {name!r}")
    return vo


def _render_vo(
    request: Request,
    session: Session,
    principal: Principal,
    vo: Vo,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    tree = [
        {
            "group": group,
            "depth": group.path.count("/"),
            "enrolments": enrolment.list_enrolments(session=session, group=group, actor=principal),
            "admin": groups.is_admin(session, principal, group),
        }
        for group in groups.list_groups(session=session, vo=vo)
    ]
    return render(
        request,
        "aai/vo.html",
        status_code=status_code,
        vo=vo,
        tree=tree,
        managers=vos.managers(session, vo),
        status_colours=VO_STATUS_COLOURS,
        decisions=[d for d, before in vos.DECISIONS.items() if vo.status in before]
        if principal.is_admin
        else [],
        errors=errors or {},
    )


@router.get("/vos/{name}")
def vo_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, name: str
) -> Response:
    return _render_vo(request, session, principal, _visible_vo(session, principal, name))


# --- joining ------------------------------------------------------------------------------------


def _enrolment_of(session: Session, group: Group, enrolment_id: str) -> Enrolment:
    if not enrolment_id.isdigit():
        raise NotFound(f"no enrolment {enrolment_id!r}", field="enrolment")
    found = enrolment.get_enrolment(session=session, enrolment_id=int(enrolment_id))
    if found.group_id != group.id:
        raise NotFound(f"no enrolment {enrolment_id} of {group.path}", field="enrolment")
    return found


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


@router.get("/groups/{path:path}/join")
def group_join_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    path: str,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    group = groups.get_group(session=session, path=path)
    way_in = _enrolment_of(session, group, request.query_params.get("enrolment", ""))
    return _render_join(request, session, group, way_in)


@router.post("/groups/{path:path}/join")
def group_join(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    group = groups.get_group(session=session, path=path)
    way_in = _enrolment_of(session, group, request.query_params.get("enrolment", ""))
    values: dict[str, Any] = {
        "roles": [str(r) for r in form.getlist("roles")],
        "justification": str(form.get("justification", "")),
    }
    application, errors, status_code = attempt(
        session,
        lambda: enrolment.apply(
            session=session,
            settings=settings,
            actor=principal,
            enrolment_id=way_in.id,
            roles=values["roles"],
            justification=values["justification"],
            accept_aup=form.get("accept_aup") == "on",
        ),
    )
    if application is None:
        return _render_join(
            request, session, group, way_in, values=values, errors=errors, status_code=status_code
        )
    flash(
        request,
        f"Your application to {group.path} was approved: you are a member."
        if application.status == ApplicationStatus.APPROVED
        else f"Your application to {group.path} is waiting for approval by its administrators.",
    )
    return redirect(f"/aai/vos/{groups.vo_of(session, group).name}")


# --- the group's administration -----------------------------------------------------------------


def _admin_group(session: Session, principal: Principal, path: str) -> Group:
    group = groups.get_group(session=session, path=path)
    groups.require_admin(session, principal, group, "administer the group")
    return group


def _render_group(
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
    return render(
        request,
        "aai/group.html",
        status_code=status_code,
        group=group,
        vo=groups.vo_of(session, group),
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
    return _render_application(request, session, principal, path, application_id)


def _render_application(
    request: Request,
    session: Session,
    principal: Principal,
    path: str,
    application_id: int,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    group = _admin_group(session, principal, path)
    application = enrolment.get_application(session=session, application_id=application_id)
    if application.group_id != group.id:
        raise NotFound(f"no application {application_id} to {group.path}")
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


@router.post("/groups/{path:path}/applications/{application_id}")
def application_decide(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
    application_id: int,
) -> Response:
    group = _admin_group(session, principal, path)
    decision = str(form.get("decision", ""))
    application, errors, status_code = attempt(
        session,
        lambda: enrolment.decide_application(
            session=session,
            settings=settings,
            actor=principal,
            application_id=_decision_for(session, group, application_id, decision),
            approve=decision == "approve",
            reason=str(form.get("reason", "")),
        ),
    )
    if application is None:
        return _render_application(
            request,
            session,
            principal,
            path,
            application_id,
            errors=errors,
            status_code=status_code,
        )
    flash(
        request, f"Application {application.id} of {application.subject} is {application.status}."
    )
    return redirect(f"/aai/groups/{group.path}")


def _decision_for(session: Session, group: Group, application_id: int, decision: str) -> int:
    """``application_id`` when it is an application to ``group`` and ``decision`` is one."""
    if decision not in ("approve", "deny"):
        raise ValidationFailed("choose approve or deny", field="decision")
    application = enrolment.get_application(session=session, application_id=application_id)
    if application.group_id != group.id:
        raise NotFound(f"no application {application_id} to {group.path}")
    return application.id


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
def member_add(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
) -> Response:
    group = _admin_group(session, principal, path)
    values = _member_values(form)
    membership, errors, status_code = attempt(
        session,
        lambda: memberships.add_member(
            session=session,
            actor=principal,
            group=group,
            subject=values["subject"],
            roles=values["roles"],
            expires_at=_expiry(values["expires_at"]),
            reason=values["reason"],
        ),
    )
    if membership is None:
        return _render_group(
            request,
            session,
            principal,
            group,
            form="add",
            values=values,
            errors=errors,
            status_code=status_code,
        )
    flash(request, f"{membership.subject} is a member of {group.path}.")
    return redirect(f"/aai/groups/{group.path}")


@router.post("/groups/{path:path}/members/change")
def member_change(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
) -> Response:
    group = _admin_group(session, principal, path)
    values = _member_values(form)
    action = str(form.get("action", ""))
    subject, reason = values["subject"], values["reason"]

    def change() -> object:
        common: dict[str, Any] = {
            "session": session,
            "actor": principal,
            "group": group,
            "subject": subject,
            "reason": reason,
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

    done, errors, status_code = attempt(session, change)
    if done is None:
        return _render_group(
            request,
            session,
            principal,
            group,
            form="member",
            subject=subject,
            values=values,
            errors=errors,
            status_code=status_code,
        )
    flash(request, f"{subject}: {action} done.")
    return redirect(f"/aai/groups/{group.path}")


@router.post("/groups/{path:path}/invitations")
def group_invite(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
) -> Response:
    group = _admin_group(session, principal, path)
    values: dict[str, Any] = {
        "email": str(form.get("email", "")),
        "roles": [str(r) for r in form.getlist("roles")],
        "hours": str(form.get("hours", "") or enrolment.INVITATION_HOURS),
    }

    def send() -> object:
        if not values["hours"].strip().isdigit():
            raise ValidationFailed("a whole number of hours", field="hours")
        return enrolment.invite(
            session=session,
            settings=settings,
            actor=principal,
            group=group,
            email=values["email"],
            roles=values["roles"],
            hours=int(values["hours"]),
        )

    invitation, errors, status_code = attempt(session, send)
    if invitation is None:
        return _render_group(
            request,
            session,
            principal,
            group,
            form="invite",
            values=values,
            errors=errors,
            status_code=status_code,
        )
    flash(request, f"An invitation to {group.path} was mailed to {values['email'].strip()}.")
    return redirect(f"/aai/groups/{group.path}")


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


@router.post("/groups/{path:path}/enrolments")
def enrolment_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
) -> Response:
    group = _admin_group(session, principal, path)
    values = _enrolment_values(form)
    created, errors, status_code = attempt(
        session,
        lambda: enrolment.create_enrolment(
            session=session, actor=principal, group=group, data=EnrolmentData(**values)
        ),
    )
    if created is None:
        return _render_group(
            request,
            session,
            principal,
            group,
            form="enrolment",
            values=values,
            errors=errors,
            status_code=status_code,
        )
    flash(request, f"The enrolment {created.name!r} of {group.path} is saved.")
    return redirect(f"/aai/groups/{group.path}")


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
    group = _admin_group(session, principal, path)
    return _render_enrolment(request, session, group, _enrolment_of(session, group, enrolment_id))


@router.post("/groups/{path:path}/enrolments/{enrolment_id}")
def enrolment_update(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    path: str,
    enrolment_id: str,
) -> Response:
    group = _admin_group(session, principal, path)
    way_in = _enrolment_of(session, group, enrolment_id)
    values = _enrolment_values(form)
    updated, errors, status_code = attempt(
        session,
        lambda: enrolment.update_enrolment(
            session=session,
            actor=principal,
            enrolment_id=way_in.id,
            changes=EnrolmentChanges(**values),
        ),
    )
    if updated is None:
        return _render_enrolment(
            request, session, group, way_in, values=values, errors=errors, status_code=status_code
        )
    flash(request, f"The enrolment {updated.name!r} of {group.path} is saved.")
    return redirect(f"/aai/groups/{group.path}")


@router.get("/groups/{path:path}")
def group_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, path: str
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    return _render_group(request, session, principal, _admin_group(session, principal, path))


# --- invitations --------------------------------------------------------------------------------


def _render_invitation(
    request: Request,
    session: Session,
    token: str,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    invitation = enrolment.get_invitation(session=session, token=token)
    group = session.get(Group, invitation.group_id)
    assert group is not None  # a foreign key
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
def invitation_accept(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    token: str,
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    membership, errors, status_code = attempt(
        session,
        lambda: enrolment.accept_invitation(
            session=session,
            actor=principal,
            token=token,
            accept_aup=form.get("accept_aup") == "on",
        ),
    )
    if membership is None:
        return _render_invitation(request, session, token, errors=errors, status_code=status_code)
    group = session.get(Group, membership.group_id)
    assert group is not None  # a foreign key
    flash(request, f"You are a member of {group.path}.")
    return redirect(f"/aai/vos/{groups.vo_of(session, group).name}")
