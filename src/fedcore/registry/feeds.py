"""Downtime feeds, free of the web layer: an iCalendar (RFC 5545) calendar of a site's or an
NGI's downtimes, and an Atom (RFC 4287) feed of newly declared downtimes (the broadcast list).

Every time is UTC. Each downtime keeps one identity across both feeds and across refreshes:
iCalendar ``UID`` = ``<primary key>@<host>`` (RFC 5545 §3.8.4.7), Atom ``id`` = the URL of the
downtime's page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from icalendar import Calendar, Event
from lxml import etree

from fedcore.core.db import isoformat_z

if TYPE_CHECKING:
    from fedcore.registry.models import Downtime

ATOM = "http://www.w3.org/2005/Atom"
PRODID = "-//fedcore//registry downtimes//EN"

Link = Callable[["Downtime"], str]


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def summary(downtime: Downtime) -> str:
    """One line: severity, site and the first line of the description."""
    first_line = downtime.description.strip().splitlines()[0] if downtime.description else ""
    text = f"[{downtime.severity}] {downtime.site.short_name}"
    return f"{text}: {first_line}" if first_line else text


def affected(downtime: Downtime) -> list[str]:
    """The affected services (``host (type)``) and, when chosen, endpoints (``name``)."""
    items = [f"{s.hostname} ({s.service_type.name})" for s in downtime.services]
    items += [f"endpoint {e.name}" for e in downtime.endpoints]
    return items


def description(downtime: Downtime) -> str:
    lines = [
        f"{downtime.severity}, {downtime.classification}, at {downtime.site.short_name}",
        f"From {_utc_text(downtime.start_at)} to {_utc_text(downtime.end_at)}",
        "Affects: " + "; ".join(affected(downtime)),
    ]
    if downtime.description:
        lines += ["", downtime.description]
    return "\n".join(lines)


def downtime_calendar(downtimes: Iterable[Downtime], *, name: str, host: str, link: Link) -> bytes:
    """An iCalendar with one VEVENT per downtime; ``host`` makes the UIDs globally unique."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "UTC")
    for downtime in downtimes:
        event = Event()
        event.add("uid", f"{downtime.primary_key}@{host}")
        event.add("dtstamp", downtime.inserted_at.astimezone(UTC))
        event.add("created", downtime.inserted_at.astimezone(UTC))
        event.add("dtstart", downtime.start_at.astimezone(UTC))
        event.add("dtend", downtime.end_at.astimezone(UTC))
        event.add("summary", summary(downtime))
        event.add("description", description(downtime))
        event.add("url", link(downtime))
        event.add("categories", [downtime.severity, downtime.classification])
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def downtime_atom(
    downtimes: Iterable[Downtime],
    *,
    title: str,
    feed_url: str,
    page_url: str,
    link: Link,
    updated: datetime,
) -> bytes:
    """An Atom feed, one entry per downtime, newest declaration first."""
    items = sorted(downtimes, key=lambda d: (d.inserted_at, d.id), reverse=True)
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]
    _text(feed, "title", title)
    _text(feed, "id", feed_url)
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_url)
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=page_url)
    _text(feed, "updated", isoformat_z(max([updated, *(d.inserted_at for d in items)])))
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "fedcore service registry")
    for downtime in items:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        url = link(downtime)
        _text(entry, "title", summary(downtime))
        _text(entry, "id", url)
        etree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=url)
        _text(entry, "published", isoformat_z(downtime.inserted_at))
        _text(entry, "updated", isoformat_z(downtime.inserted_at))
        for term in (downtime.severity, downtime.classification):
            etree.SubElement(entry, f"{{{ATOM}}}category", term=term)
        _text(entry, "summary", description(downtime))
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True))


def _text(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, f"{{{ATOM}}}{tag}").text = text
