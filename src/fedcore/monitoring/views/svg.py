"""Inline SVG drawn on the server (the pages load no chart library): a day's status timeline
as bars whose widths are the seconds each state held, with the period and the probe's summary
in each bar's ``<title>`` (shown on hover), and a month's daily availability and reliability
as bars against the report's targets (the chart element, grid and axis text from
:mod:`fedcore.core.svg`)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from fedcore.core.svg import axis_text, chart, grid_line
from fedcore.monitoring.service.views_data import DayValue, Month, Segment
from fedcore.monitoring.timelines import DAY_SECONDS

STATE_CLASSES = {
    "OK": "ok",
    "WARNING": "warning",
    "CRITICAL": "critical",
    "UNKNOWN": "unknown",
    "MISSING": "missing",
    "DOWNTIME": "downtime",
    "EXCLUDED": "excluded",
}
"""ARGO's states and their colour classes (``monitoring.css``); other states are ``other``."""

BAR_HEIGHT = 10


def state_class(state: str | None) -> str:
    return STATE_CLASSES.get(state or "", "other" if state else "none")


def clock(seconds: int) -> str:
    """Seconds after 00:00 as ``hh:mm`` (``hh:mm:ss`` when not on the minute; 24:00 at the end)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min" if minutes else f"{seconds} s"


def segment_title(label: str, segment: Segment) -> str:
    """What hovering a bar says: the entity, the state and its period, and for a metric the
    probe result in force then (its time, status, summary and message)."""
    text = (
        f"{label}: {segment.state} {clock(segment.start)}-{clock(segment.end)} UTC"
        f" ({duration(segment.end - segment.start)})"
    )
    result = segment.result
    if result is not None:
        text += f"\nresult of {result.timestamp:%Y-%m-%d %H:%M:%S}Z: {result.status}"
        if result.summary:
            text += f" — {result.summary}"
        if result.message:
            text += f"\n{result.message}"
    elif segment.state == "MISSING":
        text += "\nno result received"
    return text


def timeline(label: str, segments: Sequence[Segment]) -> Markup:
    """A day's timeline as one row of bars (the SVG stretches to the width of its box)."""
    summary = ", ".join(f"{s.state} {clock(s.start)}-{clock(s.end)}" for s in segments)
    bars = Markup("").join(
        Markup(
            '<rect class="state-{}" x="{}" y="0" width="{}" height="{}"><title>{}</title></rect>'
        ).format(
            state_class(s.state), s.start, s.end - s.start, BAR_HEIGHT, segment_title(label, s)
        )
        for s in segments
    )
    return Markup(
        '<svg class="timeline" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}: {}">{}</svg>'
    ).format(DAY_SECONDS, BAR_HEIGHT, label, summary, bars)


# --- month chart --------------------------------------------------------------------------------

WIDTH = 760
HEIGHT = 260
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 34


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(value, 100.0)) / 100)


def _bar(x: float, width: float, value: float, kind: str, title: str) -> Markup:
    if value < 0:
        return Markup(
            '<rect class="bar-undefined" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="4">'
            "<title>{}: undefined (unknown all day)</title></rect>"
        ).format(x, _y(0) - 4, width, title)
    top = _y(value)
    return Markup(
        '<rect class="bar-{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}">'
        "<title>{}: {:g} %</title></rect>"
    ).format(kind, x, top, width, _y(0) - top, title, value)


def _target(value: float, kind: str, label: str, *, below: bool) -> Markup:
    """A dashed target line, labelled above it (or below, to keep two close labels apart)."""
    y = _y(value)
    return Markup(
        '<line class="target-{}" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"><title>{}</title></line>'
        '<text class="target-label" x="{}" y="{:.1f}" text-anchor="end">{}</text>'
    ).format(
        kind, LEFT, WIDTH - RIGHT, y, y, label, WIDTH - RIGHT - 2, y + 12 if below else y - 3, label
    )


def month_chart(
    name: str, month: Month, availability_target: float, reliability_target: float
) -> Markup:
    """Daily A and R of the month as pairs of bars, with the targets as dashed lines."""
    days = (month.last - month.first).days + 1
    slot = (WIDTH - LEFT - RIGHT) / days
    bar = slot * 0.4
    by_day: dict[int, DayValue] = {value.day.day: value for value in month.days}
    parts: list[Markup] = []
    for tick in range(0, 101, 20):
        y = _y(tick)
        parts.append(grid_line(LEFT, WIDTH - RIGHT, y))
        parts.append(axis_text(LEFT - 6, y + 4, "end", tick))
    for number in range(1, days + 1):
        x = LEFT + (number - 1) * slot
        if number == 1 or number % 5 == 0:
            parts.append(axis_text(x + slot / 2, HEIGHT - BOTTOM + 16, "middle", number))
        value = by_day.get(number)
        if value is None:
            continue
        day = value.day.isoformat()
        parts.append(_bar(x + slot * 0.1, bar, value.availability, "a", f"{day} availability"))
        parts.append(_bar(x + slot * 0.5, bar, value.reliability, "r", f"{day} reliability"))
    a_below = availability_target <= reliability_target
    parts.append(
        _target(availability_target, "a", f"A target {availability_target:g} %", below=a_below)
    )
    parts.append(
        _target(reliability_target, "r", f"R target {reliability_target:g} %", below=not a_below)
    )
    label = (
        f"Daily availability and reliability of {name}, {month.first:%B %Y}, "
        f"against the targets A {availability_target:g} % and R {reliability_target:g} %"
    )
    return chart("ar-chart", WIDTH, HEIGHT, label, parts)
