"""The daily computation through the real path (reference §2): one report's day from the
stored metric results (the previous day's for the carry-over), the registry's topology and
scheduled outages, the profile versions valid that day and the report's recomputations; the
engine (:func:`fedcore.monitoring.pipeline.compute_day`) computes, and this module stores its
timelines and daily A/R in place of the day's earlier ones.

The current day is computed up to "now": the last state of every timeline holds until
midnight (ARGO's extrapolation; the A/R denominator is always the whole day) and no downtime
reaches beyond now. A result whose status the report's operations profile does not declare is
left out (ingestion accepts the states of every stored operations profile).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import FedcoreError, ValidationFailed
from fedcore.core.logging import get_logger
from fedcore.core.security import Principal
from fedcore.monitoring import pipeline
from fedcore.monitoring.enums import Level, ProfileKind, RecomputationStatus
from fedcore.monitoring.models import (
    ComputedDay,
    DailyAR,
    MetricResult,
    Recomputation,
    StatusTimeline,
)
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.profiles import load_aggregation_profile, load_metric_profile
from fedcore.monitoring.recomputations import load_recomputations
from fedcore.monitoring.service.profiles import ProfileOnDay, profile_on, version_at
from fedcore.monitoring.service.recomputations import argo_document
from fedcore.monitoring.service.reports import get_report, list_reports, profile_names, report_on
from fedcore.monitoring.service.results import results_between
from fedcore.monitoring.service.topology import registry_downtimes, registry_topology
from fedcore.monitoring.states import InputError, load_operations_profile
from fedcore.monitoring.thresholds import load_threshold_profile
from fedcore.monitoring.timelines import to_json
from fedcore.monitoring.topology import Topology

log = get_logger("fedcore.monitoring")
DAY = timedelta(days=1)
CATCH_UP = 7
"""How many days before today the job computes again when they are not computed complete
(the server was down) or results of theirs arrived after their computation."""


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _new_metrics(
    session: Session, name: str, today: ProfileOnDay, day: date
) -> frozenset[tuple[str, str]]:
    """(service, metric) pairs of the metric profile's version of ``day`` that the version of
    the day before lacks (none when the profile did not exist the day before)."""
    before = version_at(today.profile.versions, day - DAY)
    if before is None or before is today.version:
        return frozenset()
    old = load_metric_profile(before.document)
    new = load_metric_profile(today.version.document)
    return frozenset(
        (service, metric)
        for service, metrics in new.metrics.items()
        for metric in metrics
        if metric not in old.of(service)
    )


def _recomputations(session: Session, report_id: int, day: date) -> list[dict[str, Any]]:
    """The report's applied recomputations overlapping the day or the day before."""
    stmt = (
        select(Recomputation)
        .where(
            Recomputation.report_id == report_id,
            Recomputation.start_time < midnight(day) + DAY,
            Recomputation.end_time >= midnight(day) - DAY,
            or_(
                *(
                    Recomputation.status == status
                    for status in RecomputationStatus
                    if status not in (RecomputationStatus.PENDING, RecomputationStatus.REJECTED)
                )
            ),
        )
        .order_by(Recomputation.id)
    )
    return [argo_document(r) for r in session.scalars(stmt)]


def _engine_results(rows: Sequence[Any], states: Sequence[str]) -> list[pipeline.MetricResult]:
    return [
        pipeline.MetricResult(
            timestamp=int(row.timestamp.timestamp()),
            service=row.service,
            hostname=row.hostname,
            metric=row.metric,
            status=row.status,
            monitoring_host=row.monitoring_host or None,
            actual_data=row.actual_data,
        )
        for row in rows
        if row.status in states
    ]


def day_input(
    *, session: Session, report: str, day: date, now: datetime
) -> tuple[int, pipeline.DayInput, dict[str, Any], int]:
    """The engine's input for a report's day: (report id, input, profile versions used,
    results read)."""
    current = report_on(session=session, name=report, day=day)
    document = current.version.document
    names = profile_names(document)
    used = {
        kind: profile_on(session=session, kind=kind, name=name, day=day)
        for kind, name in names.items()
    }
    start = midnight(day)
    rows = results_between(session=session, start=start - DAY, end=min(start + DAY, now))
    try:
        operations = load_operations_profile(used[ProfileKind.OPERATIONS].version.document)
        thresholds = used.get(ProfileKind.THRESHOLDS)
        results = _engine_results(rows, operations.states)
        data = pipeline.DayInput(
            day=day,
            operations=operations,
            aggregation=load_aggregation_profile(
                used[ProfileKind.AGGREGATION].version.document, operations
            ),
            metric_profile=load_metric_profile(used[ProfileKind.METRIC].version.document),
            topology=registry_topology(session=session, report=document),
            results=[r for r in results if r.timestamp >= start.timestamp()],
            previous_day=[r for r in results if r.timestamp < start.timestamp()],
            downtimes=registry_downtimes(session=session, day=day, now=now),
            recomputations=load_recomputations(
                _recomputations(session, current.report.id, day), operations
            ),
            thresholds=load_threshold_profile(thresholds.version.document) if thresholds else None,
            new_metrics=_new_metrics(
                session, names[ProfileKind.METRIC], used[ProfileKind.METRIC], day
            ),
        )
    except InputError as exc:
        raise ValidationFailed(f"report {report!r} on {day}: {exc}", field="report") from None
    versions = {
        str(kind): {"name": on.profile.name, "valid_from": on.version.valid_from.isoformat()}
        for kind, on in used.items()
    }
    return current.report.id, data, versions, len(rows)


