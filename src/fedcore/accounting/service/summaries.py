"""The stored summaries: moved by each load, rebuilt by ``summarise`` (reference §2.4).

The arithmetic is ``fedcore.accounting.summaries``; this module reads and writes the tables.
A load applies ``new - old`` per summary group with one upsert per touched group (additive
columns ``+=``, extremes MIN/MAX). A group that lost the record holding its earliest or latest
time is marked ``dirty``: its additive columns are right at once, and :func:`rebuild_dirty`
(the ``accounting.summarise-dirty`` job) recomputes its slice from the records. A slice is what
one rebuild replaces: a site's month of one source, or for cloud records all of a site's VMs
(a VM-month's delta depends on the VM's earlier months).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import RowMapping, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fedcore.accounting import summaries
from fedcore.accounting.formats.records import FAMILIES, SITE_COLUMN, RecordKind
from fedcore.accounting.models import (
    RECORD_TABLES,
    AcceleratorSummary,
    CloudSuperSummary,
    SuperSummary,
)
from fedcore.accounting.permissions import permissions
from fedcore.core.db import utcnow
from fedcore.core.errors import ValidationFailed
from fedcore.core.security import Principal

_KEY_CHUNK = 500

_SUMMARY_TABLES: dict[RecordKind, Table] = {
    RecordKind.JOB: SuperSummary.__table__,  # type: ignore[dict-item]
    RecordKind.SUMMARY: SuperSummary.__table__,  # type: ignore[dict-item]
    RecordKind.NORMALISED_SUMMARY: SuperSummary.__table__,  # type: ignore[dict-item]
    RecordKind.CLOUD: CloudSuperSummary.__table__,  # type: ignore[dict-item]
    RecordKind.CLOUD_SUMMARY: CloudSuperSummary.__table__,  # type: ignore[dict-item]
    RecordKind.ACCELERATOR: AcceleratorSummary.__table__,  # type: ignore[dict-item]
}

# How a slice of records is selected and which summary rows it replaces: the record columns
# giving (site, year, month), and the summary's source value (None: the table has no source).
_SLICE: dict[RecordKind, tuple[str, str, str, str | None]] = {
    RecordKind.JOB: ("site", "end_year", "end_month", "jobs"),
    RecordKind.SUMMARY: ("site", "year", "month", "summaries"),
    RecordKind.NORMALISED_SUMMARY: ("site", "year", "month", "normalised"),
    RecordKind.CLOUD_SUMMARY: ("site_name", "year", "month", "received"),
    RecordKind.ACCELERATOR: ("site_name", "measurement_year", "measurement_month", None),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """A load's summary changes, computed from the stored rows before they are replaced."""

    kind: RecordKind
    changes: summaries.Changes


def plan_load(
    session: Session,
    kind: RecordKind,
    *,
    replaced: Sequence[dict[str, Any]],
    added: Sequence[dict[str, Any]],
) -> Plan | None:
    """The summary changes of replacing the stored rows ``replaced`` by ``added`` (the new or
    changed records of one message); ``None`` for kinds without a summary. Cloud records are
    summarised per VM over all its months, so all stored rows of the VMs are read here."""
    if kind not in summaries.CONTRIBUTIONS:
        return None
    if kind is RecordKind.CLOUD:
        old = _vm_rows(session, sorted({record["vm_uuid"] for record in added}))
        key_of = FAMILIES[kind].key_of
        new_by_key = {key_of(row): row for row in old}
        new_by_key.update((key_of(record), record) for record in added)
        return Plan(kind, summaries.changes(kind, old, list(new_by_key.values())))
    return Plan(kind, summaries.changes(kind, replaced, added))


def apply(session: Session, plan: Plan | None) -> None:
    """Add the plan's deltas to the summary table and mark its stale groups dirty."""
    if plan is None or not (plan.changes.deltas or plan.changes.stale):
        return
    table = _SUMMARY_TABLES[plan.kind]
    key_columns = summaries.KEY_COLUMNS[plan.kind]
    now = utcnow()
    rows = [
        {**dict(zip(key_columns, key, strict=True)), **_values(totals), "updated_at": now}
        for key, totals in plan.changes.deltas.items()
    ]
    if rows:
        session.execute(_accumulate(session, table, key_columns), rows)
    stale = sorted(plan.changes.stale, key=repr)
    ids = [row["id"] for _, row in rows_with_keys(session, table, key_columns, stale)]
    for chunk in _chunks(ids):
        session.execute(update(table).where(table.c.id.in_(chunk)).values(dirty=True))


