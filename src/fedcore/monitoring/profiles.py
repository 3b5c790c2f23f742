"""Metric and aggregation profiles (reference §1.4, §4), loaded from ARGO's JSON.

- A **metric profile** maps a service type to the metric names that count for it; every other
  (service type, metric) pair is discarded.
- An **aggregation profile** says how statuses climb the levels: ``metric_operation`` combines
  the metrics of an endpoint, each service type's own ``operation`` its endpoints within an
  endpoint group, each **function group**'s ``operation`` its service types, and
  ``profile_operation`` the function groups into the endpoint group's status. A service type
  belongs to at most one function group; service types in none are ignored.

Operation names are checked against the operations profile at load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fedcore.monitoring.states import InputError, OperationsProfile, TruthTable, items, text


@dataclass(frozen=True)
class MetricProfile:
    name: str
    metrics: Mapping[str, tuple[str, ...]]
    """Metric names by service type, in profile order."""

    def of(self, service: str) -> tuple[str, ...]:
        return self.metrics.get(service, ())


def load_metric_profile(data: Mapping[str, Any], where: str = "metric") -> MetricProfile:
    """A metric profile from ARGO's JSON (``{name, services: [{service, metrics}]}``)."""
    metrics: dict[str, list[str]] = {}
    for index, entry in enumerate(items(data, "services", where)):
        at = f"{where}.services[{index}]"
        service = text(entry, "service", at)
        names = metrics.setdefault(service, [])
        for i, metric in enumerate(items(entry, "metrics", at)):
            if not isinstance(metric, str) or not metric:
                raise InputError(f"{at}.metrics[{i}]: expected a metric name, got {metric!r}")
            if metric not in names:
                names.append(metric)
    return MetricProfile(
        name=str(data.get("name", "")), metrics={s: tuple(m) for s, m in metrics.items()}
    )


@dataclass(frozen=True)
class FunctionGroup:
    name: str
    operation: TruthTable
    services: Mapping[str, TruthTable]
    """The operation that combines the endpoints of each service type, in profile order."""


@dataclass(frozen=True)
class AggregationProfile:
    name: str
    endpoint_group: str
    metric_operation: TruthTable
    profile_operation: TruthTable
    functions: tuple[FunctionGroup, ...]

    def function_of(self, service: str) -> FunctionGroup | None:
        """The function group of a service type, or None when the profile ignores it."""
        for function in self.functions:
            if service in function.services:
                return function
        return None


def load_aggregation_profile(
    data: Mapping[str, Any], operations: OperationsProfile, where: str = "aggregation"
) -> AggregationProfile:
    """An aggregation profile from ARGO's JSON; operations are looked up in ``operations``."""
    functions: list[FunctionGroup] = []
    owner: dict[str, str] = {}
    for index, group in enumerate(items(data, "groups", where)):
        at = f"{where}.groups[{index}]"
        name = text(group, "name", at)
        if any(f.name == name for f in functions):
            raise InputError(f"{at}.name: function group {name!r} is defined twice")
        services: dict[str, TruthTable] = {}
        for i, service in enumerate(items(group, "services", at)):
            service_at = f"{at}.services[{i}]"
            service_name = text(service, "name", service_at)
            if service_name in owner:
                raise InputError(
                    f"{service_at}.name: service type {service_name!r} is already in function "
                    f"group {owner[service_name]!r}"
                )
            owner[service_name] = name
            services[service_name] = operations.operation(
                text(service, "operation", service_at), f"{service_at}.operation"
            )
        functions.append(
            FunctionGroup(
                name=name,
                operation=operations.operation(text(group, "operation", at), f"{at}.operation"),
                services=services,
            )
        )
    return AggregationProfile(
        name=str(data.get("name", "")),
        endpoint_group=str(data.get("endpoint_group", "")),
        metric_operation=operations.operation(
            text(data, "metric_operation", where), f"{where}.metric_operation"
        ),
        profile_operation=operations.operation(
            text(data, "profile_operation", where), f"{where}.profile_operation"
        ),
        functions=tuple(functions),
    )
