"""Stored results read back per entity and period, as argo-web-api serves them (reference §9,
§12): daily A/R rows of endpoints, services and endpoint groups (computed or imported) over a
range of days, at daily, monthly or custom granularity; supergroup (NGI) A/R from the
endpoint groups' daily values and weights; status timelines of a range of days.

Monthly and custom values are ARGO's (:mod:`fedcore.monitoring.ar`): the mean of the daily
fractions of the days stored for the entity, A and R from those means with ARGO's epsilon;
supergroups: the weighted daily mean of their endpoint groups, then the plain mean over the
period. A day is in a range when its date is, whatever the time of day of the range's ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import ValidationFailed
from fedcore.monitoring import ar
from fedcore.monitoring.enums import Level
from fedcore.monitoring.models import DailyAR, Report, StatusTimeline
from fedcore.monitoring.service.profiles import version_at
from fedcore.monitoring.service.reports import get_report


class Granularity(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"
    CUSTOM = "custom"


@dataclass(frozen=True)
class GroupTypes:
    """A report's ``topology_schema``: the supergroup type (e.g. NGI) and the endpoint-group
    type (e.g. SITES)."""

    supergroup: str
    endpoint_group: str


def schema_types(schema: Any) -> GroupTypes:
    """The types of a ``topology_schema`` (``{"group": {"type", "group": {"type"}}}``); ``""``
    where one is missing."""
    outer = schema.get("group") if isinstance(schema, Mapping) else None
    inner = outer.get("group") if isinstance(outer, Mapping) else None
    return GroupTypes(
        *(
            str(node.get("type") or "") if isinstance(node, Mapping) else ""
            for node in (outer, inner)
        )
    )


def group_types(report: Report, day: date | None = None) -> GroupTypes:
    """The types of the report's version valid on ``day`` (default today; its first version if
    none is yet)."""
    version = version_at(report.versions, day or utcnow().date()) or report.versions[0]
    return schema_types(version.document.get("topology_schema"))


@dataclass(frozen=True)
class ARPoint:
    """One value of a series: ``period`` is ``YYYY-MM-DD`` (daily), ``YYYY-MM`` (monthly) or
    None (custom)."""

    period: str | None
    availability: float
    reliability: float
    up: float
    unknown: float
    down: float


@dataclass(frozen=True)
class ARSeries:
    """An endpoint, service or endpoint group with its values over the period; the fields
    below its level are ``""``."""

    supergroup: str
    group: str
    service: str
    hostname: str
    info: dict[str, str]
    points: list[ARPoint]


@dataclass(frozen=True)
class Filter:
    """Which entities: every one given narrows (``""`` or None: any)."""

    supergroup: str | None = None
    group: str | None = None
    service: str | None = None
    hostname: str | None = None


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(f"the end {end} is before the start {start}", field="end_time")


def _rows(
    session: Session, report_id: int, level: Level, start: date, end: date, where: Filter
) -> list[DailyAR]:
    stmt = select(DailyAR).where(
        DailyAR.report_id == report_id,
        DailyAR.level == str(level),
        DailyAR.day >= start,
        DailyAR.day <= end,
    )
    for column, value in (
        (DailyAR.supergroup, where.supergroup),
        (DailyAR.group, where.group),
        (DailyAR.service, where.service),
        (DailyAR.hostname, where.hostname),
    ):
        if value:
            stmt = stmt.where(column == value)
    stmt = stmt.order_by(
        DailyAR.supergroup, DailyAR.group, DailyAR.service, DailyAR.hostname, DailyAR.day
    )
    return list(session.scalars(stmt))


def _daily(row: DailyAR) -> ar.DailyAR:
    return ar.DailyAR(row.availability, row.reliability, row.up, row.unknown, row.down)


def _points(days: dict[date, ar.DailyAR], granularity: Granularity) -> list[ARPoint]:
    if granularity == Granularity.DAILY:
        return [
            ARPoint(day.isoformat(), v.availability, v.reliability, v.up, v.unknown, v.down)
            for day, v in sorted(days.items())
        ]
    if granularity == Granularity.MONTHLY:
        periods: Iterable[tuple[str | None, ar.PeriodAR]] = ar.monthly_ar(days).items()
    else:
        periods = [(None, ar.period_ar([days[day] for day in sorted(days)]))]
    return [
        ARPoint(period, p.availability, p.reliability, p.up, p.unknown, p.down)
        for period, p in periods
    ]


def ar_series(
    *,
    session: Session,
    report: str,
    level: Level,
    start: date,
    end: date,
    granularity: Granularity,
    where: Filter | None = None,
) -> list[ARSeries]:
    """A/R of the report's endpoints, services or endpoint groups over ``[start, end]`` (days,
    both included), ordered by supergroup, group, service, hostname."""
    _check_range(start, end)
    report_id = get_report(session=session, name=report).id
    entities: dict[tuple[str, str, str, str], list[DailyAR]] = {}
    for row in _rows(session, report_id, level, start, end, where or Filter()):
        entities.setdefault((row.supergroup, row.group, row.service, row.hostname), []).append(row)
    return [
        ARSeries(
            *key,
            info=dict(rows[-1].info or {}),
            points=_points({row.day: _daily(row) for row in rows}, granularity),
        )
        for key, rows in entities.items()
    ]


@dataclass(frozen=True)
class SupergroupPoint:
    period: str | None
    availability: float
    reliability: float


@dataclass(frozen=True)
class SupergroupSeries:
    name: str
    points: list[SupergroupPoint]
    groups: list[ARSeries] = field(default_factory=list)
    """Its endpoint groups' series at the same granularity."""


