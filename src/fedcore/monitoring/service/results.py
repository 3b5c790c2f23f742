"""Metric results in (reference §1.2, §13.3): batches of ARGO ``MetricData`` records as JSON,
or AMS publish messages carrying one Avro-encoded ``metric_data`` record each.

Each record is checked alone; a record with a bad field is refused with the field and the
reason, the others are stored. A record is identified by (hostname, service, metric,
timestamp, monitoring host): one identical to a stored record is answered with the stored
row (sent twice, stored once); one that differs from a stored record with the same identity
is refused (a result is never rewritten). The caller's transaction commits before the answer
is sent, so what is acknowledged is durable.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import fastavro
from sqlalchemy import Row, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fedcore.core.security import Principal
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.models import MetricResult, Profile, ProfileVersion
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.states import InputError
from fedcore.monitoring.timelines import parse_timestamp

METRIC_DATA_SCHEMA = fastavro.parse_schema(
    {
        "namespace": "argo.avro",
        "type": "record",
        "name": "metric_data",
        "fields": [
            {"name": "timestamp", "type": "string"},
            {"name": "service", "type": "string"},
            {"name": "hostname", "type": "string"},
            {"name": "metric", "type": "string"},
            {"name": "status", "type": "string"},
            {"name": "monitoring_host", "type": ["null", "string"]},
            {"name": "actual_data", "type": ["null", "string"], "default": None},
            {"name": "summary", "type": ["null", "string"]},
            {"name": "message", "type": ["null", "string"]},
            {
                "name": "tags",
                "type": ["null", {"name": "Tags", "type": "map", "values": ["null", "string"]}],
            },
        ],
    }
)
"""The ``metric_data`` schema ARGO's publishers encode with (ams-publisher's
``metric_data.avsc``); messages carry the record alone, without a container header."""

ARGO_STATES = ("OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME")
"""The states accepted while no operations profile is stored (ARGO's ``egi_ops``)."""

REQUIRED = ("timestamp", "service", "hostname", "metric", "status")
OPTIONAL = ("monitoring_host", "summary", "message", "actual_data")
DIFFERENT = (
    "a different result with this timestamp, hostname, service, metric and monitoring_host is "
    "already stored"
)
KEY = ("hostname", "service", "metric", "timestamp", "monitoring_host")
"""A result's identity (the table's unique key)."""
COMPARED = ("status", "summary", "message", "actual_data", "tags")
LIMITS = {"hostname": 512, "service": 255, "metric": 255, "monitoring_host": 512}


Key = tuple[str, str, str, datetime, str]


@dataclass
class Checked:
    index: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> Key:
        v = self.values
        return (v["hostname"], v["service"], v["metric"], v["timestamp"], v["monitoring_host"])


@dataclass
class Ingested:
    stored: list[tuple[int, int, bool]] = field(default_factory=list)
    """(index, row id, new) of every record stored now or before."""
    refused: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)
    """(index, [(field, reason), ...]) of every refused record."""


def known_states(session: Session) -> frozenset[str]:
    """The states of every stored operations profile version (ARGO's when there is none)."""
    documents = session.scalars(
        select(ProfileVersion.document).join(Profile).where(Profile.kind == ProfileKind.OPERATIONS)
    )
    states = {s for d in documents for s in d.get("available_states", [])}
    return frozenset(states or ARGO_STATES)


def check_record(index: int, raw: Any, states: frozenset[str]) -> Checked:
    """One record's values, or the errors naming each bad field."""
    checked = Checked(index)
    if not isinstance(raw, Mapping):
        checked.errors.append(("", f"expected an object, got {type(raw).__name__}"))
        return checked
    for name in sorted(set(raw) - {*REQUIRED, *OPTIONAL, "tags"}):
        checked.errors.append((name, "unknown field"))
    for name in (*REQUIRED, *OPTIONAL):
        value = raw.get(name)
        if value is None and name in OPTIONAL:
            checked.values[name] = None
        elif not isinstance(value, str) or (name in REQUIRED and not value):
            want = "a non-empty string" if name in REQUIRED else "a string or null"
            checked.errors.append((name, f"expected {want}, got {value!r}"))
        elif len(value) > LIMITS.get(name, len(value)):
            checked.errors.append((name, f"longer than {LIMITS[name]} characters"))
        else:
            checked.values[name] = value
    checked.values["monitoring_host"] = checked.values.get("monitoring_host") or ""
    if isinstance(raw.get("timestamp"), str):
        try:
            seconds = parse_timestamp(raw["timestamp"], "timestamp")
        except InputError as exc:
            checked.errors.append(("timestamp", str(exc).partition(": ")[2]))
        else:
            checked.values["timestamp"] = datetime.fromtimestamp(seconds, UTC)
    status = checked.values.get("status")
    if status is not None and status not in states:
        checked.errors.append(
            ("status", f"unknown state {status!r} (states: {', '.join(sorted(states))})")
        )
    tags = raw.get("tags")
    if tags is not None and not (
        isinstance(tags, Mapping)
        and all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in tags.items())
    ):
        checked.errors.append(("tags", "expected an object of strings (or null values)"))
    else:
        checked.values["tags"] = dict(tags) if tags is not None else None
    return checked


