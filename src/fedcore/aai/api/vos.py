"""The VO catalogue, registration, the ID card, the operators' decision and the membership
export."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from fedcore.aai.api.schemas import ExportRow, VoDecision, VoStatusQuery
from fedcore.aai.enums import VoStatus
from fedcore.aai.models import Group, Membership
from fedcore.aai.schemas_vo import VoCreate, VoRead, VoUpdate
from fedcore.aai.service import groups, memberships, vos
from fedcore.core.api import created, whole
from fedcore.core.db import isoformat_z
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import Forbidden, NotAuthenticated
from fedcore.core.pagination import PageRead

router = APIRouter()

EXPORT_FIELDS = ("subject", "group", "roles", "status", "valid_from", "expires_at")


@router.get("/vos", summary="List VOs (the public catalogue)", response_model=PageRead[VoRead])
def list_vos(
    session: DbSession, actor: CurrentPrincipal, query: Annotated[VoStatusQuery, Query()]
) -> PageRead[VoRead]:
    if query.status not in (None, VoStatus.ACTIVE):
        if not actor.is_authenticated:
            raise NotAuthenticated("listing VOs by status needs an authenticated operator")
        if not actor.is_admin:
            raise Forbidden(f"{actor.subject} is not an operator; the catalogue lists active VOs")
    everything = vos.list_vos(session=session, include_hidden=query.status is not None)
    chosen = [vo for vo in everything if query.status is None or vo.status == query.status]
    return whole(chosen, VoRead.model_validate)


@router.post(
    "/vos",
    summary="Register a VO (pending until an operator approves it; the caller becomes manager)",
    status_code=201,
    response_model=VoRead,
)
def register_vo(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: VoCreate,
) -> VoRead:
    vo = vos.register_vo(session=session, actor=actor, data=data)
    created(request, response, "get_vo", name=vo.name)
    return VoRead.model_validate(vo)


@router.get("/vos/{name}", summary="Get a VO's ID card", response_model=VoRead)
def get_vo(session: DbSession, name: str) -> VoRead:
    return VoRead.model_validate(vos.get_vo(session=session, name=name))


@router.patch(
    "/vos/{name}",
    summary="Change a VO's ID card (managers, operators); a changed AUP gets a new version",
    response_model=VoRead,
)
def update_vo(session: DbSession, actor: CurrentPrincipal, name: str, data: VoUpdate) -> VoRead:
    return VoRead.model_validate(vos.update_vo(session=session, actor=actor, name=name, data=data))


@router.post(
    "/vos/{name}/decision",
    summary="Activate, suspend or delete a VO (operators)",
    response_model=VoRead,
)
def decide_vo(session: DbSession, actor: CurrentPrincipal, name: str, data: VoDecision) -> VoRead:
    vo = vos.decide_vo(
        session=session, actor=actor, name=name, status=data.status, reason=data.reason
    )
    return VoRead.model_validate(vo)


def _rows(session: DbSession, actor: CurrentPrincipal, name: str) -> list[ExportRow]:
    vo = vos.get_vo(session=session, name=name)
    groups.require_admin(session, actor, vos.root_group(session, vo), "export the members")
    rows: list[ExportRow] = []
    for group in groups.list_groups(session=session, vo=vo):
        for membership in memberships.list_members(session=session, group=group):
            rows.append(_export_row(session, group, membership))
    return rows


def _export_row(session: DbSession, group: Group, membership: Membership) -> ExportRow:
    return ExportRow(
        subject=membership.subject,
        group=group.path,
        roles=membership.roles,
        status=memberships.effective_status(session, membership),
        valid_from=membership.valid_from,
        expires_at=memberships.effective_expiry(session, membership),
    )


@router.get(
    "/vos/{name}/members/export",
    summary="Export the memberships of a VO and its subgroups (managers, operators)",
    description="JSON by default; `?format=csv` gives text/csv with the columns subject, group, "
    "roles (space-separated), status, valid_from, expires_at. Status and expiry are effective: "
    "a subgroup membership never outlives its parent's.",
    response_model=list[ExportRow],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_members(
    session: DbSession,
    actor: CurrentPrincipal,
    name: str,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response | list[ExportRow]:
    rows = _rows(session, actor, name)
    if format == "json":
        return rows
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for row in rows:
        writer.writerow(
            [
                row.subject,
                row.group,
                " ".join(row.roles),
                row.status,
                isoformat_z(row.valid_from),
                isoformat_z(row.expires_at) if row.expires_at else "",
            ]
        )
    return Response(out.getvalue(), media_type="text/csv")
