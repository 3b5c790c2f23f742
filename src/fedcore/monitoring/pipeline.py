"""The daily computation of one report over one UTC day (reference §2), in ARGO's order.

1. **Monitoring-source exclusion**: results of an excluded monitoring host inside the window
   are dropped, the previous day's included.
2. **Carry-over**: of the previous day only the latest result per (service, hostname, metric)
   is kept; it gives the metric's state at 00:00.
3. **Expected set and MISSING fill**: every (endpoint group, service, hostname, metric) from the
   topology's endpoints whose service type is in the aggregation profile, crossed with the
   metric profile. A metric without a result before the day starts ``MISSING`` (``UNKNOWN`` if
   it is new in the metric profile that day and has no result at all).
4. **Filtering**: results outside the expected set are discarded; a result counts once for
   every endpoint group its endpoint is in.
5. **Thresholds**: a threshold rule may replace a result's status (:mod:`.thresholds`); the
   timelines above such a result carry ``has_threshold`` (ARGO's ``hasThr``).
6. **Metric timeline**: the carried-over state at 00:00, then every result of the day.
7. **Endpoint** = the endpoint's metrics combined with ``metric_operation``, then its downtimes
   overlaid as the down state, each to its end minute inclusive.
8. **Service** (per endpoint group and service type) = its endpoints combined with the service
   type's operation; 9. **function** = its service types combined with the function group's
   operation; 10. **endpoint group** = its function groups with ``profile_operation``.

Applied status changes (:mod:`.recomputations`) are overlaid on each level's timeline right
after it is built, before the level above uses it. 11. **Daily A/R** (:mod:`.ar`) is computed
on endpoint, service and endpoint-group timelines; for an endpoint group, periods excluded by a
recomputation count as unknown (its status timeline is unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from fedcore.monitoring.ar import DailyAR, daily_ar
from fedcore.monitoring.profiles import AggregationProfile, FunctionGroup, MetricProfile
from fedcore.monitoring.recomputations import Recomputations
from fedcore.monitoring.states import OperationsProfile, TruthTable
from fedcore.monitoring.thresholds import ThresholdProfile, ThresholdRule
from fedcore.monitoring.timelines import (
    DAY_SECONDS,
    Point,
    Timeline,
    build,
    combine,
    day_start,
    durations,
    format_timestamp,
    overlay,
)
from fedcore.monitoring.topology import Downtime, Endpoint, Topology

DOWNTIME_END_MINUTE = 60


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One probe execution (ARGO's ``MetricData``), as far as the computation reads it."""

    timestamp: int
    service: str
    hostname: str
    metric: str
    status: str
    monitoring_host: str | None = None
    actual_data: str | None = None


@dataclass(frozen=True)
class DayInput:
    day: date
    operations: OperationsProfile
    aggregation: AggregationProfile
    metric_profile: MetricProfile
    topology: Topology
    results: Sequence[MetricResult]
    previous_day: Sequence[MetricResult] = ()
    downtimes: Sequence[Downtime] = ()
    recomputations: Recomputations = field(default_factory=Recomputations)
    thresholds: ThresholdProfile | None = None
    new_metrics: frozenset[tuple[str, str]] = frozenset()
    """(service, metric) pairs added to the metric profile on this day."""


@dataclass(frozen=True)
class StatusTimeline:
    """The timeline of one element; the fields below its level are None."""

    group: str
    function: str | None
    service: str | None
    hostname: str | None
    metric: str | None
    timeline: Timeline
    has_threshold: bool = False


@dataclass(frozen=True)
class EntityAR:
    group: str
    service: str | None
    hostname: str | None
    ar: DailyAR
    seconds: Mapping[str, int] = field(default_factory=dict)
    """The seconds the A/R was computed from, per state."""


@dataclass
class DayResult:
    metrics: list[StatusTimeline]
    endpoints: list[StatusTimeline]
    services: list[StatusTimeline]
    functions: list[StatusTimeline]
    groups: list[StatusTimeline]
    endpoint_ar: list[EntityAR]
    service_ar: list[EntityAR]
    group_ar: list[EntityAR]


Key = tuple[str, str, str]


_NO_SLOTS: Mapping[str, int] = {}


