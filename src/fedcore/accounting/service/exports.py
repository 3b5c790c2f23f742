"""Exports: stored records and summaries as rows with APEL's column names (docs/accounting.md,
"Export"), and their CSV and JSON writers.

Record exports carry the family's fields in the order of the reference's field lists (§1.4 to
§1.12), then the derived columns APEL itself shows: VO, VOGroup, VORole and the measurement
time, month and year of a cloud record (APEL's view VCloudRecords), and VO, VOGroup, VORole,
MeasurementMonth and MeasurementYear of a public IP record (APEL's table IPRecords). A job's
EndYear and EndMonth are not in APEL's view VJobRecords, so they are not exported. APEL's
UpdateTime and PublisherDN are provenance, not record content, and are left out as well.

``job-summaries`` reads the super-summary after the route precedence: one source per
site-month, jobs before normalised summaries before summaries. ``cloud-summaries`` reads the
cloud super-summary's rows made from records, and received cloud summaries only for a
site-month without records.

Rows carry users' DNs: operators export every site, a site's administrators their site (which
they must name); anybody else is refused. Rows stream from the database (``yield_per``) and the
writers emit them in chunks, so memory stays flat at 10⁷ rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from fedcore.accounting.formats.records import FAMILIES, SITE_COLUMN, RecordKind
from fedcore.accounting.models import RECORD_TABLES, CloudSuperSummary, SuperSummary
from fedcore.accounting.permissions import administers_site
from fedcore.accounting.reports import CLOUD_SOURCE_PRECEDENCE, JOB_SOURCE_PRECEDENCE
from fedcore.accounting.service.periods import Period, in_period, parse_period
from fedcore.accounting.summaries import CLOUD_SUPER_SUMMARY_KEY, SUPER_SUMMARY_KEY
from fedcore.core.db import isoformat_z
from fedcore.core.errors import Forbidden, ValidationFailed
from fedcore.core.security import Principal

_YIELD_PER = 5_000
_CHUNK_ROWS = 1_000


class ExportKind(StrEnum):
    """What ``export`` writes: a record family, or one of the two summaries."""

    JOB_RECORDS = "job-records"
    JOB_SUMMARIES = "job-summaries"
    CLOUD_RECORDS = "cloud-records"
    CLOUD_SUMMARIES = "cloud-summaries"
    STORAGE_RECORDS = "storage-records"
    ACCELERATOR_RECORDS = "accelerator-records"
    IP_RECORDS = "ip-records"


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


_RECORD_KINDS = {
    ExportKind.JOB_RECORDS: RecordKind.JOB,
    ExportKind.CLOUD_RECORDS: RecordKind.CLOUD,
    ExportKind.STORAGE_RECORDS: RecordKind.STORAGE,
    ExportKind.ACCELERATOR_RECORDS: RecordKind.ACCELERATOR,
    ExportKind.IP_RECORDS: RecordKind.PUBLIC_IP,
}

# The derived columns APEL shows beside the fields (module docstring), with APEL's names.
_DERIVED: dict[RecordKind, dict[str, str]] = {
    RecordKind.CLOUD: {
        "vo": "VO",
        "vo_group": "VOGroup",
        "vo_role": "VORole",
        "measurement_time": "MeasurementTime",
        "measurement_month": "MeasurementMonth",
        "measurement_year": "MeasurementYear",
    },
    RecordKind.PUBLIC_IP: {
        "vo": "VO",
        "vo_group": "VOGroup",
        "vo_role": "VORole",
        "measurement_month": "MeasurementMonth",
        "measurement_year": "MeasurementYear",
    },
}

# The (year, month) columns a record kind's period filter reads; storage snapshots have none
# and are filtered by their EndTime.
_PERIOD_COLUMNS: dict[RecordKind, tuple[str, str]] = {
    RecordKind.JOB: ("end_year", "end_month"),
    RecordKind.CLOUD: ("measurement_year", "measurement_month"),
    RecordKind.ACCELERATOR: ("measurement_year", "measurement_month"),
    RecordKind.PUBLIC_IP: ("measurement_year", "measurement_month"),
}

JOB_SUMMARY_COLUMNS = {
    "Site": "site",
    "Month": "month",
    "Year": "year",
    "GlobalUserName": "global_user_name",
    "VO": "vo",
    "VOGroup": "vo_group",
    "VORole": "vo_role",
    "SubmitHost": "submit_host",
    "Infrastructure": "infrastructure",
    "ServiceLevelType": "service_level_type",
    "ServiceLevel": "service_level",
    "NodeCount": "node_count",
    "Processors": "processors",
    "EarliestEndTime": "earliest_end_time",
    "LatestEndTime": "latest_end_time",
    "WallDuration": "wall_duration",
    "CpuDuration": "cpu_duration",
    "NormalisedWallDuration": "normalised_wall_duration",
    "NormalisedCpuDuration": "normalised_cpu_duration",
    "NumberOfJobs": "number_of_jobs",
}
"""APEL's names of the ``job-summaries`` columns → super-summary columns."""

CLOUD_SUMMARY_COLUMNS = {
    apel: column for column, apel in FAMILIES[RecordKind.CLOUD_SUMMARY].apel_names.items()
}
"""APEL's names of the ``cloud-summaries`` columns (the cloud summary message's fields, §1.9)
→ cloud super-summary columns."""


# The summary key columns that select a slice (ordered first) or its route (not ordered by).
_SLICE_NAMES = frozenset({"source", "site", "site_name", "year", "month"})


