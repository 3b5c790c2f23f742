"""What the monitoring pages show, read from stored results: the report grid (each endpoint
group's status of a day and its month's A/R, under its supergroup), one endpoint group's day at
every level with the probes' summaries, daily A/R over a month, and the explanation of why an
entity was not up on a day (the metric results, downtimes and recomputations behind it).

Everything here reads; nothing is computed again. A state counts as *up* when it is OK or
WARNING (reference §8); every other state of a timeline is a problem the explanation names.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.core.errors import NotFound
from fedcore.monitoring.enums import Level
from fedcore.monitoring.models import ComputedDay, DailyAR, MetricResult, Report, StatusTimeline
from fedcore.monitoring.service.argo_results import (
    ARSeries,
    Filter,
    Granularity,
    SupergroupSeries,
    ar_series,
    group_types,
    supergroup_series,
)
from fedcore.monitoring.service.computation import midnight
from fedcore.monitoring.service.profiles import version_at
from fedcore.monitoring.service.reports import get_report
from fedcore.monitoring.timelines import DAY_SECONDS, day_start, parse_timestamp

DAY = timedelta(days=1)
DEFAULT_TARGETS = {"availability": 80.0, "reliability": 85.0}


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSummary:
    """A report as the pages show it: its version valid on ``day`` (else its first one)."""

    name: str
    description: str
    supergroup_type: str
    group_type: str
    availability_target: float
    reliability_target: float
    disabled: bool
    last_day: date | None


def _summary(report: Report, day: date, last_day: date | None) -> ReportSummary:
    document: dict[str, Any] = (version_at(report.versions, day) or report.versions[0]).document
    types = group_types(report, day)
    targets = {**DEFAULT_TARGETS, **(document.get("thresholds") or {})}
    return ReportSummary(
        name=report.name,
        description=str(document.get("description") or ""),
        supergroup_type=types.supergroup,
        group_type=types.endpoint_group,
        availability_target=float(targets["availability"]),
        reliability_target=float(targets["reliability"]),
        disabled=bool(document.get("disabled")),
        last_day=last_day,
    )


def _last_days(
    session: Session, *, report_id: int | None = None, up_to: date | None = None
) -> dict[int, date]:
    """Each report's last day computed or imported (imported days have A/R rows only)."""
    last: dict[int, date] = {}
    for model in (ComputedDay, DailyAR):
        stmt = select(model.report_id, func.max(model.day)).group_by(model.report_id)
        if report_id is not None:
            stmt = stmt.where(model.report_id == report_id)
        if up_to is not None:
            stmt = stmt.where(model.day <= up_to)
        for found, day in session.execute(stmt):
            last[found] = max(day, last.get(found, day))
    return last


def report_summaries(*, session: Session, day: date) -> list[ReportSummary]:
    """Every report, by name, with the last day computed (or imported) for it."""
    last = _last_days(session)
    stmt = select(Report).order_by(Report.name)
    reports = session.scalars(stmt).all()
    return [_summary(report, day, last.get(report.id)) for report in reports]


def report_summary(*, session: Session, name: str, day: date) -> ReportSummary:
    report = get_report(session=session, name=name)
    last = _last_days(session, report_id=report.id, up_to=day).get(report.id)
    return _summary(report, day, last)


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s month."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


# --- the report grid ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCell:
    """An endpoint group: its state at the end of the day (``None``: not computed) and its A/R
    over the month of the day (``None``: no day stored)."""

    name: str
    status: str | None
    availability: float | None
    reliability: float | None


@dataclass(frozen=True)
class SupergroupRow:
    name: str
    availability: float | None
    reliability: float | None
    groups: list[GroupCell]