def _slots(keys: Iterable[Key]) -> tuple[dict[str, dict[str, int]], dict[str, list[Any]]]:
    """Per-metric values laid out for lookups by the million: ``hosts[hostname][slot]``, with
    ``slots[service][metric]`` the slot (every value None). Hostnames, service types and metric
    names are found by identity or by their cached hash among a few thousand, where one dict of
    every metric outgrows the CPU caches."""
    slots: dict[str, dict[str, int]] = {}
    hostnames: dict[str, None] = {}
    count = 0
    for service, hostname, metric in keys:
        metrics = slots.setdefault(service, {})
        if metric not in metrics:
            metrics[metric] = count
            count += 1
        hostnames[hostname] = None
    return slots, {hostname: [None] * count for hostname in hostnames}


def _carry_over(
    day: _Day, results: Sequence[MetricResult], keys: Collection[Key]
) -> dict[Key, MetricResult]:
    """The latest kept result before the day of each metric of ``keys``; of several at the
    same second the last given (one pass, whatever the order of ``results``)."""
    start = day.start
    drops = day.drops
    slots, hosts = _slots(keys)
    host_of, metrics_of = hosts.get, slots.get
    for result in results:
        t = result.timestamp
        if t >= start:
            continue
        latest = host_of(result.hostname)
        slot = metrics_of(result.service, _NO_SLOTS).get(result.metric)
        if latest is None or slot is None:
            continue
        known = latest[slot]
        if (known is None or known.timestamp <= t) and not (
            drops is not None and drops(result.monitoring_host, t)
        ):
            latest[slot] = result
    found = ((key, hosts[key[1]][slots[key[0]][key[2]]]) for key in keys)
    return {key: result for key, result in found if result is not None}


class _Day:
    """One computation's inputs, with the helpers every level uses."""

    def __init__(self, data: DayInput) -> None:
        self.data = data
        self.start = day_start(data.day)
        self.end = self.start + DAY_SECONDS
        self.ops = data.operations
        self.and_table = (
            self.ops.operation("AND", "thresholds") if data.thresholds is not None else None
        )
        self.downtimes: dict[tuple[str, str], list[Downtime]] = {}
        for downtime in data.downtimes:
            self.downtimes.setdefault((downtime.hostname, downtime.service), []).append(downtime)
        recomputations = data.recomputations
        self.drops = recomputations.drops if recomputations.sources else None
        self.ruled_metrics = (
            frozenset(metric for _, _, metric in data.thresholds.rules)
            if data.thresholds is not None
            else frozenset()
        )

    def check(self, result: MetricResult) -> None:
        """:class:`InputError` naming the result when the profile does not declare its status."""
        self.ops.check_state(
            result.status,
            f"metric result {result.hostname}/{result.service}/{result.metric} at "
            f"{format_timestamp(result.timestamp)}: status",
        )

    def status(self, result: MetricResult, rule: ThresholdRule | None) -> tuple[str, bool]:
        """The result's status after its threshold ``rule``, and whether the rule decided it."""
        status = result.status
        if status not in self.ops.states:
            self.check(result)
        if rule is None or self.and_table is None or not result.actual_data:
            return status, False
        decided = rule.decide(result.actual_data, self.and_table)
        return (status, False) if decided is None else (decided, True)

    def changed(self, level: str, line: StatusTimeline) -> StatusTimeline:
        if level not in self.data.recomputations.levels:
            return line
        element = {
            "group": line.group,
            "service": line.service,
            "hostname": line.hostname,
            "metric": line.metric,
        }
        changes = self.data.recomputations.changes_for(level, element)
        if not changes:
            return line
        timeline = line.timeline
        for change in changes:
            timeline = overlay(timeline, change.period.start, change.period.end, change.state)
        return replace(line, timeline=timeline)

    def ar(
        self, group: str, service: str | None, hostname: str | None, timeline: Timeline
    ) -> EntityAR:
        seconds = durations(timeline)
        ar = daily_ar(
            seconds,
            unknown_states=(self.ops.unknown, self.ops.missing),
            down_states=(self.ops.down,),
        )
        return EntityAR(group, service, hostname, ar, seconds)


_NO_STATUS = ""
"""The carried-over status of a metric new in the profile that has none (no state is empty)."""


