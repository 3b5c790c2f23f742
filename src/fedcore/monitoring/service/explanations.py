"""Why an entity was not up on a day, from stored data: the periods its timelines (and those
below it) spent in a state other than OK and WARNING, the metric results behind them (a MISSING
period has none), the registry's scheduled outages of its endpoints (through the topology
service, as the computation reads them), and the applied recomputations that touch it
(endpoint-group exclusions, status changes, dropped monitoring sources)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import NotFound
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.recomputations import NOT_APPLIED, Recomputations, load_recomputations
from fedcore.monitoring.service.computation import midnight
from fedcore.monitoring.service.profiles import profile_on, version_at
from fedcore.monitoring.service.recomputations import argo_document, list_recomputations
from fedcore.monitoring.service.reports import get_report, profile_names
from fedcore.monitoring.service.topology import registry_downtimes
from fedcore.monitoring.service.views_data import (
    DAY,
    GroupDay,
    Line,
    ProbeResult,
    group_day,
    stored_results,
)
from fedcore.monitoring.states import UP_STATES, load_operations_profile


@dataclass(frozen=True)
class Problem:
    """A period an entity of the selection was not up."""

    line: Line
    start: int
    end: int
    state: str


@dataclass(frozen=True)
class DowntimeSpan:
    hostname: str
    service: str
    start: datetime
    end: datetime
    """The downtime's last minute (the endpoint's state resumes a minute later)."""


@dataclass(frozen=True)
class RecomputationEffect:
    id: str
    status: str
    reason: str
    requester_name: str
    start: datetime
    end: datetime
    effects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    day: GroupDay
    selection: Mapping[str, str]
    """The fields narrowing the endpoint group (``service``, ``hostname``, ``metric``)."""
    lines: list[Line]
    problems: list[Problem]
    results: list[ProbeResult]
    """The selection's results of the day (and the one carried over) that were not up."""
    downtimes: list[DowntimeSpan]
    recomputations: list[RecomputationEffect]


def _selected(line: Line, selection: Mapping[str, str]) -> bool:
    return all(getattr(line, key) == value for key, value in selection.items())


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _effects(loaded: Recomputations, group: str, lines: Sequence[Line], dropped: int) -> list[str]:
    effects = [
        f"the A/R of {group} counts {_utc(p.start):%Y-%m-%d %H:%M} to "
        f"{_utc(p.end):%Y-%m-%d %H:%M} UTC as unknown"
        for p in loaded.excluded_periods(group)
    ]
    for change in loaded.changes:
        chosen = [
            line
            for line in lines
            if line.level == change.level and change.selects({"group": group, **line.element})
        ]
        if chosen:
            what = ", ".join(
                "/".join(part for part in (line.service, line.hostname, line.metric) if part)
                or group
                for line in chosen
            )
            effects.append(f"{what} set to {change.state}")
    effects.extend(
        f"{dropped} result(s) from monitoring host {source.host} dropped"
        f" ({_utc(source.start):%Y-%m-%d %H:%M} to {_utc(source.end):%Y-%m-%d %H:%M} UTC)"
        for source in loaded.sources
        if dropped
    )
    return effects


def explain(
    *,
    session: Session,
    report: str,
    group: str,
    day: date,
    selection: Mapping[str, str],
    now: datetime | None = None,
) -> Explanation:
    """Why the selection (an endpoint group, or one of its services, endpoints or metrics)
    was not up on ``day``: the periods in a state other than OK and WARNING at every level, the
    results that were not up (MISSING: no result), the scheduled outages of its endpoints and
    the applied recomputations that touch it."""
    day_view = group_day(session=session, report=report, group=group, day=day)
    lines = [line for line in day_view.lines if _selected(line, selection)]
    if selection and day_view.lines and not lines:
        wanted = ", ".join(f"{key} {value!r}" for key, value in selection.items())
        raise NotFound(f"{group} has no {wanted} on {day}", field=next(iter(selection)))
    problems = [
        Problem(line, segment.start, segment.end, segment.state)
        for line in lines
        for segment in line.segments
        if segment.state not in UP_STATES
    ]
    metrics = {(line.hostname, line.service, line.metric) for line in lines if line.metric}
    start = midnight(day)
    probes = [
        probe
        for probe in stored_results(
            session=session,
            hostnames=(h for h, _, _ in metrics),
            start=start - DAY,
            end=start + DAY,
        )
        if (probe.hostname, probe.service, probe.metric) in metrics
    ]
    carried = {
        (probe.hostname, probe.service, probe.metric): probe
        for probe in probes
        if probe.timestamp < start
    }
    results = [
        probe
        for probe in [*carried.values(), *(p for p in probes if p.timestamp >= start)]
        if probe.status not in UP_STATES
    ]
    endpoints = {(line.hostname, line.service) for line in lines if line.hostname}
    downtimes = [
        DowntimeSpan(d.hostname, d.service, _utc(d.start), _utc(d.end))
        for d in registry_downtimes(session=session, day=day, now=now or utcnow())
        if (d.hostname, d.service) in endpoints
    ]
    return Explanation(
        day_view,
        selection,
        lines,
        problems,
        results,
        downtimes,
        _recomputation_effects(session, report, day, group, lines, probes),
    )


def _recomputation_effects(
    session: Session,
    report: str,
    day: date,
    group: str,
    lines: Sequence[Line],
    probes: Sequence[ProbeResult],
) -> list[RecomputationEffect]:
    versions = get_report(session=session, name=report).versions
    document = (version_at(versions, day) or versions[0]).document
    operations = load_operations_profile(
        profile_on(
            session=session,
            kind=ProfileKind.OPERATIONS,
            name=profile_names(document)[ProfileKind.OPERATIONS],
            day=day,
        ).version.document
    )
    start = midnight(day)
    effects = []
    for row in list_recomputations(session=session, report=report):
        if row.status in NOT_APPLIED or row.end_time < start - DAY or row.start_time >= start + DAY:
            continue
        loaded = load_recomputations([argo_document(row)], operations)
        dropped = sum(
            1
            for probe in probes
            if loaded.drops(probe.monitoring_host or None, int(probe.timestamp.timestamp()))
        )
        found = _effects(loaded, group, lines, dropped)
        if found:
            effects.append(
                RecomputationEffect(
                    row.uuid,
                    row.status,
                    row.reason,
                    row.requester_name,
                    row.start_time,
                    row.end_time,
                    found,
                )
            )
    return effects


def explained_selection(
    *, service: str | None, hostname: str | None, metric: str | None
) -> dict[str, str]:
    """The non-empty selection fields, in their order of specificity."""
    values = {"service": service, "hostname": hostname, "metric": metric}
    return {key: value for key, value in values.items() if value}