def report_grid(*, session: Session, report: str, day: date) -> list[SupergroupRow]:
    """The report's endpoint groups under their supergroups, by name."""
    report_id = get_report(session=session, name=report).id
    first, last = month_of(day)
    status: dict[tuple[str, str], str] = {
        (row.supergroup, row.group): row.timeline[-1][1]
        for row in session.scalars(
            select(StatusTimeline).where(
                StatusTimeline.report_id == report_id,
                StatusTimeline.day == day,
                StatusTimeline.level == str(Level.GROUP),
            )
        )
    }
    month: dict[tuple[str, str], tuple[float, float]] = {
        (series.supergroup, series.group): (
            series.points[0].availability,
            series.points[0].reliability,
        )
        for series in ar_series(
            session=session,
            report=report,
            level=Level.GROUP,
            start=first,
            end=last,
            granularity=Granularity.MONTHLY,
        )
    }
    supergroups: dict[str, tuple[float | None, float | None]] = {
        series.name: (series.points[0].availability, series.points[0].reliability)
        if series.points
        else (None, None)
        for series in supergroup_series(
            session=session, report=report, start=first, end=last, granularity=Granularity.MONTHLY
        )
    }
    rows: dict[str, list[GroupCell]] = {}
    for supergroup, group in sorted(status.keys() | month.keys()):
        a, r = month.get((supergroup, group), (None, None))
        rows.setdefault(supergroup, []).append(
            GroupCell(group, status.get((supergroup, group)), a, r)
        )
    return [
        SupergroupRow(name, *supergroups.get(name, (None, None)), groups=cells)
        for name, cells in rows.items()
    ]