class _Changes:
    """The day's results of every expected metric whose status is its probe's (no threshold
    rule names the metric), reduced while they are read to the points where a metric's status
    changes. A result whose status repeats the one before it changes no timeline, so only the
    first of a run is kept (and its status checked); the status in force per metric is all
    there is to look up per result. This needs the results in time order, as storage reads
    them: :meth:`read` answers False when they are not."""

    def __init__(self, start: int, initial: Mapping[Key, str]) -> None:
        self.start = start
        self.initial = initial
        self.points: dict[Key, list[Point]] = {}
        self.bad: dict[Key, MetricResult] = {}
        """The first result of each metric whose status the profile does not declare."""

    def read(
        self,
        day: _Day,
        results: Sequence[MetricResult],
        raw: dict[Key, list[MetricResult]],
        *,
        ordered: bool = True,
    ) -> bool:
        """Reduce ``results`` (the day's; the others are skipped) into :attr:`points`, and
        append those of the metrics in ``raw`` there; False if they are not in time order
        (unless ``ordered`` is False: then :attr:`initial` must be empty)."""
        start, end, drops, states = self.start, day.end, day.drops, day.ops.states
        slots, hosts = _slots(self.initial)
        for (service, hostname, metric), state in self.initial.items():
            hosts[hostname][slots[service][metric]] = state
        host_of, metrics_of, get_raw, bad = hosts.get, slots.get, raw.get, self.bad
        changes: list[tuple[Key, int, str]] = []
        last = start
        for result in results:
            t = result.timestamp
            if t < start or t >= end:
                continue
            if t < last and ordered:
                return False
            last = t
            current = host_of(result.hostname)
            slot = metrics_of(result.service, _NO_SLOTS).get(result.metric)
            if current is not None and slot is not None and (now := current[slot]) is not None:
                status = result.status
                if status != now and not (drops is not None and drops(result.monitoring_host, t)):
                    key = (result.service, result.hostname, result.metric)
                    if status not in states:
                        bad.setdefault(key, result)
                    current[slot] = status
                    changes.append((key, t, status))
                continue
            collected = get_raw((result.service, result.hostname, result.metric))
            if collected is not None and not (
                drops is not None and drops(result.monitoring_host, t)
            ):
                collected.append(result)
        for key, t, status in changes:
            self.points.setdefault(key, []).append((t, status))
        return True

    def timeline(self, key: Key, day: _Day, new: bool) -> Timeline:
        """The metric's timeline; ``new``: the metric is new in the profile today."""
        points = self.points.get(key, [])
        initial = self.initial[key]
        if initial == _NO_STATUS:
            initial = day.ops.unknown if new and not points else day.ops.missing
        return build(self.start, initial, points) if points else ((self.start, initial),)


def _metric_timelines(day: _Day) -> list[StatusTimeline]:
    data = day.data
    lines: list[tuple[Endpoint, str, str, Key]] = []
    for endpoint in data.topology.endpoints:
        function = data.aggregation.function_of(endpoint.service)
        if function is not None:
            for metric in data.metric_profile.of(endpoint.service):
                key = (endpoint.service, endpoint.hostname, metric)
                lines.append((endpoint, function.name, metric, key))
    previous = _carry_over(day, data.previous_day, {key: None for *_, key in lines}.keys())
    initial: dict[Key, str] = {}
    raw: dict[Key, list[MetricResult]] = {}
    for endpoint, _, metric, key in lines:
        if metric in day.ruled_metrics:
            raw[key] = []
        elif (prior := previous.get(key)) is not None:
            initial[key] = prior.status
        elif (endpoint.service, metric) in data.new_metrics:
            initial[key] = _NO_STATUS
        else:
            initial[key] = day.ops.missing
    changes = _Changes(day.start, initial)
    if not changes.read(day, data.results, raw):
        changes = _Changes(day.start, {})
        raw = {key: [] for *_, key in lines}
        changes.read(day, data.results, raw, ordered=False)
    timelines: dict[Key, Timeline] = {}
    result = []
    for endpoint, group_function, metric, key in lines:
        prior = previous.get(key)
        collected = raw.get(key)
        if collected is None:
            if prior is not None and prior.status not in day.ops.states:
                day.check(prior)
            if key in changes.bad:
                day.check(changes.bad[key])
            timeline = timelines.get(key)
            if timeline is None:
                new = (endpoint.service, metric) in data.new_metrics
                timeline = timelines[key] = changes.timeline(key, day, new)
            decided = False
        else:
            timeline, decided = _raw_timeline(day, endpoint, metric, prior, collected)
        line = StatusTimeline(
            endpoint.group,
            group_function,
            endpoint.service,
            endpoint.hostname,
            metric,
            timeline,
            decided,
        )
        result.append(day.changed("metric", line))
    return result


