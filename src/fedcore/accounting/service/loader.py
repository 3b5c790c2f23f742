"""The one loader: the CLI, ``POST /api/accounting/messages`` and the AMS publish route all store
a message through :func:`submit_message` (reference §2.2, docs/accounting.md "Ingestion").

A message is parsed whole before anything is written; one defect rejects all of it (§1.3). Its
records are deduplicated by their uniqueness key (the last one in the message wins), compared
with the stored rows of the same keys, and only new or changed rows are written, with an
``INSERT ... ON CONFLICT DO UPDATE`` on the key (last loaded wins, provenance included). The
summaries move by the difference between the replaced rows and their replacements in the same
transaction, so an identical resend writes no record and moves no summary.

On PostgreSQL the message's sites are locked (transaction-level advisory locks, in name order)
before the stored rows are read, so two messages of one site load one after the other and the
summary deltas never double count; SQLite has a single writer anyway.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session

from fedcore.accounting.enums import MessageStatus, Transport
from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import (
    FAMILIES,
    SITE_COLUMN,
    Family,
    ParsedMessage,
    RecordError,
    RecordKind,
)
from fedcore.accounting.models import RECORD_TABLES, Message, StorageGroupAttribute
from fedcore.accounting.service import authorisation, summaries
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import FedcoreError, Forbidden, TooLarge
from fedcore.core.logging import get_logger
from fedcore.core.security import Principal

log = get_logger("fedcore.accounting")

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
"""The largest message accepted (APEL producers send at most 5,000 records per message)."""

PING = "ping"
"""The SSM empa-id of a connectivity test, acknowledged and not stored (§1.1)."""

_PROVENANCE = ("message_id", "publisher", "loaded_at")

# The key columns whose records may not be taken over by another site (docs/accounting.md,
# "Site ownership of keys"): they do not contain the site.
_OWNED_KEYS = {RecordKind.CLOUD: "VMUUID", RecordKind.STORAGE: "RecordId"}


class MessageRejected(FedcoreError):
    """The message is refused as a whole; ``detail`` is APEL's ``Parsing unsuccessful: ...``,
    and the problem's ``errors`` entry names the field (``records[3].WallDuration``) with the
    defect alone (``reason``)."""

    status = 400
    title = "Message rejected"

    def __init__(self, detail: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(detail, field=field)
        self.reason = reason or detail

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(instance)
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.reason}]
        return body


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a message did: its row, its kind, how many records it carried and how many rows it
    inserted or changed (0 for an identical resend)."""

    message_id: int
    kind: RecordKind
    records: int
    stored: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused message: the error to answer with; its message row is already stored."""

    message_id: int
    error: FedcoreError


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a message and how: the authenticated caller, or the S/MIME signer's host DN
    (the signed path, where the DN decides the sites), plus SSM's message id."""

    transport: Transport
    actor: Principal
    signer_dn: str | None = None
    empaid: str | None = None

    @property
    def publisher(self) -> str:
        return self.signer_dn or self.actor.subject


def submit_message(
    *, session: Session, settings: Settings, origin: Origin, body: bytes
) -> LoadResult | Rejection:
    """Load one message, or store its rejection (with APEL's text and the body) and return it.

    A body over :data:`MAX_MESSAGE_BYTES` raises ``TooLarge`` and leaves no trace. Runs in the
    caller's transaction; a rejected message's records are rolled back to a
    savepoint, so the caller commits either the records or the rejection, never half of both.
    """
    if len(body) > MAX_MESSAGE_BYTES:
        raise TooLarge(
            f"a message may have at most {MAX_MESSAGE_BYTES} bytes, this one has {len(body)}: "
            "send fewer records per message",
            field="body",
        )
    digest = hashlib.sha256(body).hexdigest()
    savepoint = session.begin_nested()
    try:
        result = _load(session, settings, origin, body, digest)
    except FedcoreError as exc:
        savepoint.rollback()
        message_id = reject_message(session=session, origin=origin, body=body, error=exc)
        log.info(
            "accounting.message_rejected",
            message_id=message_id,
            transport=origin.transport,
            publisher=origin.publisher,
            error=exc.detail,
        )
        return Rejection(message_id, exc)
    savepoint.commit()
    log.info(
        "accounting.message_loaded",
        message_id=result.message_id,
        kind=result.kind,
        records=result.records,
        stored=result.stored,
        transport=origin.transport,
        publisher=origin.publisher,
    )
    return result