def _latest_group_row(session: Session, report: str, field: str, **match: str) -> tuple[str, str]:
    """(group, supergroup) of the report's latest stored endpoint-group A/R row matching
    ``match`` (``group=`` or ``supergroup=``), or NotFound naming ``field``."""
    report_id = get_report(session=session, name=report).id
    stmt = select(DailyAR.group, DailyAR.supergroup).where(
        DailyAR.report_id == report_id, DailyAR.level == str(Level.GROUP)
    )
    for column, value in match.items():
        stmt = stmt.where(getattr(DailyAR, column) == value)
    row = session.execute(stmt.order_by(DailyAR.day.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"report {report!r} has no results of {match[field]!r}", field=field)
    return row.group, row.supergroup


def find_group(*, session: Session, report: str, group: str) -> str:
    """The supergroup of a stored endpoint group of the report (its latest), or NotFound."""
    return _latest_group_row(session, report, "group", group=group)[1]


def find_supergroup(*, session: Session, report: str, supergroup: str) -> None:
    """NotFound unless the report has stored results of an endpoint group in ``supergroup``."""
    _latest_group_row(session, report, "supergroup", supergroup=supergroup)


# --- one endpoint group's day -------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A state held from ``start`` to ``end`` (seconds after the day's 00:00); ``result`` is a
    metric's probe result in force at its start, when there is one."""

    start: int
    end: int
    state: str
    result: ProbeResult | None = None


@dataclass(frozen=True)
class ProbeResult:
    timestamp: datetime
    hostname: str
    service: str
    metric: str
    status: str
    monitoring_host: str
    summary: str
    message: str


@dataclass(frozen=True)
class Line:
    """One entity's timeline of the day; the fields below its level are ``""``."""

    level: Level
    function: str
    service: str
    hostname: str
    metric: str
    has_threshold: bool
    segments: list[Segment]
    availability: float | None = None
    reliability: float | None = None

    @property
    def element(self) -> dict[str, str | None]:
        return {
            "service": self.service or None,
            "hostname": self.hostname or None,
            "metric": self.metric or None,
        }


@dataclass(frozen=True)
class GroupDay:
    group: str
    supergroup: str
    day: date
    computed: ComputedDay | None
    lines: list[Line]
    """Group first, then each function with its services, their endpoints and metrics."""


def _segments(timeline: Sequence[Sequence[str]], start: int) -> list[tuple[int, int, str]]:
    moments = [parse_timestamp(moment, "timeline") - start for moment, _ in timeline]
    ends = [*moments[1:], DAY_SECONDS]
    return [(m, e, state) for m, e, (_, state) in zip(moments, ends, timeline, strict=True)]


def stored_results(
    *, session: Session, hostnames: Iterable[str], start: datetime, end: datetime
) -> list[ProbeResult]:
    """The stored results of ``hostnames`` with ``start <= timestamp < end``, oldest first."""
    hosts = sorted(set(hostnames))
    if not hosts:
        return []
    stmt = (
        select(MetricResult)
        .where(
            MetricResult.hostname.in_(hosts),
            MetricResult.timestamp >= start,
            MetricResult.timestamp < end,
        )
        .order_by(MetricResult.timestamp, MetricResult.id)
    )
    return [
        ProbeResult(
            timestamp=row.timestamp,
            hostname=row.hostname,
            service=row.service,
            metric=row.metric,
            status=row.status,
            monitoring_host=row.monitoring_host,
            summary=row.summary or "",
            message=row.message or "",
        )
        for row in session.scalars(stmt)
    ]


def _in_force(results: Sequence[ProbeResult], moment: datetime) -> ProbeResult | None:
    found = None
    for result in results:
        if result.timestamp > moment:
            break
        found = result
    return found


def group_day(*, session: Session, report: str, group: str, day: date) -> GroupDay:
    """Every stored timeline of ``group`` on ``day`` with the daily A/R of its levels; metric
    segments carry the result in force at their start (of the day or the day before)."""
    supergroup = find_group(session=session, report=report, group=group)
    report_id = get_report(session=session, name=report).id
    rows = list(
        session.scalars(
            select(StatusTimeline).where(
                StatusTimeline.report_id == report_id,
                StatusTimeline.day == day,
                StatusTimeline.group == group,
            )
        )
    )
    ars = {
        (row.level, row.service, row.hostname): (row.availability, row.reliability)
        for row in session.scalars(
            select(DailyAR).where(
                DailyAR.report_id == report_id, DailyAR.day == day, DailyAR.group == group
            )
        )
    }
    start = midnight(day)
    results: dict[tuple[str, str, str], list[ProbeResult]] = {}
    hostnames = {row.hostname for row in rows if row.metric}
    for result in stored_results(
        session=session, hostnames=hostnames, start=start - DAY, end=start + DAY
    ):
        results.setdefault((result.hostname, result.service, result.metric), []).append(result)
    rows.sort(key=lambda r: (r.function, r.service, r.hostname, r.metric))
    lines = []
    for row in rows:
        probes = results.get((row.hostname, row.service, row.metric), [])
        segments = [
            Segment(
                begin,
                end,
                state,
                _in_force(probes, start + timedelta(seconds=begin)) if row.metric else None,
            )
            for begin, end, state in _segments(row.timeline, day_start(day))
        ]
        a, r = ars.get((row.level, row.service, row.hostname), (None, None))
        lines.append(
            Line(
                Level(row.level),
                row.function,
                row.service,
                row.hostname,
                row.metric,
                row.has_threshold,
                segments,
                a,
                r,
            )
        )
    computed = session.scalar(
        select(ComputedDay).where(ComputedDay.report_id == report_id, ComputedDay.day == day)
    )
    return GroupDay(group, supergroup, day, computed, lines)


# --- months -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayValue:
    """A day's A and R (-1: undefined; a supergroup's day without a defined value is absent)."""

    day: date
    availability: float
    reliability: float


@dataclass(frozen=True)
class Month:
    first: date
    last: date
    days: list[DayValue]
    availability: float | None
    reliability: float | None


def _month(
    first: date,
    last: date,
    series: dict[Granularity, list[ARSeries]] | dict[Granularity, list[SupergroupSeries]],
) -> Month:
    """A month's daily values and total from its daily and monthly series."""
    days = [
        DayValue(date.fromisoformat(str(p.period)), p.availability, p.reliability)
        for s in series[Granularity.DAILY]
        for p in s.points
    ]
    totals = [p for s in series[Granularity.MONTHLY] for p in s.points]
    return Month(
        first,
        last,
        days,
        totals[0].availability if totals else None,
        totals[0].reliability if totals else None,
    )


_GRANULARITIES = (Granularity.DAILY, Granularity.MONTHLY)


def group_month(*, session: Session, report: str, group: str, day: date) -> Month:
    """An endpoint group's daily A/R over the month of ``day``, and the month's."""
    find_group(session=session, report=report, group=group)
    first, last = month_of(day)
    return _month(
        first,
        last,
        {
            granularity: ar_series(
                session=session,
                report=report,
                level=Level.GROUP,
                start=first,
                end=last,
                granularity=granularity,
                where=Filter(group=group),
            )
            for granularity in _GRANULARITIES
        },
    )


def supergroup_month(*, session: Session, report: str, supergroup: str, day: date) -> Month:
    """A supergroup's daily A/R (its groups' weighted mean) over the month of ``day``."""
    find_supergroup(session=session, report=report, supergroup=supergroup)
    first, last = month_of(day)
    return _month(
        first,
        last,
        {
            granularity: supergroup_series(
                session=session,
                report=report,
                start=first,
                end=last,
                granularity=granularity,
                supergroup=supergroup,
            )
            for granularity in _GRANULARITIES
        },
    )