def parse_kind(value: str) -> ExportKind:
    """The export kind named ``value``, or :class:`ValidationFailed` listing the kinds."""
    try:
        return ExportKind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in ExportKind)
        raise ValidationFailed(
            f"unknown export kind {value!r}: expected one of {allowed}", field="kind"
        ) from None


def export_rows(
    *,
    session: Session,
    actor: Principal,
    kind: str,
    site: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
) -> tuple[list[str], Iterator[list[Any]]]:
    """APEL's column names and the rows of ``kind`` (optionally one site's, and months
    ``from_month`` to ``to_month``, ``YYYY-MM``, inclusive).

    Checks the caller and the arguments at once; the rows are read lazily, as the caller
    iterates them, in the caller's transaction. Times are ISO 8601 strings with ``Z``; a NULL is
    ``None``.
    """
    export_kind = parse_kind(kind)
    period = parse_period(from_month, to_month)
    _check_reader(session, actor, site)
    if export_kind is ExportKind.JOB_SUMMARIES:
        query = _summary_query(
            SuperSummary, SUPER_SUMMARY_KEY, JOB_SOURCE_PRECEDENCE, "site", site, period
        )
        columns = JOB_SUMMARY_COLUMNS
    elif export_kind is ExportKind.CLOUD_SUMMARIES:
        query = _summary_query(
            CloudSuperSummary,
            CLOUD_SUPER_SUMMARY_KEY,
            CLOUD_SOURCE_PRECEDENCE,
            "site_name",
            site,
            period,
        )
        columns = CLOUD_SUMMARY_COLUMNS
    else:
        record_kind = _RECORD_KINDS[export_kind]
        query, columns = _record_query(record_kind, site, period)
    rows = _stream(session, query, list(columns.values()))
    return list(columns), rows


def _check_reader(session: Session, actor: Principal, site: str | None) -> None:
    if actor.is_admin:
        return
    if site is None:
        raise Forbidden(
            "exports carry users' DNs: only operators export every site; a site's "
            "administrators name their site",
            field="site",
        )
    if not actor.is_authenticated or not administers_site(session, actor, site):
        raise Forbidden(
            f"{actor.subject or 'an anonymous caller'} does not administer site {site}, "
            "whose exports carry users' DNs",
            field="site",
        )


def _record_query(
    kind: RecordKind, site: str | None, period: Period
) -> tuple[Select[Any], dict[str, str]]:
    family = FAMILIES[kind]
    columns = {apel: column for column, apel in family.apel_names.items()}
    columns.update({apel: column for column, apel in _DERIVED.get(kind, {}).items()})
    table = RECORD_TABLES[kind].__table__
    query = select(*(table.c[column] for column in columns.values())).order_by(table.c.id)
    if site is not None:
        query = query.where(table.c[SITE_COLUMN[kind]] == site)
    if kind in _PERIOD_COLUMNS:
        year_column, month_column = _PERIOD_COLUMNS[kind]
        query = query.where(*in_period(table.c[year_column], table.c[month_column], period))
    else:
        end_time = table.c.end_time
        if period.first:
            query = query.where(end_time >= _month_start(period.first))
        if period.last:
            year, month = period.last
            following = (year + 1, 1) if month == 12 else (year, month + 1)
            query = query.where(end_time < _month_start(following))
    return query, columns


def _summary_query(
    model: type[SuperSummary] | type[CloudSuperSummary],
    key: Sequence[str],
    precedence: Sequence[str],
    site_column: str,
    site: str | None,
    period: Period,
) -> Select[Any]:
    """The summary rows of each site-month's first source in ``precedence``."""
    table = model.__table__
    rank = case({source: index for index, source in enumerate(precedence)}, value=table.c.source)
    slice_columns = (table.c[site_column], table.c.year, table.c.month)
    filters = in_period(table.c.year, table.c.month, period)
    if site is not None:
        filters.append(table.c[site_column] == site)
    best = (
        select(*slice_columns, func.min(rank).label("rank"))
        .where(*filters)
        .group_by(*slice_columns)
        .subquery()
    )
    joined = table.join(
        best,
        and_(
            *(column == best.c[column.name] for column in slice_columns),
            rank == best.c.rank,
        ),
    )
    order = (*slice_columns, *(table.c[name] for name in key if name not in _SLICE_NAMES))
    return select(table).select_from(joined).where(*filters).order_by(*order)


def _month_start(month: tuple[int, int]) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=UTC)


def _stream(session: Session, query: Select[Any], columns: list[str]) -> Iterator[list[Any]]:
    result = session.execute(query.execution_options(yield_per=_YIELD_PER)).mappings()
    for row in result:
        yield [_value(row[column]) for column in columns]


def _value(value: Any) -> Any:
    return isoformat_z(value) if isinstance(value, datetime) else value


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text in chunks: a header of APEL's names, then one line per row (NULL empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % _CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def write_json(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A JSON array of objects keyed by APEL's names (NULL as ``null``), written in chunks as
    the rows come, never built whole."""
    parts = ["["]
    separator = "\n"
    for count, row in enumerate(rows, start=1):
        parts.append(separator + json.dumps(dict(zip(columns, row, strict=True))))
        separator = ",\n"
        if count % _CHUNK_ROWS == 0:
            yield "".join(parts)
            parts.clear()
    parts.append("\n]\n")
    yield "".join(parts)


WRITERS = {ExportFormat.CSV: write_csv, ExportFormat.JSON: write_json}
"""The writer of each export format."""
