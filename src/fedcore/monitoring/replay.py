"""Conformance cases: one day's inputs from a case file, and the results in the case's layout.

A case file (``../shared/conformance/argo/e2e-*.json``) holds everything ARGO's daily job reads
for one report and one day: ``date``, ``report`` (``topology_schema``, ``filter_tags``),
``profiles`` (``operations``, ``aggregation``, ``metric``, optional ``thresholds``),
``topology`` (``endpoints``, ``groups``), ``downtimes``, ``recomputations``, ``weights`` and
``metric_data`` (``previous_day``, ``day``), in argo-web-api's and ARGO ``MetricData``'s field
names. :func:`load_case` turns it into a :class:`~.pipeline.DayInput`; :func:`render` gives the
results as ``expected`` lays them out (``metric_timelines`` ... ``group_timelines``, ``ar``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from fedcore.monitoring.ar import DailyAR
from fedcore.monitoring.pipeline import (
    DayInput,
    DayResult,
    EntityAR,
    MetricResult,
    StatusTimeline,
    compute_day,
)
from fedcore.monitoring.profiles import load_aggregation_profile, load_metric_profile
from fedcore.monitoring.recomputations import load_recomputations
from fedcore.monitoring.states import InputError, field, items, load_operations_profile, text
from fedcore.monitoring.thresholds import load_threshold_profile
from fedcore.monitoring.timelines import parse_timestamp, to_json
from fedcore.monitoring.topology import (
    Topology,
    load_downtimes,
    load_filter_tags,
    load_topology,
    load_weights,
)


def endpoint_group_type(schema: Mapping[str, Any], where: str = "report.topology_schema") -> str:
    """The endpoint-group type of a ``topology_schema`` (``{"group": {"group": {"type"}}}``)."""
    supergroup = field(schema, "group", where)
    return text(field(supergroup, "group", f"{where}.group"), "type", f"{where}.group.group")


def _optional_text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}.{key}: expected a string or null, got {value!r}")
    return value


def load_result(raw: Mapping[str, Any], where: str) -> MetricResult:
    """One ARGO ``MetricData`` record."""
    return MetricResult(
        timestamp=parse_timestamp(field(raw, "timestamp", where), f"{where}.timestamp"),
        service=text(raw, "service", where),
        hostname=text(raw, "hostname", where),
        metric=text(raw, "metric", where),
        status=text(raw, "status", where),
        monitoring_host=_optional_text(raw, "monitoring_host", where),
        actual_data=_optional_text(raw, "actual_data", where),
    )


def load_case(case: Mapping[str, Any]) -> DayInput:
    """The day's inputs of a case."""
    raw_day = text(case, "date", "case")
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise InputError(f"case.date: expected YYYY-MM-DD, got {raw_day!r}") from None
    report = field(case, "report", "case")
    profiles = field(case, "profiles", "case")
    operations = load_operations_profile(
        field(profiles, "operations", "profiles"), "profiles.operations"
    )
    raw_thresholds = profiles.get("thresholds")
    topology = load_topology(
        field(case, "topology", "case"),
        endpoint_group_type=endpoint_group_type(field(report, "topology_schema", "report")),
        filter_tags=load_filter_tags(report.get("filter_tags") or []),
        weights=load_weights(case.get("weights") or []),
    )
    metric_data = field(case, "metric_data", "case")
    return DayInput(
        day=day,
        operations=operations,
        aggregation=load_aggregation_profile(
            field(profiles, "aggregation", "profiles"), operations, "profiles.aggregation"
        ),
        metric_profile=load_metric_profile(
            field(profiles, "metric", "profiles"), "profiles.metric"
        ),
        topology=topology,
        results=[
            load_result(raw, f"metric_data.day[{i}]")
            for i, raw in enumerate(items(metric_data, "day", "metric_data"))
        ],
        previous_day=[
            load_result(raw, f"metric_data.previous_day[{i}]")
            for i, raw in enumerate(items(metric_data, "previous_day", "metric_data"))
        ],
        downtimes=load_downtimes(case.get("downtimes") or []),
        recomputations=load_recomputations(case.get("recomputations") or [], operations),
        thresholds=(
            load_threshold_profile(raw_thresholds, "profiles.thresholds")
            if raw_thresholds
            else None
        ),
    )


def read_case(path: Path) -> Any:
    """The JSON of a case file; :class:`InputError` naming the file when it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None


def _timeline(line: StatusTimeline, keys: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {key: getattr(line, key) for key in keys}
    row["timeline"] = to_json(line.timeline)
    if line.has_threshold:
        row["hasThr"] = True
    return row


def _numbers(ar: DailyAR) -> dict[str, float]:
    return {
        "availability": ar.availability,
        "reliability": ar.reliability,
        "up": ar.up,
        "unknown": ar.unknown,
        "down": ar.down,
    }


def _ar(row: EntityAR, keys: tuple[str, ...]) -> dict[str, Any]:
    return {**{key: getattr(row, key) for key in keys}, **_numbers(row.ar)}


def _weight(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def render(result: DayResult, topology: Topology) -> dict[str, Any]:
    """The results in the layout of a case's ``expected`` (without ``durations``)."""
    return {
        "metric_timelines": [
            _timeline(m, ("group", "function", "service", "hostname", "metric"))
            for m in result.metrics
        ],
        "endpoint_timelines": [
            _timeline(e, ("group", "function", "service", "hostname")) for e in result.endpoints
        ],
        "service_timelines": [
            _timeline(s, ("group", "function", "service")) for s in result.services
        ],
        "function_timelines": [_timeline(f, ("group", "function")) for f in result.functions],
        "group_timelines": [_timeline(g, ("group",)) for g in result.groups],
        "ar": {
            "endpoints": [_ar(e, ("group", "service", "hostname")) for e in result.endpoint_ar],
            "services": [_ar(s, ("group", "service")) for s in result.service_ar],
            "groups": [
                {
                    "group": g.group,
                    "supergroup": topology.supergroups.get(g.group),
                    "weight": _weight(float(topology.weight(g.group))),
                    **_numbers(g.ar),
                }
                for g in result.group_ar
            ],
        },
    }


def replay(path: Path) -> dict[str, Any]:
    """Compute the day of the case file at ``path`` and render it."""
    case = read_case(path)
    if not isinstance(case, Mapping):
        raise InputError(f"{path}: expected a JSON object")
    data = load_case(case)
    return render(compute_day(data), data.topology)
