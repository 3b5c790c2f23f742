"""``POST /api/accounting/messages``: one APEL message per request, as its file would hold it
(text, StAR or CAR XML, or JSON), from a caller allowed to publish for the records' sites; and
the received messages read back (``GET /api/accounting/messages[/{id}]``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from fedcore.accounting.enums import Transport
from fedcore.accounting.schemas import MessageAccepted, MessageFilter, MessageRead
from fedcore.accounting.service import loader, messages
from fedcore.core.api import page_read
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import NotAuthenticated, TooLarge
from fedcore.core.pagination import PageRead, Paging

router = APIRouter()


class MessageQuery(MessageFilter, Paging):
    pass


@router.get(
    "/messages",
    summary="List received messages (operators: all; publishers: their own)",
    response_model=PageRead[MessageRead],
)
def list_messages(
    session: DbSession, actor: CurrentPrincipal, query: Annotated[MessageQuery, Query()]
) -> PageRead[MessageRead]:
    page = messages.list_messages(
        session=session, actor=actor, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, MessageRead.model_validate)


@router.get(
    "/messages/{message_id}",
    summary="Get a received message, with the body of a rejected one",
    response_model=MessageRead,
)
def get_message(session: DbSession, actor: CurrentPrincipal, message_id: int) -> MessageRead:
    message = messages.get_message(session=session, actor=actor, message_id=message_id)
    return MessageRead.model_validate(message)


@router.post(
    "/messages",
    summary="Store one accounting message (publishers)",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageAccepted,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "string"}}
                for media in ("text/plain", "application/xml", "application/json")
            },
        }
    },
)
async def post_message(
    request: Request, session: DbSession, settings: AppSettings, actor: CurrentPrincipal
) -> MessageAccepted:
    """The answer comes after the commit: 202 means the records are durably stored. A rejected
    message (400, APEL's reason naming the record and field) stores nothing but its rejection,
    which the publisher can read back under /api/accounting/messages."""
    if not actor.is_authenticated:
        raise NotAuthenticated("a token of a publisher of the site is required", field="token")
    if int(request.headers.get("content-length") or 0) > loader.MAX_MESSAGE_BYTES:
        raise TooLarge(
            f"a message may have at most {loader.MAX_MESSAGE_BYTES} bytes, this one has "
            f"{request.headers['content-length']}: send fewer records per message",
            field="body",
        )
    body = await request.body()
    outcome = await run_in_threadpool(
        loader.submit_message,
        session=session,
        settings=settings,
        origin=loader.Origin(Transport.API, actor),
        body=body,
    )
    await run_in_threadpool(session.commit)
    if isinstance(outcome, loader.Rejection):
        raise outcome.error
    return MessageAccepted(
        message_id=outcome.message_id,
        kind=outcome.kind,
        records=outcome.records,
        stored=outcome.stored,
    )
