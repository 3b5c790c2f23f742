"""Recomputations: an operator's corrections to a period of a report (reference §5.2).

A recomputation (argo-web-api's object) has a period ``[start_time, end_time]`` and any of:

- ``exclude``: endpoint groups whose A/R treats the period as unknown (timelines unchanged);
- ``exclude_monitoring_source``: ``{host, start_time, end_time}``: results reported by that
  monitoring host inside that window (bounds included) are dropped before anything else;
- ``exclude_metrics``: ``{metric, hostname?, service?, group?}``: the metric is ``EXCLUDED``
  during the period;
- ``applied_status_changes``: ``{group?, service?, hostname?, metric?, state}``: the selected
  element has ``state`` during the period. The element's level is the most specific field
  given (metric, else endpoint, else service, else endpoint group); the other fields narrow
  the selection. Where several changes select the same element at the same time, **the most
  specific selector wins** (most fields given; among equals, the later one).

Periods, like downtimes, include their end minute: the real state resumes at ``end + 1 min``.
Recomputations whose ``status`` is ``pending`` or ``rejected`` are not applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fedcore.monitoring.states import EXCLUDED, InputError, OperationsProfile, field, text
from fedcore.monitoring.timelines import parse_timestamp

NOT_APPLIED = frozenset({"pending", "rejected"})
SELECTORS = ("group", "service", "hostname", "metric")
END_MINUTE = 60


@dataclass(frozen=True)
class SourceExclusion:
    host: str
    start: int
    end: int


@dataclass(frozen=True)
class Period:
    start: int
    end: int
    """The first second after the period (its end minute included)."""


@dataclass(frozen=True)
class StatusChange:
    selector: Mapping[str, str]
    """Some of ``group, service, hostname, metric``."""
    state: str
    period: Period

    @property
    def level(self) -> str:
        if "metric" in self.selector:
            return "metric"
        if "hostname" in self.selector:
            return "endpoint"
        return "service" if "service" in self.selector else "group"

    def selects(self, element: Mapping[str, str | None]) -> bool:
        return all(element.get(key) == value for key, value in self.selector.items())


@dataclass(frozen=True)
class Recomputations:
    sources: tuple[SourceExclusion, ...] = ()
    group_exclusions: Mapping[str, tuple[Period, ...]] | None = None
    changes: tuple[StatusChange, ...] = ()

    @cached_property
    def windows(self) -> Mapping[str, tuple[tuple[int, int], ...]]:
        """The excluded windows ``(start, end)`` (both included) by monitoring host."""
        windows: dict[str, list[tuple[int, int]]] = {}
        for source in self.sources:
            windows.setdefault(source.host, []).append((source.start, source.end))
        return {host: tuple(spans) for host, spans in windows.items()}

    def drops(self, monitoring_host: str | None, timestamp: int) -> bool:
        spans = self.windows.get(monitoring_host) if monitoring_host is not None else None
        return spans is not None and any(start <= timestamp <= end for start, end in spans)

    def excluded_periods(self, group: str) -> tuple[Period, ...]:
        return (self.group_exclusions or {}).get(group, ())

    @cached_property
    def levels(self) -> Mapping[str, tuple[StatusChange, ...]]:
        """The changes by the level of the elements they select."""
        levels: dict[str, list[StatusChange]] = {}
        for change in self.changes:
            levels.setdefault(change.level, []).append(change)
        return {level: tuple(changes) for level, changes in levels.items()}

    def changes_for(self, level: str, element: Mapping[str, str | None]) -> list[StatusChange]:
        """The changes selecting ``element``, least specific first (apply in this order)."""
        chosen = [c for c in self.levels.get(level, ()) if c.selects(element)]
        return sorted(chosen, key=lambda c: len(c.selector))


def _selector(raw: Mapping[str, Any], where: str, required: str | None) -> dict[str, str]:
    selector = {key: text(raw, key, where) for key in SELECTORS if raw.get(key) is not None}
    if not selector or (required and required not in selector):
        raise InputError(f"{where}: select an element with {required or ' or '.join(SELECTORS)}")
    return selector


def load_recomputations(
    rows: Sequence[Any], operations: OperationsProfile, where: str = "recomputations"
) -> Recomputations:
    """The recomputations that apply, from argo-web-api recomputation objects."""
    sources: list[SourceExclusion] = []
    groups: dict[str, list[Period]] = {}
    changes: list[StatusChange] = []
    for index, row in enumerate(rows):
        at = f"{where}[{index}]"
        if str(row.get("status", "")).lower() in NOT_APPLIED:
            continue
        start = parse_timestamp(field(row, "start_time", at), f"{at}.start_time")
        end = parse_timestamp(field(row, "end_time", at), f"{at}.end_time")
        if end < start:
            raise InputError(f"{at}.end_time: before start_time")
        period = Period(start, end + END_MINUTE)
        for i, group in enumerate(row.get("exclude") or []):
            if not isinstance(group, str) or not group:
                raise InputError(f"{at}.exclude[{i}]: expected an endpoint group name")
            groups.setdefault(group, []).append(period)
        for i, source in enumerate(row.get("exclude_monitoring_source") or []):
            source_at = f"{at}.exclude_monitoring_source[{i}]"
            sources.append(
                SourceExclusion(
                    text(source, "host", source_at),
                    parse_timestamp(field(source, "start_time", source_at), source_at),
                    parse_timestamp(field(source, "end_time", source_at), source_at),
                )
            )
        for i, metric in enumerate(row.get("exclude_metrics") or []):
            selector = _selector(metric, f"{at}.exclude_metrics[{i}]", "metric")
            changes.append(StatusChange(selector, EXCLUDED, period))
        for i, change in enumerate(row.get("applied_status_changes") or []):
            change_at = f"{at}.applied_status_changes[{i}]"
            state = operations.check_state(
                text(change, "state", change_at), f"{change_at}.state", allow_excluded=True
            )
            changes.append(StatusChange(_selector(change, change_at, None), state, period))
    return Recomputations(
        sources=tuple(sources),
        group_exclusions={g: tuple(p) for g, p in groups.items()},
        changes=tuple(changes),
    )