def _timeline_rows(
    report_id: int, day: date, result: pipeline.DayResult, topology: Topology
) -> list[dict[str, Any]]:
    levels = (
        (Level.METRIC, result.metrics),
        (Level.ENDPOINT, result.endpoints),
        (Level.SERVICE, result.services),
        (Level.FUNCTION, result.functions),
        (Level.GROUP, result.groups),
    )
    return [
        {
            "report_id": report_id,
            "day": day,
            "level": str(level),
            "group": line.group,
            "supergroup": topology.supergroups.get(line.group, ""),
            "function": line.function or "",
            "service": line.service or "",
            "hostname": line.hostname or "",
            "metric": line.metric or "",
            "timeline": to_json(line.timeline),
            "has_threshold": line.has_threshold,
        }
        for level, lines in levels
        for line in lines
    ]


def _info(topology: Topology) -> Mapping[tuple[str, str, str], dict[str, str]]:
    return {
        (e.group, e.service, e.hostname): {
            k.removeprefix("info_"): v for k, v in e.tags.items() if k.startswith("info_")
        }
        for e in topology.endpoints
    }


def _ar_rows(
    report_id: int, day: date, result: pipeline.DayResult, topology: Topology
) -> list[dict[str, Any]]:
    info = _info(topology)
    levels = (
        (Level.ENDPOINT, result.endpoint_ar),
        (Level.SERVICE, result.service_ar),
        (Level.GROUP, result.group_ar),
    )
    return [
        {
            "report_id": report_id,
            "day": day,
            "level": str(level),
            "group": row.group,
            "supergroup": topology.supergroups.get(row.group, ""),
            "service": row.service or "",
            "hostname": row.hostname or "",
            "availability": row.ar.availability,
            "reliability": row.ar.reliability,
            "up": row.ar.up,
            "unknown": row.ar.unknown,
            "down": row.ar.down,
            "seconds": dict(row.seconds),
            "weight": float(topology.weight(row.group)) if level == Level.GROUP else 0.0,
            "info": info.get((row.group, row.service or "", row.hostname or ""), {}),
        }
        for level, rows in levels
        for row in rows
    ]


