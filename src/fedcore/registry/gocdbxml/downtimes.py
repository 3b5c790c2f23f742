"""Reader of downtimes (get_downtime, get_downtime_nested_services); get_downtime's rows,
one per affected service, are merged into one record per downtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from lxml import etree

from fedcore.core.errors import ValidationFailed
from fedcore.registry.enums import Classification, Severity
from fedcore.registry.gocdbxml.records import AffectedService, DowntimeRecord
from fedcore.registry.gocdbxml.services import _endpoints
from fedcore.registry.gocdbxml.values import (
    _choice,
    _Doc,
    _Element,
    _integer,
    _key,
    _same_key,
    _tags,
)

DOWNTIME_TAGS = _tags(
    "PRIMARY_KEY HOSTNAME SERVICE_TYPE ENDPOINT HOSTED_BY GOCDB_PORTAL_URL AFFECTED_ENDPOINTS "
    "SEVERITY DESCRIPTION INSERT_DATE START_DATE END_DATE FORMATED_START_DATE "
    "FORMATED_END_DATE SERVICES"
)
AFFECTED_TAGS = _tags("PRIMARY_KEY HOSTNAME SERVICE_TYPE ENDPOINT HOSTED_BY AFFECTED_ENDPOINTS")
PER_SERVICE_TAGS = _tags("HOSTNAME SERVICE_TYPE ENDPOINT HOSTED_BY AFFECTED_ENDPOINTS")


def _affected(el: _Element, service_id: int | None) -> AffectedService:
    return AffectedService(
        id=service_id,
        hostname=el.text("HOSTNAME", required=True),
        service_type=el.text("SERVICE_TYPE", required=True),
        site=el.text("HOSTED_BY", required=True),
        endpoints=_endpoints(el, "AFFECTED_ENDPOINTS", required=False),
    )


def _downtime(document: _Doc, node: etree._Element) -> DowntimeRecord:
    """One ``DOWNTIME``: nested (``SERVICES`` → ``SERVICE``*) or one row per affected service."""
    el = _Element(document, node, DOWNTIME_TAGS)
    primary_key = el.attribute("PRIMARY_KEY").strip()
    _key(el, "PRIMARY_KEY", primary_key)
    services_node = el.node("SERVICES")
    if services_node is None:
        _same_key(el, "PRIMARY_KEY")
        services: tuple[AffectedService, ...] = (_affected(el, None),)
    else:
        for tag in PER_SERVICE_TAGS | {"PRIMARY_KEY"}:
            if el.node(tag) is not None:
                el.fail(f"{tag} belongs inside SERVICE in get_downtime_nested_services output")
        holder = _Element(document, services_node, {"SERVICE"})
        affected = [_Element(document, n, AFFECTED_TAGS) for n in holder.nodes("SERVICE")]
        services = tuple(
            _affected(a, _key(a, "PRIMARY_KEY", a.text("PRIMARY_KEY", required=True)))
            for a in affected
        )
        if not services:
            el.fail("SERVICES lists no service")
    for tag in ("FORMATED_START_DATE", "FORMATED_END_DATE"):
        el.formatted_date(tag)
    record = DowntimeRecord(
        source=el.source,
        id=_integer(el, "ID", el.attribute("ID")),
        primary_key=primary_key,
        classification=_choice(
            el, "CLASSIFICATION", el.attribute("CLASSIFICATION").strip(), Classification
        ),
        severity=el.choice("SEVERITY", Severity),
        description=el.text("DESCRIPTION"),
        inserted_at=el.timestamp("INSERT_DATE"),
        start_at=el.timestamp("START_DATE"),
        end_at=el.timestamp("END_DATE"),
        services=services,
    )
    if record.end_at < record.start_at:
        el.fail("END_DATE is before START_DATE")
    return record


def _merge_downtimes(records: Sequence[DowntimeRecord]) -> list[DowntimeRecord]:
    """get_downtime repeats a downtime once per affected service: one record per downtime."""
    merged: dict[int, DowntimeRecord] = {}
    for record in records:
        seen = merged.setdefault(record.id, record)
        if seen is record:
            continue
        if replace(seen, services=()) != replace(record, services=()):
            raise ValidationFailed(
                f"{record.source}: downtime {record.id} differs from its entry at line "
                f"{seen.source.line} in more than the affected service"
            )
        if record.services[0] in seen.services:
            raise ValidationFailed(f"{record.source}: downtime {record.id} repeats a service")
        merged[record.id] = replace(seen, services=seen.services + record.services)
    return list(merged.values())
