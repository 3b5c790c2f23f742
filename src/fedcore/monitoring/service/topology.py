"""A report's topology and downtimes from the registry, in the engine's inputs (reference §1.3,
§5.1), read through the registry's service functions only.

The rows are those ARGO's GOCDB connector makes:

- endpoint group type ``SITES``: one endpoint row per registry service ``{group: site, type:
  SITES, service: service type, hostname, tags}`` and one group row per site ``{group: its
  NGI, type: NGI, subgroup: site, tags: {certification, infrastructure, scope}}``;
- ``SERVICEGROUPS``: one endpoint row per member service of each service group, and one group
  row per service group under the report's ``service_group_supergroup`` (tags ``monitored``,
  ``scope``).

Endpoint tags: ``production`` and ``monitored`` (``"1"``/``"0"``), ``scope`` (comma-separated
scope names), ``info_URL``, ``info_ID`` (the service's GOCDB primary key), ``info_HOSTDN``.
Weights come from the extension property the report names. Downtimes: the registry's
SCHEDULED OUTAGE downtimes overlapping the day, one per affected service (hostname, service
type); an unscheduled or WARNING downtime protects nothing. The registry keeps no history of
its topology: every day is computed on the topology as it is now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from fedcore.core.pagination import Page
from fedcore.monitoring.pipeline import DOWNTIME_END_MINUTE
from fedcore.monitoring.replay import endpoint_group_type
from fedcore.monitoring.topology import Downtime, Topology, load_filter_tags, select_topology
from fedcore.registry import service as registry
from fedcore.registry.enums import Classification, Severity
from fedcore.registry.schemas import DowntimeFilter

T = TypeVar("T")


def _every(list_page: Callable[..., Page[T]], **kwargs: Any) -> Iterator[T]:
    cursor = None
    while True:
        page = list_page(cursor=cursor, limit=1000, **kwargs)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _scopes(owner: Any) -> str:
    return ", ".join(scope.name for scope in owner.scopes)


def _endpoint_row(group: str, group_type: str, service: Any) -> dict[str, Any]:
    return {
        "group": group,
        "type": group_type,
        "service": service.service_type.name,
        "hostname": service.hostname,
        "tags": {
            "production": _flag(service.production),
            "monitored": _flag(service.monitored),
            "scope": _scopes(service),
            "info_URL": service.url,
            "info_ID": service.primary_key,
            "info_HOSTDN": service.host_dn,
        },
    }


def _weight(owner: Any, name: str | None) -> float | None:
    for prop in owner.properties if name else ():
        if prop.key == name:
            try:
                return float(prop.value)
            except ValueError:
                return None
    return None


def registry_topology(*, session: Session, report: Mapping[str, Any]) -> Topology:
    """The topology of a report document (its schema, filter tags and weight source)."""
    group_type = endpoint_group_type(report["topology_schema"])
    weight_property = (report.get("weights") or {}).get("property")
    endpoints: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    weights: dict[str, float] = {}
    if group_type == "SITES":
        for site in _every(registry.list_sites, session=session):
            groups.append(
                {
                    "group": site.ngi.name,
                    "type": "NGI",
                    "subgroup": site.short_name,
                    "tags": {
                        "certification": site.certification_status,
                        "infrastructure": site.infrastructure,
                        "scope": _scopes(site),
                    },
                }
            )
            weight = _weight(site, weight_property)
            if weight is not None:
                weights[site.short_name] = weight
        endpoints = [
            _endpoint_row(service.site.short_name, group_type, service)
            for service in _every(registry.list_services, session=session)
        ]
    else:
        for group in _every(registry.list_service_groups, session=session):
            groups.append(
                {
                    "group": report["service_group_supergroup"],
                    "type": "PROJECT",
                    "subgroup": group.name,
                    "tags": {"monitored": _flag(group.monitored), "scope": _scopes(group)},
                }
            )
            endpoints.extend(_endpoint_row(group.name, group_type, s) for s in group.services)
            weight = _weight(group, weight_property)
            if weight is not None:
                weights[group.name] = weight
    return select_topology(
        endpoints,
        groups,
        endpoint_group_type=group_type,
        filter_tags=load_filter_tags(report.get("filter_tags") or []),
        weights=weights,
    )


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def registry_downtimes(*, session: Session, day: date, now: datetime) -> list[Downtime]:
    """Scheduled outages overlapping ``day``, none of them beyond ``now`` (a downtime's end is
    its last minute: the engine resumes the real state a minute later)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = min(start + timedelta(days=1), now)
    found = _every(
        registry.list_downtimes,
        session=session,
        filter=DowntimeFilter(
            severity=Severity.OUTAGE,
            classification=Classification.SCHEDULED,
            window_start=start - timedelta(minutes=1),
            window_end=end,
        ),
    )
    downtimes: list[Downtime] = []
    for downtime in found:
        last_minute = min(_seconds(downtime.end_at), _seconds(now) - DOWNTIME_END_MINUTE)
        downtimes.extend(
            Downtime(
                service.hostname,
                service.service_type.name,
                _seconds(downtime.start_at),
                last_minute,
            )
            for service in downtime.services
        )
    return downtimes
