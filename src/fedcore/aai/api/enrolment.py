"""Enrolment configurations, applications and invitations."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response

from fedcore.aai.api.groups import member_read
from fedcore.aai.api.schemas import (
    ApplicationCreate,
    ApplicationDecision,
    ApplicationQuery,
    ApplicationRead,
    EnrolmentRead,
    InvitationAccept,
    InvitationCreate,
    InvitationRead,
    MemberRead,
)
from fedcore.aai.models import Application, Enrolment, Group, Invitation
from fedcore.aai.service import enrolment, groups
from fedcore.aai.service.enrolment import EnrolmentChanges, EnrolmentData
from fedcore.core.api import created, whole
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead

router = APIRouter()


R = TypeVar("R", EnrolmentRead, ApplicationRead, InvitationRead)


def with_group(session: DbSession, schema: type[R], row: Enrolment | Application | Invitation) -> R:
    """``schema`` of ``row``, with its group's path in ``group``."""
    group = session.get(Group, row.group_id)
    assert group is not None  # foreign key
    fields = {name: getattr(row, name) for name in schema.model_fields if name != "group"}
    return schema.model_validate({**fields, "group": group.path})


@router.get(
    "/groups/{path:path}/enrolments",
    summary="List a group's enrolments (all for its admins, the visible enabled ones otherwise)",
    response_model=PageRead[EnrolmentRead],
)
def list_enrolments(
    session: DbSession, actor: CurrentPrincipal, path: str
) -> PageRead[EnrolmentRead]:
    group = groups.get_group(session=session, path=path)
    rows = enrolment.list_enrolments(session=session, group=group, actor=actor)
    return whole(rows, lambda row: with_group(session, EnrolmentRead, row))


@router.post(
    "/groups/{path:path}/enrolments",
    summary="Configure an enrolment of a group (its admins)",
    status_code=201,
    response_model=EnrolmentRead,
)
def create_enrolment(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    path: str,
    data: EnrolmentData,
) -> EnrolmentRead:
    group = groups.get_group(session=session, path=path)
    row = enrolment.create_enrolment(session=session, actor=actor, group=group, data=data)
    created(request, response, "get_enrolment", enrolment_id=row.id)
    return with_group(session, EnrolmentRead, row)


@router.get("/enrolments/{enrolment_id}", summary="Get an enrolment", response_model=EnrolmentRead)
def get_enrolment(session: DbSession, enrolment_id: int) -> EnrolmentRead:
    return with_group(
        session, EnrolmentRead, enrolment.get_enrolment(session=session, enrolment_id=enrolment_id)
    )


@router.patch(
    "/enrolments/{enrolment_id}",
    summary="Change an enrolment (its group's admins)",
    response_model=EnrolmentRead,
)
def update_enrolment(
    session: DbSession, actor: CurrentPrincipal, enrolment_id: int, data: EnrolmentChanges
) -> EnrolmentRead:
    row = enrolment.update_enrolment(
        session=session, actor=actor, enrolment_id=enrolment_id, changes=data
    )
    return with_group(session, EnrolmentRead, row)


@router.post(
    "/enrolments/{enrolment_id}/applications",
    summary="Apply to join through an enrolment (signed-in people)",
    description="Without approval the membership starts at once; otherwise the group's admins "
    "are e-mailed.",
    status_code=201,
    response_model=ApplicationRead,
)
def apply(
    session: DbSession,
    settings: AppSettings,
    actor: CurrentPrincipal,
    enrolment_id: int,
    data: ApplicationCreate,
) -> ApplicationRead:
    row = enrolment.apply(
        session=session,
        settings=settings,
        actor=actor,
        enrolment_id=enrolment_id,
        roles=data.roles,
        justification=data.justification,
        accept_aup=data.accept_aup,
    )
    return with_group(session, ApplicationRead, row)


@router.get(
    "/groups/{path:path}/applications",
    summary="List a group's applications, newest first (its admins)",
    response_model=PageRead[ApplicationRead],
)
def list_applications(
    session: DbSession,
    actor: CurrentPrincipal,
    path: str,
    query: Annotated[ApplicationQuery, Query()],
) -> PageRead[ApplicationRead]:
    group = groups.get_group(session=session, path=path)
    rows = enrolment.list_applications(
        session=session, actor=actor, group=group, status=query.status
    )
    return whole(rows, lambda row: with_group(session, ApplicationRead, row))


@router.post(
    "/applications/{application_id}/decision",
    summary="Approve or deny a pending application (the group's admins)",
    response_model=ApplicationRead,
)
def decide_application(
    session: DbSession,
    settings: AppSettings,
    actor: CurrentPrincipal,
    application_id: int,
    data: ApplicationDecision,
) -> ApplicationRead:
    row = enrolment.decide_application(
        session=session,
        settings=settings,
        actor=actor,
        application_id=application_id,
        approve=data.approve,
        reason=data.reason,
    )
    return with_group(session, ApplicationRead, row)


@router.delete(
    "/applications/{application_id}",
    summary="Cancel one's own pending application",
    response_model=ApplicationRead,
)
def cancel_application(
    session: DbSession, actor: CurrentPrincipal, application_id: int
) -> ApplicationRead:
    row = enrolment.cancel_application(session=session, actor=actor, application_id=application_id)
    return with_group(session, ApplicationRead, row)


@router.post(
    "/groups/{path:path}/invitations",
    summary="Invite someone by e-mail (its admins); the link expires after 72 hours by default",
    status_code=201,
    response_model=InvitationRead,
)
def invite(
    session: DbSession,
    settings: AppSettings,
    actor: CurrentPrincipal,
    path: str,
    data: InvitationCreate,
) -> InvitationRead:
    group = groups.get_group(session=session, path=path)
    row = enrolment.invite(
        session=session,
        settings=settings,
        actor=actor,
        group=group,
        email=data.email,
        roles=data.roles,
        hours=data.hours,
    )
    return with_group(session, InvitationRead, row)


@router.post(
    "/invitations/{token}/accept",
    summary="Accept an invitation as the signed-in caller",
    response_model=MemberRead,
)
def accept_invitation(
    session: DbSession, actor: CurrentPrincipal, token: str, data: InvitationAccept
) -> MemberRead:
    membership = enrolment.accept_invitation(
        session=session, actor=actor, token=token, accept_aup=data.accept_aup
    )
    group = session.get(Group, membership.group_id)
    assert group is not None  # foreign key
    return member_read(session, group, membership)