def _load(
    session: Session, settings: Settings, origin: Origin, body: bytes, digest: str
) -> LoadResult:
    try:
        parsed = parse_message(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MessageRejected(
            f"Parsing unsuccessful: message is not UTF-8: {exc}", field="body"
        ) from None
    except RecordError as exc:
        raise _rejected(exc) from None
    family = FAMILIES[parsed.kind]
    records = _last_per_key(family, parsed.records)
    sites = sorted({record[SITE_COLUMN[parsed.kind]] for record in records.values()})
    _check_publisher(session, settings, origin, sites)
    _lock_sites(session, sites)
    now = utcnow()
    message = _message_row(session, origin, parsed, digest, now)
    table: Table = RECORD_TABLES[parsed.kind].__table__  # type: ignore[assignment]
    stored = _stored_rows(session, table, family, list(records))
    _check_ownership(parsed.kind, family, records, stored)
    changed = [
        record
        for key, record in records.items()
        if key not in stored or _differs(family, record, stored[key])
    ]
    for record in changed:
        record["message_id"] = message.id
        record["publisher"] = origin.publisher
        record["loaded_at"] = now
    plan = summaries.plan_load(
        session,
        parsed.kind,
        replaced=[stored[family.key_of(r)] for r in changed if family.key_of(r) in stored],
        added=changed,
    )
    _upsert(session, table, family, changed)
    summaries.apply(session, plan)
    if parsed.group_attributes:
        _store_group_attributes(session, parsed.group_attributes, message.id, origin, now)
    message.record_count = len(parsed.records)
    return LoadResult(message.id, parsed.kind, len(parsed.records), len(changed))


def _rejected(exc: RecordError) -> MessageRejected:
    if exc.index is None:
        field = "body"
    else:
        field = f"records[{exc.index}]" + (f".{exc.field}" if exc.field else "")
    return MessageRejected(f"Parsing unsuccessful: {exc}", field=field, reason=exc.text)


def _last_per_key(family: Family, records: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], Any]:
    return {family.key_of(record): record for record in records}


def _check_publisher(
    session: Session, settings: Settings, origin: Origin, sites: Sequence[str]
) -> None:
    if origin.signer_dn is not None:
        allowed = authorisation.sites_for_signer(session, settings, origin.signer_dn)
        if not allowed:
            raise Forbidden(f"Signer not in valid DNs list: {origin.signer_dn}", field="signer")
        refused = [site for site in sites if site not in allowed]
    else:
        refused = [
            site
            for site in sites
            if not authorisation.may_publish(
                session=session, settings=settings, subject=origin.actor.subject, site=site
            )
        ]
    if refused:
        raise Forbidden(
            f"publisher {origin.publisher} may not publish for site {refused[0]}", field="Site"
        )


def _lock_sites(session: Session, sites: Sequence[str]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for site in sites:
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": zlib.crc32(f"accounting:{site}".encode()) - 2**31},
        )


def _message_row(
    session: Session, origin: Origin, parsed: ParsedMessage, digest: str, now: datetime
) -> Message:
    message = session.scalar(select(Message).where(Message.sha256 == digest))
    if message is None:
        message = Message(sha256=digest, first_received_at=now)
        session.add(message)
    message.kind = parsed.kind
    message.header = parsed.header[:255]
    message.transport = origin.transport
    message.publisher = origin.publisher
    message.signer_dn = origin.signer_dn
    message.empaid = origin.empaid
    message.last_received_at = now
    message.status = MessageStatus.ACCEPTED
    message.error = None
    message.body = None
    session.flush()
    return message


def reject_message(*, session: Session, origin: Origin, body: bytes, error: FedcoreError) -> int:
    """Store a refused message (its body, for the retention period, and the reason); returns
    its row. Used for defects found before loading too, such as a bad signature. A body that
    was accepted before keeps its accepted row (its records are stored): a refused resend of it,
    by a publisher not allowed for its sites, changes nothing."""
    digest = hashlib.sha256(body).hexdigest()
    now = utcnow()
    message = session.scalar(select(Message).where(Message.sha256 == digest))
    if message is not None and message.status == MessageStatus.ACCEPTED:
        return message.id
    if message is None:
        message = Message(sha256=digest, first_received_at=now, record_count=0)
        session.add(message)
    message.kind = None
    message.header = body[:255].split(b"\n", 1)[0].decode("utf-8", "replace")
    message.transport = origin.transport
    message.publisher = origin.publisher
    message.signer_dn = origin.signer_dn
    message.empaid = origin.empaid
    message.last_received_at = now
    message.status = MessageStatus.REJECTED
    message.error = error.detail
    message.body = body.decode("utf-8", "replace")
    session.flush()
    return message.id


