"""Downtimes, with GOCDB's rules enforced by the service layer (see ``service/downtimes.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.core.api import created, page_read
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead, Paging
from fedcore.registry import service as registry
from fedcore.registry.schemas import DowntimeCreate, DowntimeFilter, DowntimeRead, DowntimeUpdate

router = APIRouter()


class DowntimeQuery(DowntimeFilter, Paging):
    pass


@router.get("/downtimes", summary="List downtimes", response_model=PageRead[DowntimeRead])
def list_downtimes(
    session: DbSession, query: Annotated[DowntimeQuery, Query()]
) -> PageRead[DowntimeRead]:
    page = registry.list_downtimes(
        session=session, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, DowntimeRead.from_model)


@router.get("/downtimes/{downtime_id}", summary="Get a downtime", response_model=DowntimeRead)
def get_downtime(session: DbSession, downtime_id: int) -> DowntimeRead:
    return DowntimeRead.from_model(registry.get_downtime(session=session, downtime_id=downtime_id))


@router.post(
    "/downtimes",
    summary="Declare a downtime of one site's services (site and NGI roles)",
    description="The classification is computed: SCHEDULED when the start is more than 24 hours "
    "away, UNSCHEDULED otherwise. The start may lie at most 48 hours in the past.",
    status_code=201,
    response_model=DowntimeRead,
)
def create_downtime(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: DowntimeCreate,
) -> DowntimeRead:
    downtime = registry.create_downtime(session=session, actor=actor, data=data)
    created(request, response, "get_downtime", downtime_id=downtime.id)
    return DowntimeRead.from_model(downtime)


@router.patch(
    "/downtimes/{downtime_id}",
    summary="Update a downtime that has not ended (site and NGI roles)",
    description="A downtime cannot be lengthened, a changed start must be in the future, and a "
    "SCHEDULED downtime is frozen within 24 hours of its start.",
    response_model=DowntimeRead,
)
def update_downtime(
    session: DbSession, actor: CurrentPrincipal, downtime_id: int, data: DowntimeUpdate
) -> DowntimeRead:
    downtime = registry.update_downtime(
        session=session, actor=actor, downtime_id=downtime_id, data=data
    )
    return DowntimeRead.from_model(downtime)


@router.delete(
    "/downtimes/{downtime_id}",
    summary="Delete a downtime that has not started (site and NGI roles)",
    status_code=204,
    response_class=Response,
)
def delete_downtime(session: DbSession, actor: CurrentPrincipal, downtime_id: int) -> None:
    registry.delete_downtime(session=session, actor=actor, downtime_id=downtime_id)


@router.post(
    "/downtimes/{downtime_id}/end",
    summary="End an ongoing downtime 60 seconds from now (site and NGI roles)",
    response_model=DowntimeRead,
)
def end_downtime(session: DbSession, actor: CurrentPrincipal, downtime_id: int) -> DowntimeRead:
    downtime = registry.end_downtime(session=session, actor=actor, downtime_id=downtime_id)
    return DowntimeRead.from_model(downtime)