def _values(totals: summaries.Totals) -> dict[str, Any]:
    values = {f.name: getattr(totals, f.name) for f in fields(totals)}
    if isinstance(totals, summaries.JobTotals):
        values["normalised_wall_duration"] = totals.normalised_wall_duration
        values["normalised_cpu_duration"] = totals.normalised_cpu_duration
    if isinstance(totals, summaries.CloudTotals) and totals.cloud_type is None:
        # A negative delta carries no cloud type, but the column is NOT NULL, which both
        # databases check on the proposed row before ON CONFLICT: '' sorts below every stored
        # type, so the GREATEST of the update keeps the stored one.
        values["cloud_type"] = ""
    return values


def _accumulate(session: Session, table: Table, key_columns: Sequence[str]) -> Any:
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = (postgresql.insert if postgres else sqlite.insert)(table)
    new = statement.excluded
    least, greatest = (func.least, func.greatest) if postgres else (func.min, func.max)
    settings: dict[str, Any] = {"updated_at": new.updated_at, "dirty": table.c.dirty}
    for column in table.c:
        name = column.name
        if name in key_columns or name in settings or name == "id":
            continue
        old = table.c[name]
        if name.startswith("earliest"):
            settings[name] = least(func.coalesce(old, new[name]), func.coalesce(new[name], old))
        elif name.startswith("latest") or name == "cloud_type":
            settings[name] = greatest(func.coalesce(old, new[name]), func.coalesce(new[name], old))
        elif name.startswith("normalised_") and name.endswith("_duration"):
            units = table.c[name.replace("_duration", "_units")]
            half = summaries.NORMALISED_UNITS // 2
            settings[name] = (units + new[units.name] + half) // summaries.NORMALISED_UNITS
        else:
            settings[name] = old + new[name]
    return statement.on_conflict_do_update(index_elements=list(key_columns), set_=settings)


def _vm_rows(session: Session, vm_uuids: Sequence[str]) -> list[dict[str, Any]]:
    table: Table = RECORD_TABLES[RecordKind.CLOUD].__table__  # type: ignore[assignment]
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(vm_uuids):
        rows.extend(
            dict(row)
            for row in session.execute(select(table).where(table.c.vm_uuid.in_(chunk))).mappings()
        )
    return rows


def rows_with_keys(
    session: Session, table: Table, key_columns: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> Iterator[tuple[tuple[Any, ...], RowMapping]]:
    """The rows of ``table`` whose ``key_columns`` hold one of ``keys`` (distinct), each with
    its key.

    Per chunk of keys, each column of the shortest prefix of the key with at least as many
    combinations of the chunk's values as the chunk has keys (site and LocalJobId for jobs,
    VMUUID for clouds) is matched with ``IN (...)``, and the rows found are matched whole in
    Python. Both databases search the key's index that way, where SQLite answers a row-value
    ``IN`` by scanning the whole table (each message would cost in proportion to everything
    stored before it).
    """
    wanted = set(keys)
    for chunk in _chunks(keys):
        conditions = []
        combinations = 1
        for index, name in enumerate(key_columns):
            values = sorted({key[index] for key in chunk})
            conditions.append(table.c[name].in_(values))
            combinations *= len(values)
            if combinations >= len(chunk):
                break
        for row in session.execute(select(table).where(*conditions)).mappings():
            key = tuple(row[name] for name in key_columns)
            if key in wanted:
                yield key, row


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _KEY_CHUNK):
        yield items[start : start + _KEY_CHUNK]


@dataclass(frozen=True, slots=True)
class Slice:
    """What one rebuild replaces: a site's month of one record kind; ``year``/``month`` are
    ``None`` for cloud records (all of the site's VMs)."""

    kind: RecordKind
    site: str
    year: int | None = None
    month: int | None = None


