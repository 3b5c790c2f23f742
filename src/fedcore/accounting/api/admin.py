"""The operators' routes of accounting: ``GET /sync`` (site administrators read their sites),
``GET /data-quality`` and ``POST /summaries:rebuild``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fedcore.accounting.schemas import (
    DataQualityRead,
    SummariesRebuild,
    SummariesRebuilt,
    SyncStatusRead,
)
from fedcore.accounting.service import quality, summaries, sync
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead

router = APIRouter()


@router.get(
    "/sync",
    summary="Sync status per site, submit host and month (operators, site administrators)",
    response_model=PageRead[SyncStatusRead],
)
def get_sync_status(
    session: DbSession,
    actor: CurrentPrincipal,
    site: Annotated[str | None, Query(description="one site's short name")] = None,
    from_month: Annotated[
        str | None, Query(alias="from", description="first month, YYYY-MM")
    ] = None,
    to_month: Annotated[str | None, Query(alias="to", description="last month, YYYY-MM")] = None,
) -> PageRead[SyncStatusRead]:
    """Each sync record against the jobs received; without ``site``, every site the caller
    administers (operators: all)."""
    rows = sync.sync_status(
        session=session, actor=actor, site=site, from_month=from_month, to_month=to_month
    )
    return PageRead[SyncStatusRead](items=[SyncStatusRead.model_validate(row) for row in rows])


@router.get(
    "/data-quality",
    summary="Unknown sites and VOs, mixed job routes, dirty groups, rejections (operators)",
    response_model=DataQualityRead,
)
def get_data_quality(session: DbSession, actor: CurrentPrincipal) -> DataQualityRead:
    return DataQualityRead.model_validate(quality.data_quality(session=session, actor=actor))


@router.post(
    "/summaries:rebuild",
    summary="Rebuild the summaries from the records (operators)",
    response_model=SummariesRebuilt,
)
def rebuild_summaries(
    session: DbSession, actor: CurrentPrincipal, data: SummariesRebuild | None = None
) -> SummariesRebuilt:
    """As ``fedcore accounting summarise``: every summary, or one site's, or one kind's."""
    request = data or SummariesRebuild()
    counts = summaries.summarise(
        session=session,
        actor=actor,
        site=request.site,
        kinds=None if request.kind is None else [request.kind],
    )
    return SummariesRebuilt(**counts)
