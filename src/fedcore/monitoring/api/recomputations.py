"""Recomputations under ``/api/monitoring/recomputations``: anyone reads, anyone signed in
requests one, operators approve or reject it, and the computation job applies an approved one
(running, then done). The requester's e-mail address is shown only to operators and to the
requester (others read it empty)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.core.api import created
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead
from fedcore.core.security import Principal
from fedcore.monitoring import service
from fedcore.monitoring.models import Recomputation
from fedcore.monitoring.schemas import (
    RecomputationCreate,
    RecomputationDecision,
    RecomputationRead,
)

router = APIRouter()


def recomputation_read(row: Recomputation, actor: Principal) -> RecomputationRead:
    return RecomputationRead.model_validate(service.shown_document(row, actor))


@router.get(
    "/recomputations",
    summary="List recomputations",
    response_model=PageRead[RecomputationRead],
)
def list_recomputations(
    session: DbSession, actor: CurrentPrincipal, report: Annotated[str | None, Query()] = None
) -> PageRead[RecomputationRead]:
    rows = service.list_recomputations(session=session, report=report)
    return PageRead[RecomputationRead](items=[recomputation_read(r, actor) for r in rows])


@router.get(
    "/recomputations/{recomputation_id}",
    summary="Get a recomputation",
    response_model=RecomputationRead,
)
def get_recomputation(
    session: DbSession, actor: CurrentPrincipal, recomputation_id: str
) -> RecomputationRead:
    row = service.get_recomputation(session=session, recomputation_id=recomputation_id)
    return recomputation_read(row, actor)


@router.post(
    "/recomputations",
    summary="Request a recomputation (anyone signed in; pending until an operator decides)",
    status_code=201,
    response_model=RecomputationRead,
)
def create_recomputation(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: RecomputationCreate,
) -> RecomputationRead:
    row = service.create_recomputation(session=session, actor=actor, data=data)
    created(request, response, "get_recomputation", recomputation_id=row.uuid)
    return recomputation_read(row, actor)


@router.patch(
    "/recomputations/{recomputation_id}",
    summary="Approve or reject a recomputation (operators); the computation job applies an approved one",
    response_model=RecomputationRead,
)
def decide_recomputation(
    session: DbSession,
    actor: CurrentPrincipal,
    recomputation_id: str,
    data: RecomputationDecision,
) -> RecomputationRead:
    row = service.decide_recomputation(
        session=session, actor=actor, recomputation_id=recomputation_id, data=data
    )
    return recomputation_read(row, actor)


@router.delete(
    "/recomputations/{recomputation_id}",
    summary="Delete a recomputation (operators)",
    status_code=204,
    response_class=Response,
)
def delete_recomputation(
    session: DbSession, actor: CurrentPrincipal, recomputation_id: str
) -> None:
    service.delete_recomputation(session=session, actor=actor, recomputation_id=recomputation_id)
