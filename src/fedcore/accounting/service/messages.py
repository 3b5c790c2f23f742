"""Received messages, read back: what was stored or refused, and why (reference §2.2, APEL's
reject queue). Operators see every message; anybody else only the messages they published
(the records' publisher: their token subject), and a site's administrators the messages whose
records of their site are stored (:func:`messages_of_site`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session

from fedcore.accounting.enums import MessageStatus
from fedcore.accounting.formats.records import SITE_COLUMN
from fedcore.accounting.models import RECORD_TABLES, Message
from fedcore.accounting.permissions import permissions
from fedcore.accounting.schemas import MessageFilter
from fedcore.core.errors import NotAuthenticated, NotFound
from fedcore.core.pagination import Page, paginate
from fedcore.core.security import Principal


def _visible(actor: Principal) -> Select[Message]:
    if not actor.is_authenticated:
        raise NotAuthenticated("a token is required to read accounting messages", field="token")
    statement = select(Message)
    if not actor.is_admin:
        statement = statement.where(Message.publisher == actor.subject)
    return statement


def list_messages(
    *,
    session: Session,
    actor: Principal,
    filter: MessageFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Message]:
    """The messages the actor may see, oldest first, narrowed by ``filter``."""
    statement = _visible(actor)
    if filter is not None:
        if filter.status is not None:
            statement = statement.where(Message.status == filter.status)
        if filter.kind is not None:
            statement = statement.where(Message.kind == filter.kind)
        if filter.publisher is not None:
            statement = statement.where(Message.publisher == filter.publisher)
    return paginate(session, statement, Message.id, cursor=cursor, limit=limit)


def get_message(*, session: Session, actor: Principal, message_id: int) -> Message:
    """One message the actor may see (another publisher's is not found, as an absent one)."""
    message = session.scalar(_visible(actor).where(Message.id == message_id))
    if message is None:
        raise NotFound(f"no accounting message {message_id}", field="message_id")
    return message


def messages_of_site(
    *, session: Session, actor: Principal, site: str, limit: int = 10
) -> list[Message]:
    """The ``limit`` latest messages (by last receipt) whose records of ``site`` are stored, for
    the site's administrators and operators. A message is found through its records'
    ``message_id``: a rejected message stored none, and one whose records a later message
    replaced (last loaded wins) holds none any more."""
    permissions.require("accounting.message.read", session=session, actor=actor, target=site)
    ids = union(
        *(
            select(model.__table__.c.message_id).where(model.__table__.c[SITE_COLUMN[kind]] == site)
            for kind, model in RECORD_TABLES.items()
        )
    ).subquery()
    latest = (
        select(Message)
        .where(Message.id.in_(select(ids.c.message_id)))
        .order_by(Message.last_received_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(session.scalars(latest))


def last_accepted(*, session: Session) -> dict[str, datetime]:
    """When the last accepted message of each record kind arrived: how fresh the figures are.
    Anybody may know it; it names no publisher."""
    latest = (
        select(Message.kind, func.max(Message.last_received_at))
        .where(Message.status == MessageStatus.ACCEPTED)
        .group_by(Message.kind)
    )
    return {kind: when for kind, when in session.execute(latest) if kind is not None}