def _stored_rows(
    session: Session, table: Table, family: Family, keys: list[tuple[Any, ...]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {
        key: dict(row) for key, row in summaries.rows_with_keys(session, table, family.key, keys)
    }


def _differs(family: Family, record: dict[str, Any], row: dict[str, Any]) -> bool:
    return any(record[column] != row[column] for column in family.columns)


def _check_ownership(
    kind: RecordKind,
    family: Family,
    records: dict[tuple[Any, ...], dict[str, Any]],
    stored: dict[tuple[Any, ...], dict[str, Any]],
) -> None:
    field = _OWNED_KEYS.get(kind)
    if field is None:
        return
    site = SITE_COLUMN[kind]
    for key, record in records.items():
        row = stored.get(key)
        if row is not None and row[site] != record[site]:
            raise Forbidden(
                f"{field} {key[0]} is stored for site {row[site]}, not {record[site]}",
                field=field,
            )


@dataclass(frozen=True, slots=True)
class _Upsert:
    """A family's upsert compiled for one database: its SQL, the columns of its parameters in
    their order, and each column's bind processor (``None`` where a value goes as it is)."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool


_UPSERTS: dict[tuple[str, str], _Upsert] = {}


def _compiled_upsert(dialect: Dialect, table: Table, family: Family) -> _Upsert:
    found = _UPSERTS.get((dialect.name, table.name))
    if found is not None:
        return found
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(family.key),
        set_={
            name: statement.excluded[name]
            for name in (*family.columns, *_PROVENANCE)
            if name not in family.key
        },
    )
    compiled = statement.compile(dialect=dialect, column_keys=[*family.columns, *_PROVENANCE])
    columns = tuple(compiled.positiontup or ()) if dialect.positional else tuple(compiled.params)
    upsert = _Upsert(
        sql=compiled.string,
        columns=columns,
        processors=tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ),
        positional=dialect.positional,
    )
    _UPSERTS[(dialect.name, table.name)] = upsert
    return upsert


def _upsert(session: Session, table: Table, family: Family, rows: list[dict[str, Any]]) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` of every row in one executemany.

    The statement is compiled once per database and table, and the rows are handed to the
    driver as parameter tuples made by the columns' own bind processors: SQLAlchemy's
    executemany would build and process a parameter dictionary per row, which cost more than
    the database's work on the rows.
    """
    if not rows:
        return
    connection = session.connection()
    upsert = _compiled_upsert(connection.dialect, table, family)
    plan = tuple(zip(upsert.columns, upsert.processors, strict=True))
    values = [
        tuple([row[name] if process is None else process(row[name]) for name, process in plan])
        for row in rows
    ]
    if upsert.positional:
        connection.exec_driver_sql(upsert.sql, values)
    else:
        connection.exec_driver_sql(
            upsert.sql, [dict(zip(upsert.columns, value, strict=True)) for value in values]
        )


def _store_group_attributes(
    session: Session,
    attributes: list[dict[str, Any]],
    message_id: int,
    origin: Origin,
    now: datetime,
) -> None:
    table: Table = StorageGroupAttribute.__table__  # type: ignore[assignment]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    provenance = {"message_id": message_id, "publisher": origin.publisher, "loaded_at": now}
    statement = statement.on_conflict_do_update(
        index_elements=["record_id", "attribute_type"],
        set_={name: statement.excluded[name] for name in ("value", *provenance)},
    )
    session.execute(statement, [{**attribute, **provenance} for attribute in attributes])


def purge_rejected_bodies(*, session: Session, settings: Settings) -> int:
    """Forget the bodies of rejected messages older than the retention period."""
    cutoff = utcnow() - timedelta(days=settings.accounting_reject_retention_days)
    result = session.execute(
        update(Message)
        .where(Message.status == MessageStatus.REJECTED)
        .where(Message.body.is_not(None))
        .where(Message.last_received_at < cutoff)
        .values(body=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "MAX_MESSAGE_BYTES",
    "PING",
    "LoadResult",
    "MessageRejected",
    "Origin",
    "Rejection",
    "purge_rejected_bodies",
    "reject_message",
    "submit_message",
]
