"""XML of get_downtime, get_downtime_nested_services and get_downtime_to_broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any

from fedcore.registry.compat.pi_render.common import Context, yes_no
from fedcore.registry.compat.pi_xml import (
    XmlWriter,
    element,
    escape_attribute,
    formatted,
    optional_element,
    unix,
)
from fedcore.registry.service.pi import AnyRow, DowntimeListing

BROADCAST_REMINDER = timedelta(days=1)
"""GOCDB announces a downtime one day before it starts (``REMINDER_START_DOWNTIME``)."""


def affected_block(indent: str, endpoints: Sequence[AnyRow] | None) -> str:
    """``AFFECTED_ENDPOINTS``: the downtime's endpoints that belong to the service."""
    if not endpoints:
        return f"{indent}<AFFECTED_ENDPOINTS/>\n"
    inner, leaf = indent + "  ", indent + "    "
    parts = [f"{indent}<AFFECTED_ENDPOINTS>\n"]
    for _downtime, _service, ident, name, url, interface, monitored in endpoints:
        parts += (
            f"{inner}<ENDPOINT>\n{leaf}<ID>{ident}</ID>\n",
            element(leaf, "NAME", name),
            element(leaf, "URL", url),
            element(leaf, "INTERFACENAME", interface),
            f"{leaf}<ENDPOINT_MONITORED>{yes_no(monitored)}</ENDPOINT_MONITORED>\n",
            f"{inner}</ENDPOINT>\n",
        )
    parts.append(f"{indent}</AFFECTED_ENDPOINTS>\n")
    return "".join(parts)


def _downtime_start(r: AnyRow) -> str:
    return (
        f'  <DOWNTIME ID="{r.id}" PRIMARY_KEY="{escape_attribute(r.primary_key)}" '
        f'CLASSIFICATION="{escape_attribute(r.classification)}">\n'
    )


def _downtime_dates(r: AnyRow, indent: str) -> str:
    """SEVERITY, DESCRIPTION (if any), the Unix dates and the ``FORMATED`` ones."""
    start, end = r.start_at, r.end_at
    return "".join(
        (
            optional_element(indent, "SEVERITY", r.severity),
            optional_element(indent, "DESCRIPTION", r.description),
            f"{indent}<INSERT_DATE>{unix(r.inserted_at)}</INSERT_DATE>\n",
            f"{indent}<START_DATE>{unix(start)}</START_DATE>\n",
            f"{indent}<END_DATE>{unix(end)}</END_DATE>\n",
            f"{indent}<FORMATED_START_DATE>{formatted(start)}</FORMATED_START_DATE>\n",
            f"{indent}<FORMATED_END_DATE>{formatted(end)}</FORMATED_END_DATE>\n",
        )
    )


def _service_of(r: AnyRow, indent: str) -> str:
    """HOSTNAME, SERVICE_TYPE, ENDPOINT (hostname and type run together) and HOSTED_BY."""
    return "".join(
        (
            optional_element(indent, "HOSTNAME", r.hostname),
            optional_element(indent, "SERVICE_TYPE", r.service_type),
            optional_element(indent, "ENDPOINT", f"{r.hostname}{r.service_type}"),
            optional_element(indent, "HOSTED_BY", r.sitename),
        )
    )


def render_downtimes(listing: DowntimeListing, ctx: Context) -> str:
    """get_downtime: one ``DOWNTIME`` per (downtime, affected service); the parts that are the
    same for every service of a downtime are formatted once."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    portal = ctx.escaped_portal_prefix("downtimes")
    affected = listing.endpoints
    i4 = "    "
    current, head, tail = None, "", ""
    for r in listing.page.rows:
        if r.id != current:
            current = r.id
            head = _downtime_start(r) + optional_element(i4, "PRIMARY_KEY", r.primary_key)
            url = f"{i4}<GOCDB_PORTAL_URL>{portal}{r.id}</GOCDB_PORTAL_URL>\n"
            tail = _downtime_dates(r, i4) + "  </DOWNTIME>\n"
        w.raw(
            "".join(
                (
                    head,
                    _service_of(r, i4),
                    url,
                    affected_block(i4, affected.get((r.id, r.service_id))),
                    tail,
                )
            )
        )
    return w.document()


def render_downtimes_nested(listing: DowntimeListing, ctx: Context) -> str:
    """get_downtime_nested_services: one ``DOWNTIME`` with its affected ``SERVICES``."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    portal = ctx.escaped_portal_prefix("downtimes")
    affected = listing.endpoints
    i4, i8 = "    ", "        "
    for ident, group in groupby(listing.page.rows, attrgetter("id")):
        rows = list(group)
        first = rows[0]
        parts = [
            _downtime_start(first),
            _downtime_dates(first, i4),
            f"{i4}<GOCDB_PORTAL_URL>{portal}{ident}</GOCDB_PORTAL_URL>\n{i4}<SERVICES>\n",
        ]
        for r in rows:
            parts += (
                f"      <SERVICE>\n{i8}<PRIMARY_KEY>{r.service_id}G0</PRIMARY_KEY>\n",
                _service_of(r, i8),
                affected_block(i8, affected.get((ident, r.service_id))),
                "      </SERVICE>\n",
            )
        parts.append(f"{i4}</SERVICES>\n  </DOWNTIME>\n")
        w.raw("".join(parts))
    return w.document()


def render_downtimes_to_broadcast(listing: DowntimeListing, ctx: Context) -> str:
    """get_downtime_to_broadcast: one ``DOWNTIME`` per (downtime, affected service)."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("DOWNTIME", _downtime_attributes(r))
        w.leaf("PRIMARY_KEY", r.primary_key)
        w.leaf("SITENAME", r.sitename)
        w.leaf("HOSTNAME", r.hostname)
        w.leaf("SERVICE_TYPE", r.service_type)
        w.leaf("HOSTED_BY", r.sitename)
        w.leaf("GOCDB_PORTAL_URL", ctx.portal("downtimes", r.id))
        w.raw(affected_block(w.indent, listing.endpoints.get((r.id, r.service_id))))
        w.leaf("SEVERITY", r.severity)
        w.leaf("DESCRIPTION", r.description)
        w.leaf("INSERT_DATE", unix(r.inserted_at))
        w.leaf("START_DATE", unix(r.start_at))
        w.leaf("END_DATE", unix(r.end_at))
        w.leaf("REMINDER_START_DOWNTIME", unix(r.start_at - BROADCAST_REMINDER))
        w.empty("BROADCASTING_START_DOWNTIME")
        w.end()
    return w.document()


def _downtime_attributes(r: AnyRow) -> tuple[tuple[str, Any], ...]:
    return (("ID", r.id), ("PRIMARY_KEY", r.primary_key), ("CLASSIFICATION", r.classification))
