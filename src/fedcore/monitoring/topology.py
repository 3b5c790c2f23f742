"""The topology a report computes over, its filter tags, downtimes and weights (reference §1.3).

Two feeds describe the topology, as argo-web-api serves them: endpoint rows
``{group, type, service, hostname, tags}`` (an endpoint is a hostname with a service type, in an
endpoint group such as a site) and group rows ``{group, type, subgroup, tags}`` (a supergroup
such as an NGI or project and one of its endpoint groups). A report keeps the endpoint rows of
its ``topology_schema`` endpoint-group type whose group appears as a subgroup, and applies its
``filter_tags``:

- context ``argo.endpoint.filter.tags`` / ``argo.group.filter.tags``: the endpoint's / group
  row's tag equals the value;
- the same contexts with ``.array``: the tag is a comma-separated list holding the value.

Tags of one name are alternatives; different names must all match. An endpoint listed under
several groups is computed once per group. Downtimes (scheduled outages) are per endpoint;
weights (e.g. computing power) per endpoint group, 0 when not given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fedcore.monitoring.states import InputError, field, items, text
from fedcore.monitoring.timelines import parse_timestamp

CONTEXTS = {
    "argo.endpoint.filter.tags": ("endpoint", False),
    "argo.endpoint.filter.tags.array": ("endpoint", True),
    "argo.group.filter.tags": ("group", False),
    "argo.group.filter.tags.array": ("group", True),
}


@dataclass(frozen=True)
class Endpoint:
    group: str
    service: str
    hostname: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class Downtime:
    hostname: str
    service: str
    start: int
    end: int
    """The last minute of the downtime (inclusive): the endpoint's state resumes a minute later."""


@dataclass(frozen=True)
class Topology:
    endpoints: tuple[Endpoint, ...]
    supergroups: Mapping[str, str]
    """The supergroup of each endpoint group."""
    weights: Mapping[str, float]

    def weight(self, group: str) -> float:
        return self.weights.get(group, 0)


@dataclass(frozen=True)
class FilterTag:
    scope: str
    name: str
    value: str
    array: bool


def load_filter_tags(raw: Sequence[Any], where: str = "report.filter_tags") -> list[FilterTag]:
    tags = []
    for index, tag in enumerate(raw):
        at = f"{where}[{index}]"
        context = text(tag, "context", at)
        if context not in CONTEXTS:
            raise InputError(
                f"{at}.context: unknown filter context {context!r} (known: {', '.join(CONTEXTS)})"
            )
        scope, array = CONTEXTS[context]
        value = field(tag, "value", at)
        tags.append(FilterTag(scope, text(tag, "name", at), str(value), array))
    return tags


def _matches(tags: Mapping[str, str], filters: Sequence[FilterTag]) -> bool:
    wanted: dict[str, list[FilterTag]] = {}
    for tag in filters:
        wanted.setdefault(tag.name, []).append(tag)
    for name, alternatives in wanted.items():
        have = str(tags.get(name, ""))
        values = [v.strip() for v in have.split(",")]
        if not any((t.value in values) if t.array else have == t.value for t in alternatives):
            return False
    return True


def _tags(row: Mapping[str, Any], where: str) -> dict[str, str]:
    raw = row.get("tags") or {}
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}.tags: expected an object")
    return {str(k): str(v) for k, v in raw.items()}


def select_topology(
    endpoint_rows: Sequence[Any],
    group_rows: Sequence[Any],
    *,
    endpoint_group_type: str,
    filter_tags: Sequence[FilterTag] = (),
    weights: Mapping[str, float] | None = None,
    where: str = "topology",
) -> Topology:
    """The report's topology: rows of its endpoint-group type that pass its filter tags."""
    group_filters = [t for t in filter_tags if t.scope == "group"]
    endpoint_filters = [t for t in filter_tags if t.scope == "endpoint"]
    supergroups: dict[str, str] = {}
    for index, row in enumerate(group_rows):
        at = f"{where}.groups[{index}]"
        if _matches(_tags(row, at), group_filters):
            supergroups.setdefault(text(row, "subgroup", at), text(row, "group", at))
    endpoints: list[Endpoint] = []
    seen: set[tuple[str, str, str]] = set()
    for index, row in enumerate(endpoint_rows):
        at = f"{where}.endpoints[{index}]"
        key = (text(row, "group", at), text(row, "service", at), text(row, "hostname", at))
        tags = _tags(row, at)
        if (
            text(row, "type", at) == endpoint_group_type
            and key[0] in supergroups
            and key not in seen
            and _matches(tags, endpoint_filters)
        ):
            seen.add(key)
            endpoints.append(Endpoint(*key, tags=tags))
    return Topology(tuple(endpoints), supergroups, dict(weights or {}))


def load_downtimes(rows: Sequence[Any], where: str = "downtimes") -> list[Downtime]:
    downtimes = []
    for index, row in enumerate(rows):
        at = f"{where}[{index}]"
        start = parse_timestamp(field(row, "start_time", at), f"{at}.start_time")
        end = parse_timestamp(field(row, "end_time", at), f"{at}.end_time")
        if end < start:
            raise InputError(f"{at}.end_time: before start_time")
        downtimes.append(Downtime(text(row, "hostname", at), text(row, "service", at), start, end))
    return downtimes


def load_weights(rows: Sequence[Any], where: str = "weights") -> dict[str, float]:
    """Weights by endpoint group from ARGO's feed rows ``{group, weight}``."""
    weights: dict[str, float] = {}
    for index, row in enumerate(rows):
        at = f"{where}[{index}]"
        value = field(row, "weight", at)
        try:
            weights[text(row, "group", at)] = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{at}.weight: expected a number, got {value!r}") from None
    return weights


def load_topology(
    data: Mapping[str, Any],
    *,
    endpoint_group_type: str,
    filter_tags: Sequence[FilterTag],
    weights: Mapping[str, float],
    where: str = "topology",
) -> Topology:
    """:func:`select_topology` over ``{"endpoints": [...], "groups": [...]}``."""
    return select_topology(
        items(data, "endpoints", where),
        items(data, "groups", where),
        endpoint_group_type=endpoint_group_type,
        filter_tags=filter_tags,
        weights=weights,
        where=where,
    )
