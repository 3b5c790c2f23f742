"""``GET /api/accounting/exports/{kind}``: stored records or summaries with APEL's column names,
as CSV or a JSON array, streamed (operators every site; a site's administrators their site)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from fedcore.accounting.service import exports
from fedcore.core.deps import CurrentPrincipal, request_transaction

router = APIRouter()

MEDIA_TYPES = {
    exports.ExportFormat.CSV: "text/csv; charset=utf-8",
    exports.ExportFormat.JSON: "application/json",
}


@router.get(
    "/exports/{kind}",
    summary="Export records or summaries with APEL's column names (operators, site admins)",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def get_export(
    request: Request,
    actor: CurrentPrincipal,
    kind: str,
    format: exports.ExportFormat = exports.ExportFormat.JSON,
    site: Annotated[str | None, Query(description="a site's short name")] = None,
    from_month: Annotated[str | None, Query(alias="from", description="YYYY-MM")] = None,
    to_month: Annotated[str | None, Query(alias="to", description="YYYY-MM")] = None,
) -> StreamingResponse:
    """``kind`` is one of job-records, job-summaries, cloud-records, cloud-summaries,
    storage-records, accelerator-records, ip-records. The caller's rights and the arguments
    are checked before the first byte; the rows are then read in one read transaction that
    lasts as long as the response."""
    with ExitStack() as stack:
        session = stack.enter_context(request_transaction(request, write=None))
        columns, rows = exports.export_rows(
            session=session,
            actor=actor,
            kind=kind,
            site=site,
            from_month=from_month,
            to_month=to_month,
        )
        transaction = stack.pop_all()

    def body() -> Iterator[str]:
        with transaction:
            yield from exports.WRITERS[format](columns, rows)

    return StreamingResponse(body(), media_type=MEDIA_TYPES[format])