def _lock_day(session: Session, report_id: int, day: date) -> ComputedDay:
    """The day's :class:`ComputedDay` row (created if missing), locked until the transaction
    ends, so that computations of one day follow each other (on SQLite the write transaction
    already serialises writers)."""
    this_day = (ComputedDay.report_id == report_id, ComputedDay.day == day)
    if session.scalar(select(ComputedDay.id).where(*this_day)) is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(ComputedDay).values(report_id=report_id, day=day, up_to=midnight(day))
                )
        except IntegrityError:
            pass  # a concurrent computation of the day added it first
    locked = session.scalar(
        select(ComputedDay)
        .where(*this_day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def compute(*, session: Session, report: str, day: date, now: datetime) -> ComputedDay:
    """Compute and store one report's day as known at ``now``, in place of its earlier
    computation; concurrent computations of one day wait for each other."""
    computed = _lock_day(session, get_report(session=session, name=report).id, day)
    started = utcnow()
    report_id, data, versions, read = day_input(session=session, report=report, day=day, now=now)
    try:
        result = pipeline.compute_day(data)
    except InputError as exc:
        raise ValidationFailed(f"report {report!r} on {day}: {exc}", field="report") from None
    for model in (StatusTimeline, DailyAR):
        session.execute(delete(model).where(model.report_id == report_id, model.day == day))
    timelines = _timeline_rows(report_id, day, result, data.topology)
    ars = _ar_rows(report_id, day, result, data.topology)
    if timelines:
        session.execute(insert(StatusTimeline), timelines)
    if ars:
        session.execute(insert(DailyAR), ars)
    end = midnight(day) + DAY
    computed.computed_at = started  # a result received later makes the day late
    computed.up_to = min(end, now)
    computed.complete = now >= end
    computed.results = read
    computed.profiles = versions
    session.flush()
    return computed


def compute_report_day(
    *, session: Session, actor: Principal, report: str, day: date, now: datetime | None = None
) -> ComputedDay:
    """An operator's computation of a report's day (a past day, or today up to now)."""
    permissions.require("monitoring.day.compute", session=session, actor=actor)
    now = now or utcnow()
    if midnight(day) > now:
        raise ValidationFailed(f"{day} has not started yet", field="date")
    return compute(session=session, report=report, day=day, now=now)


def _compute_logged(session: Session, report: str, day: date, now: datetime) -> bool:
    """Compute one day in a savepoint; a failure, expected (:class:`FedcoreError`: the day's
    input is refused) or not (a fault, logged with its type), is rolled back and logged, not
    raised, so that it does not undo the job's other days."""
    try:
        with session.begin_nested():
            compute(session=session, report=report, day=day, now=now)
    except FedcoreError as exc:
        log.warning("monitoring.compute_failed", report=report, day=str(day), error=str(exc))
        return False
    except Exception as exc:
        log.exception(
            "monitoring.compute_failed",
            report=report,
            day=str(day),
            error=f"{type(exc).__name__}: {exc}",
        )
        return False
    return True


def touched_days(*, session: Session, recomputation: Recomputation, last: date) -> list[date]:
    """The days up to ``last`` that fedcore computed (not imported history, which has no
    results to recompute) and that ``recomputation`` changes: from its start's day to the day
    after its end's, whose carry-over reads it (:func:`_recomputations`)."""
    return list(
        session.scalars(
            select(ComputedDay.day)
            .where(
                ComputedDay.report_id == recomputation.report_id,
                ComputedDay.day >= recomputation.start_time.date(),
                ComputedDay.day <= min(recomputation.end_time.date() + DAY, last),
            )
            .order_by(ComputedDay.day)
        )
    )


def apply_approved(*, session: Session, now: datetime | None = None) -> dict[str, int]:
    """Apply every approved recomputation: it is ``running`` while the days it touches that
    are over (:func:`touched_days`) are computed again, then ``done``. One whose days cannot
    all be computed stays approved, to be tried again by the next run."""
    now = now or utcnow()
    counts = {"recomputations": 0, "days": 0, "failed": 0}
    approved = session.scalars(
        select(Recomputation)
        .where(Recomputation.status == RecomputationStatus.APPROVED)
        .order_by(Recomputation.id)
    ).all()
    for row in approved:
        row.status = RecomputationStatus.RUNNING
        session.flush()
        touched = touched_days(session=session, recomputation=row, last=now.date() - DAY)
        failed = [day for day in touched if not _compute_logged(session, row.report.name, day, now)]
        counts["days"] += len(touched) - len(failed)
        counts["failed"] += len(failed)
        row.status = RecomputationStatus.APPROVED if failed else RecomputationStatus.DONE
        row.updated_at = utcnow()
        counts["recomputations"] += not failed
    session.flush()
    return counts


def _latest_received(session: Session, first: date, end: date) -> dict[date, datetime]:
    """When the last result of each day from ``first`` up to ``end`` (excluded) arrived."""
    day = func.date(MetricResult.timestamp, type_=Date)
    stmt = (
        select(day, func.max(MetricResult.received_at))
        .where(MetricResult.timestamp >= midnight(first), MetricResult.timestamp < midnight(end))
        .group_by(day)
    )
    return {day: received for day, received in session.execute(stmt)}


def compute_due(*, session: Session, now: datetime | None = None) -> dict[str, int]:
    """The job's work: approved recomputations (:func:`apply_approved`), then for every
    enabled report and each of the last :data:`CATCH_UP` days (oldest first) that is not
    computed complete, or whose results arrived after its computation (late or delayed
    publishers), and today up to now. A report that cannot be computed is logged and counted;
    the others go on."""
    now = now or utcnow()
    today = now.date()
    applied = apply_approved(session=session, now=now)
    counts = {
        "computed": 0,
        "failed": applied["failed"],
        "recomputations": applied["recomputations"],
    }
    first = today - CATCH_UP * DAY
    received = _latest_received(session, first, today)
    computed = {
        (row.report_id, row.day): row
        for row in session.scalars(select(ComputedDay).where(ComputedDay.day >= first))
    }
    days = [first + n * DAY for n in range(CATCH_UP + 1)]
    for report in list_reports(session=session):
        for day in days:
            version = version_at(report.versions, day)
            if version is None or version.document.get("disabled"):
                continue
            done = computed.get((report.id, day))
            late = done is not None and day in received and received[day] > done.computed_at
            if day < today and done is not None and done.complete and not late:
                continue
            if _compute_logged(session, report.name, day, now):
                counts["computed"] += 1
            else:
                counts["failed"] += 1
    return counts


def computed_days(*, session: Session, report: str) -> list[ComputedDay]:
    report_id = get_report(session=session, name=report).id
    stmt = select(ComputedDay).where(ComputedDay.report_id == report_id).order_by(ComputedDay.day)
    return list(session.scalars(stmt))