def _supergroup_points(rows: Sequence[DailyAR], granularity: Granularity) -> list[SupergroupPoint]:
    members: dict[date, list[tuple[ar.DailyAR, float]]] = {}
    for row in rows:
        members.setdefault(row.day, []).append((_daily(row), row.weight))
    daily = {day: ar.supergroup_daily(values) for day, values in sorted(members.items())}
    if granularity == Granularity.DAILY:
        return [
            SupergroupPoint(day.isoformat(), a, r)
            for day, (a, r) in daily.items()
            if a is not None and r is not None
        ]
    periods: dict[str | None, list[tuple[float | None, float | None]]] = {}
    for day, pair in daily.items():
        key = day.strftime("%Y-%m") if granularity == Granularity.MONTHLY else None
        periods.setdefault(key, []).append(pair)
    points = []
    for period, pairs in periods.items():
        a, r = ar.supergroup_period(pairs)
        if a is not None and r is not None:
            points.append(SupergroupPoint(period, a, r))
    return points


def supergroup_series(
    *,
    session: Session,
    report: str,
    start: date,
    end: date,
    granularity: Granularity,
    supergroup: str | None = None,
) -> list[SupergroupSeries]:
    """A/R of the report's supergroups over ``[start, end]`` with their endpoint groups'
    series; a day (or period) on which no endpoint group has a defined value is left out."""
    _check_range(start, end)
    report_id = get_report(session=session, name=report).id
    rows = _rows(session, report_id, Level.GROUP, start, end, Filter(supergroup=supergroup))
    by_supergroup: dict[str, list[DailyAR]] = {}
    for row in rows:
        by_supergroup.setdefault(row.supergroup, []).append(row)
    result = []
    for name, members in by_supergroup.items():
        groups: dict[str, list[DailyAR]] = {}
        for row in members:
            groups.setdefault(row.group, []).append(row)
        result.append(
            SupergroupSeries(
                name,
                _supergroup_points(members, granularity),
                [
                    ARSeries(
                        name,
                        group,
                        "",
                        "",
                        {},
                        _points({row.day: _daily(row) for row in group_rows}, granularity),
                    )
                    for group, group_rows in groups.items()
                ],
            )
        )
    return result


@dataclass(frozen=True)
class StatusSeries:
    """The status change points of one entity over the days asked, each day's from 00:00:00;
    ``info`` is an endpoint's (from its daily A/R row of the last day, when there is one)."""

    supergroup: str
    group: str
    service: str
    hostname: str
    metric: str
    info: dict[str, str]
    points: list[tuple[str, str]]


@dataclass(frozen=True)
class StatusFilter:
    group: str | None = None
    service: str | None = None
    hostname: str | None = None
    metric: str | None = None


def status_series(
    *,
    session: Session,
    report: str,
    level: Level,
    start: date,
    end: date,
    where: StatusFilter | None = None,
) -> list[StatusSeries]:
    """Status timelines of the report's entities of ``level`` on the days ``[start, end]``,
    ordered by group, service, hostname, metric."""
    _check_range(start, end)
    where = where or StatusFilter()
    report_id = get_report(session=session, name=report).id
    stmt = select(StatusTimeline).where(
        StatusTimeline.report_id == report_id,
        StatusTimeline.level == str(level),
        StatusTimeline.day >= start,
        StatusTimeline.day <= end,
    )
    stmt = stmt.where(*_narrowing(StatusTimeline, where))
    if where.metric:
        stmt = stmt.where(StatusTimeline.metric == where.metric)
    stmt = stmt.order_by(
        StatusTimeline.group,
        StatusTimeline.service,
        StatusTimeline.hostname,
        StatusTimeline.metric,
        StatusTimeline.day,
    )
    entities: dict[tuple[str, str, str, str], list[StatusTimeline]] = {}
    for row in session.scalars(stmt):
        entities.setdefault((row.group, row.service, row.hostname, row.metric), []).append(row)
    info = _endpoint_info(session, report_id, start, end, where) if level == Level.ENDPOINT else {}
    return [
        StatusSeries(
            supergroup=rows[-1].supergroup,
            group=group,
            service=service,
            hostname=hostname,
            metric=metric,
            info=info.get((group, service, hostname), {}),
            points=[(moment, state) for row in rows for moment, state in row.timeline],
        )
        for (group, service, hostname, metric), rows in entities.items()
    ]


def _narrowing(
    model: type[StatusTimeline] | type[DailyAR], where: StatusFilter
) -> list[ColumnElement[bool]]:
    """The conditions on ``model`` of the group, service and hostname ``where`` gives."""
    names = ("group", "service", "hostname")
    return [getattr(model, n) == getattr(where, n) for n in names if getattr(where, n)]


def _endpoint_info(
    session: Session, report_id: int, start: date, end: date, where: StatusFilter
) -> dict[tuple[str, str, str], dict[str, str]]:
    """The ``info`` of the endpoints ``where`` selects (their last day's)."""
    stmt = select(DailyAR.group, DailyAR.service, DailyAR.hostname, DailyAR.info).where(
        DailyAR.report_id == report_id,
        DailyAR.level == str(Level.ENDPOINT),
        DailyAR.day >= start,
        DailyAR.day <= end,
    )
    stmt = stmt.where(*_narrowing(DailyAR, where)).order_by(DailyAR.day)
    return {(g, s, h): dict(i or {}) for g, s, h, i in session.execute(stmt)}
