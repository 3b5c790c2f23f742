"""``/accounting/messages/``: the messages received, stored or refused, with APEL's reason for a
refusal; publishers see the messages they sent, operators all of them (the service decides).
Filters are those of ``GET /api/accounting/messages`` (status, kind, publisher), paged by id;
operators find a link to the data quality, which counts recent refusals per publisher.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from fedcore.accounting.enums import MessageStatus
from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.schemas import MessageFilter
from fedcore.accounting.service import messages as message_service
from fedcore.accounting.views import quality
from fedcore.accounting.views.reports import render_page, submitted
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.forms import Errors, sign_in_first, validation_errors

router = APIRouter()

PAGE_SIZE = 50


@router.get("/messages/")
def message_list(
    request: Request, session: DbSession, principal: CurrentPrincipal, cursor: int | None = None
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    values = submitted(request, MessageFilter.model_fields, {})
    errors: Errors = {}
    message_filter: MessageFilter | None = None
    try:
        message_filter = MessageFilter.model_validate(values)
    except ValidationError as exc:
        errors = validation_errors(exc)
    page = None
    if message_filter is not None:
        page = message_service.list_messages(
            session=session, actor=principal, filter=message_filter, cursor=cursor, limit=PAGE_SIZE
        )
    return render_page(
        request,
        "accounting/messages.html",
        status_code=422 if errors else 200,
        values=values,
        errors=errors,
        messages=page.items if page else [],
        next_cursor=page.next_cursor if page else None,
        statuses=[(s.value, s.value) for s in MessageStatus],
        kinds=[(k.value, k.value) for k in RecordKind],
        data_quality=quality.may_read(session, principal),
    )