def _raw_timeline(
    day: _Day,
    endpoint: Endpoint,
    metric: str,
    prior: MetricResult | None,
    results: Sequence[MetricResult],
) -> tuple[Timeline, bool]:
    """A metric's timeline from every one of its results (thresholds may apply; any order)."""
    thresholds = day.data.thresholds
    rule = (
        None if thresholds is None else thresholds.select(endpoint.group, endpoint.hostname, metric)
    )
    decided = False
    if prior is not None:
        initial, decided = day.status(prior, rule)
    elif not results and (endpoint.service, metric) in day.data.new_metrics:
        initial = day.ops.unknown
    else:
        initial = day.ops.missing
    points = []
    for result in results:
        status, by_rule = day.status(result, rule)
        decided = decided or by_rule
        points.append((result.timestamp, status))
    return build(day.start, initial, points), decided


def _aggregate(
    lines: Sequence[StatusTimeline],
    key: Callable[[StatusTimeline], tuple[str, str | None, str | None, str | None]],
    table: Callable[[StatusTimeline], TruthTable],
) -> list[StatusTimeline]:
    """One level up: ``lines`` grouped by ``key``, in order of first appearance, each group
    combined with the truth table ``table`` gives for its first line."""
    grouped: dict[tuple[str, str | None, str | None, str | None], list[StatusTimeline]] = {}
    for line in lines:
        grouped.setdefault(key(line), []).append(line)
    return [
        StatusTimeline(
            group,
            function,
            service,
            hostname,
            None,
            combine([m.timeline for m in members], table(members[0])),
            any(m.has_threshold for m in members),
        )
        for (group, function, service, hostname), members in grouped.items()
    ]


def _with_downtimes(day: _Day, line: StatusTimeline) -> StatusTimeline:
    timeline = line.timeline
    for downtime in day.downtimes.get((line.hostname or "", line.service or ""), ()):
        timeline = overlay(
            timeline, downtime.start, downtime.end + DOWNTIME_END_MINUTE, day.ops.down
        )
    return replace(line, timeline=timeline)


def _for_ar(day: _Day, line: StatusTimeline) -> Timeline:
    """An endpoint group's timeline with its recomputation-excluded periods unknown."""
    timeline = line.timeline
    for period in day.data.recomputations.excluded_periods(line.group):
        timeline = overlay(timeline, period.start, period.end, day.ops.unknown)
    return timeline


def compute_day(data: DayInput) -> DayResult:
    """Every status timeline and daily A/R of one report for one day."""
    day = _Day(data)
    aggregation = data.aggregation

    def function_of(line: StatusTimeline) -> FunctionGroup:
        function = aggregation.function_of(line.service or "")
        if function is None:  # lines are made only for service types of the profile
            raise ValueError(f"service type {line.service!r} is in no function group")
        return function

    metrics = _metric_timelines(day)
    endpoints = [
        day.changed("endpoint", _with_downtimes(day, line))
        for line in _aggregate(
            metrics,
            lambda m: (m.group, m.function, m.service, m.hostname),
            lambda _: aggregation.metric_operation,
        )
    ]
    services = [
        day.changed("service", line)
        for line in _aggregate(
            endpoints,
            lambda e: (e.group, e.function, e.service, None),
            lambda e: function_of(e).services[e.service or ""],
        )
    ]
    functions = _aggregate(
        services, lambda s: (s.group, s.function, None, None), lambda s: function_of(s).operation
    )
    groups = [
        day.changed("group", line)
        for line in _aggregate(
            functions,
            lambda f: (f.group, None, None, None),
            lambda _: aggregation.profile_operation,
        )
    ]
    return DayResult(
        metrics=metrics,
        endpoints=endpoints,
        services=services,
        functions=functions,
        groups=groups,
        endpoint_ar=[day.ar(e.group, e.service, e.hostname, e.timeline) for e in endpoints],
        service_ar=[day.ar(s.group, s.service, None, s.timeline) for s in services],
        group_ar=[day.ar(g.group, None, None, _for_ar(day, g)) for g in groups],
    )
