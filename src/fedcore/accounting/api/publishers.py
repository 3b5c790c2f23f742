"""``/api/accounting/publishers``: which subjects (service accounts' token subjects) may publish
a site's records, managed by the site's administrators and operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from fedcore.accounting.schemas import PublisherCreate, PublisherRead
from fedcore.accounting.service import publishers
from fedcore.core.api import whole
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead

router = APIRouter()


@router.get(
    "/publishers",
    summary="List publisher bindings (operators: all; site administrators: their sites')",
    response_model=PageRead[PublisherRead],
)
def list_publishers(
    session: DbSession,
    actor: CurrentPrincipal,
    site: Annotated[str | None, Query(description="only this site's bindings")] = None,
) -> PageRead[PublisherRead]:
    rows = publishers.list_publishers(session=session, actor=actor, site=site)
    return whole(rows, PublisherRead.model_validate)


@router.post(
    "/publishers",
    summary="Bind a subject to publish a site's records (site administrators, operators)",
    status_code=201,
    response_model=PublisherRead,
)
def add_publisher(
    session: DbSession, actor: CurrentPrincipal, data: PublisherCreate
) -> PublisherRead:
    publisher = publishers.add_publisher(
        session=session, actor=actor, site=data.site, subject=data.subject
    )
    return PublisherRead.model_validate(publisher)


@router.delete(
    "/publishers/{publisher_id}",
    summary="Remove a publisher binding; its records stay (site administrators, operators)",
    status_code=204,
    response_class=Response,
)
def remove_publisher(session: DbSession, actor: CurrentPrincipal, publisher_id: int) -> None:
    publishers.remove_publisher(session=session, actor=actor, publisher_id=publisher_id)