def rebuild(session: Session, part: Slice) -> int:
    """Recompute one slice's summary groups from its records; returns the groups written."""
    record_table: Table = RECORD_TABLES[part.kind].__table__  # type: ignore[assignment]
    summary_table = _SUMMARY_TABLES[part.kind]
    site_column = SITE_COLUMN[part.kind]
    records = select(record_table).where(record_table.c[site_column] == part.site)
    stale = delete(summary_table)
    summary_site = summary_table.c["site_name" if "site_name" in summary_table.c else "site"]
    stale = stale.where(summary_site == part.site)
    if part.kind is RecordKind.CLOUD:
        stale = stale.where(summary_table.c.source == "records")
    else:
        _, year_column, month_column, source = _SLICE[part.kind]
        records = records.where(
            record_table.c[year_column] == part.year, record_table.c[month_column] == part.month
        )
        stale = stale.where(summary_table.c.year == part.year, summary_table.c.month == part.month)
        if source is not None:
            stale = stale.where(summary_table.c.source == source)
    streamed = session.execute(records.execution_options(yield_per=5_000)).mappings()
    rows = (dict(row) for row in streamed)
    groups = summaries.aggregate(part.kind, rows)
    session.execute(stale)
    key_columns = summaries.KEY_COLUMNS[part.kind]
    now = utcnow()
    values = [
        {
            **dict(zip(key_columns, key, strict=True)),
            **_values(totals),
            "dirty": False,
            "updated_at": now,
        }
        for key, totals in groups.items()
    ]
    if values:
        session.execute(summary_table.insert(), values)
    return len(values)


def slices(session: Session, kind: RecordKind, *, site: str | None = None) -> list[Slice]:
    """Every slice holding records of ``kind`` (optionally of one site)."""
    record_table: Table = RECORD_TABLES[kind].__table__  # type: ignore[assignment]
    site_column = record_table.c[SITE_COLUMN[kind]]
    if kind is RecordKind.CLOUD:
        query = select(site_column).distinct()
    else:
        _, year_column, month_column, _ = _SLICE[kind]
        query = select(site_column, record_table.c[year_column], record_table.c[month_column])
        query = query.distinct()
    if site is not None:
        query = query.where(site_column == site)
    return [Slice(kind, *row) for row in session.execute(query)]


def dirty_slices(session: Session) -> list[Slice]:
    """The slices with a group marked dirty by a load."""
    found: set[Slice] = set()
    for kind, (_, _, _, source) in _SLICE.items():
        table = _SUMMARY_TABLES[kind]
        site = table.c["site_name" if "site_name" in table.c else "site"]
        query = select(site, table.c.year, table.c.month).where(table.c.dirty.is_(True))
        if source is not None:
            query = query.where(table.c.source == source)
        found.update(Slice(kind, *row) for row in session.execute(query.distinct()))
    cloud = CloudSuperSummary.__table__
    query = select(cloud.c.site_name).where(cloud.c.dirty.is_(True), cloud.c.source == "records")
    found.update(Slice(RecordKind.CLOUD, row[0]) for row in session.execute(query.distinct()))
    return sorted(found, key=lambda part: (part.kind, part.site, part.year or 0, part.month or 0))


def rebuild_dirty(session: Session) -> dict[str, int]:
    """Rebuild every dirty slice (the ``accounting.summarise-dirty`` job)."""
    parts = dirty_slices(session)
    groups = sum(rebuild(session, part) for part in parts)
    return {"slices": len(parts), "groups": groups}


def rebuild_all(
    session: Session, *, kinds: Iterable[RecordKind] | None = None, site: str | None = None
) -> dict[str, int]:
    """``fedcore accounting summarise``: every slice of every summarised kind, from records."""
    counts = {"slices": 0, "groups": 0}
    for kind in kinds or summaries.CONTRIBUTIONS:
        for part in slices(session, kind, site=site):
            counts["slices"] += 1
            counts["groups"] += rebuild(session, part)
    return counts


def summarise(
    *,
    session: Session,
    actor: Principal,
    site: str | None = None,
    kinds: Sequence[RecordKind] | None = None,
) -> dict[str, int]:
    """Rebuild every summary, or those of one site or of some record kinds (operators):
    ``fedcore accounting summarise`` and ``POST /api/accounting/summaries:rebuild``."""
    permissions.require("accounting.summaries.rebuild", session=session, actor=actor)
    for kind in kinds or ():
        if kind not in summaries.CONTRIBUTIONS:
            raise ValidationFailed(
                f"{kind} records have no summary; the summarised kinds are "
                + ", ".join(summaries.CONTRIBUTIONS),
                field="kind",
            )
    return rebuild_all(session, kinds=kinds, site=site)