def _insert_new(session: Session, records: Iterable[Checked]) -> dict[Key, int]:
    """Insert the records whose identity is not stored, skipping the others (also those a
    concurrent transaction stores first: PostgreSQL waits for it to end); the ids of the rows
    inserted now, by identity. Rows go in in identity order, so that transactions inserting
    overlapping batches wait for each other instead of deadlocking."""
    values = [r.values for r in sorted(records, key=lambda r: r.key)]
    if not values:
        return {}
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(MetricResult)
        .on_conflict_do_nothing(index_elements=KEY)
        .returning(MetricResult.id, *(getattr(MetricResult, name) for name in KEY))
    )
    return {(h, s, m, t, mh): id_ for id_, h, s, m, t, mh in session.execute(stmt, values)}


def _stored(session: Session, keys: Sequence[Key]) -> dict[Key, MetricResult]:
    """The stored rows with these identities."""
    columns = tuple_(*(getattr(MetricResult, name) for name in KEY))
    rows: dict[Key, MetricResult] = {}
    for chunk in range(0, len(keys), 500):
        stmt = select(MetricResult).where(columns.in_(keys[chunk : chunk + 500]))
        for found in session.scalars(stmt):
            key = (found.hostname, found.service, found.metric, found.timestamp)
            rows[(*key, found.monitoring_host)] = found
    return rows


def _store(session: Session, records: Sequence[Checked]) -> Ingested:
    """Store the good records: each identity once (the first record with it), a record
    identical to what is stored answered with the stored row, one that differs refused."""
    answer = Ingested()
    first: dict[Key, Checked] = {}
    for record in records:
        if not record.errors:
            first.setdefault(record.key, record)
    inserted = _insert_new(session, first.values())
    held = {key: (row_id, first[key].values) for key, row_id in inserted.items()}
    for key, row in _stored(session, [k for k in first if k not in inserted]).items():
        held[key] = (row.id, {name: getattr(row, name) for name in COMPARED})
    for record in records:
        if record.errors:
            answer.refused.append((record.index, record.errors))
            continue
        row_id, values = held[record.key]
        if record is first[record.key] and record.key in inserted:
            answer.stored.append((record.index, row_id, True))
        elif all(values[name] == record.values[name] for name in COMPARED):
            answer.stored.append((record.index, row_id, False))
        else:
            answer.refused.append((record.index, [("status", DIFFERENT)]))
    return answer


def store_metric_data(*, session: Session, actor: Principal, records: Sequence[Any]) -> Ingested:
    """Store a batch of ``MetricData`` records (JSON objects)."""
    permissions.require("monitoring.metric_data.publish", session=session, actor=actor)
    states = known_states(session)
    return _store(session, [check_record(i, raw, states) for i, raw in enumerate(records)])


def decode_message(data: str) -> dict[str, Any]:
    """One AMS message's ``data``: base64 of an Avro ``metric_data`` record.

    :class:`ValueError` with the reason when it is not."""
    try:
        payload = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    stream = io.BytesIO(payload)
    try:
        record = fastavro.schemaless_reader(stream, METRIC_DATA_SCHEMA, None)
    except (EOFError, ValueError, IndexError, UnicodeDecodeError, TypeError) as exc:
        raise ValueError(f"not an Avro metric_data record ({type(exc).__name__})") from None
    if stream.tell() != len(payload) or not isinstance(record, dict):
        raise ValueError("not an Avro metric_data record (bytes left over)")
    return record


def publish_messages(*, session: Session, actor: Principal, messages: Sequence[str]) -> Ingested:
    """Store the records of AMS publish messages (their ``data``)."""
    permissions.require("monitoring.metric_data.publish", session=session, actor=actor)
    states = known_states(session)
    checked = []
    for index, data in enumerate(messages):
        try:
            record = decode_message(data)
        except ValueError as exc:
            checked.append(Checked(index, errors=[("data", str(exc))]))
        else:
            checked.append(check_record(index, record, states))
    return _store(session, checked)


def results_between(
    *, session: Session, start: datetime, end: datetime
) -> Sequence[Row[datetime, str, str, str, str, str, str | None]]:
    """What the computation reads of the results with ``start <= timestamp < end``, oldest
    first (rows of columns: millions of them are read for a federation's day)."""
    stmt = (
        select(
            MetricResult.timestamp,
            MetricResult.service,
            MetricResult.hostname,
            MetricResult.metric,
            MetricResult.status,
            MetricResult.monitoring_host,
            MetricResult.actual_data,
        )
        .where(MetricResult.timestamp >= start, MetricResult.timestamp < end)
        .order_by(MetricResult.timestamp, MetricResult.id)
    )
    return session.execute(stmt).all()
