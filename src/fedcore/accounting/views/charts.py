"""The charts of the accounting pages, drawn on the server as inline SVG: a pivot's columns as
stacked bars (one segment per row) and the rows' shares of the whole as a pie.

A chart stays readable whatever the pivot holds: with no usage it says so in place of the
drawing, and beyond :data:`TOP` rows the smaller ones are drawn together as "others" (the
table beside it lists every row). Each segment and slice names its row, column and value in
its ``<title>`` (shown on hover); colours are the classes ``series-0`` ... ``series-others``
(``accounting.css``), shared with the legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from fedcore.accounting.reports import Report, Unit
from fedcore.core.svg import axis_text, chart, grid_line

TOP = 9
"""Rows drawn on their own; the rest are summed into one "others" series."""

OTHERS = "series-others"
EMPTY = "No usage to draw for this selection."

WIDTH = 760
HEIGHT = 300
LEFT = 64
RIGHT = 12
TOP_MARGIN = 12
BOTTOM = 40
MAX_COLUMN_LABELS = 12

PIE_SIZE = 240
PIE_RADIUS = 110


@dataclass(frozen=True, slots=True)
class Series:
    """One drawn row: its label, one value per column, its colour class and its share of the
    whole (0 to 1)."""

    label: str
    values: tuple[float, ...]
    css: str
    share: float

    @property
    def total(self) -> float:
        return sum(self.values)


def series(rows: Sequence[tuple[str, Sequence[float]]], keep: int = TOP) -> list[Series]:
    """The rows to draw, largest total first: ``keep`` of them on their own and the rest summed
    as "others (n rows)" (all of them when one more would fit); negative values count as 0."""
    cleaned = [(label, tuple(max(value, 0.0) for value in values)) for label, values in rows]
    ranked = sorted(cleaned, key=lambda row: (-sum(row[1]), row[0]))
    whole = sum(sum(values) for _, values in ranked) or 1.0
    drawn = ranked if len(ranked) <= keep + 1 else ranked[:keep]
    result = [
        Series(label, values, f"series-{index}", sum(values) / whole)
        for index, (label, values) in enumerate(drawn)
    ]
    rest = ranked[len(drawn) :]
    if rest:
        summed = tuple(sum(column) for column in zip(*(values for _, values in rest), strict=True))
        result.append(Series(f"others ({len(rest)} rows)", summed, OTHERS, sum(summed) / whole))
    return result


def compact(value: float) -> str:
    """An axis label: three significant digits with k, M, G or T."""
    for power, suffix in ((12, " T"), (9, " G"), (6, " M"), (3, " k")):
        if abs(value) >= 10.0**power:
            return f"{value / 10.0**power:.3g}{suffix}"
    return f"{value:.3g}"


def quantity(value: float) -> str:
    """A value as the tables show it: thousands separated, at most two decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _after(unit: str) -> str:
    """A unit after a number (nothing for a count)."""
    return f" {unit}" if unit else ""


def _step(maximum: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about four ticks."""
    rough = maximum / 4
    power = 10.0 ** math.floor(math.log10(rough))
    return next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= rough)


def _empty(css_class: str, width: int, height: int, title: str) -> Markup:
    return chart(
        css_class,
        width,
        height,
        f"{title}: {EMPTY}",
        [
            Markup('<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                width / 2, height / 2, EMPTY
            )
        ],
    )


def stacked_bars(columns: Sequence[str], drawn: Sequence[Series], unit: str, title: str) -> Markup:
    """One bar per column, stacked from the largest series at the bottom."""
    top = max((sum(s.values[i] for s in drawn) for i in range(len(columns))), default=0.0)
    if top <= 0:
        return _empty("usage-bars", WIDTH, HEIGHT, title)
    step = _step(top)
    ceiling = step * math.ceil(top / step)
    plot = HEIGHT - TOP_MARGIN - BOTTOM

    def y(value: float) -> float:
        return TOP_MARGIN + plot * (1 - value / ceiling)

    parts: list[Markup] = []
    for tick in range(round(ceiling / step) + 1):
        value = tick * step
        parts.append(grid_line(LEFT, WIDTH - RIGHT, y(value)))
        parts.append(axis_text(LEFT - 6, y(value) + 4, "end", compact(value)))
    slot = (WIDTH - LEFT - RIGHT) / len(columns)
    every = math.ceil(len(columns) / MAX_COLUMN_LABELS)
    for index, column in enumerate(columns):
        x = LEFT + index * slot
        if index % every == 0:
            parts.append(axis_text(x + slot / 2, HEIGHT - BOTTOM + 16, "middle", column))
        base = 0.0
        for one in drawn:
            value = one.values[index]
            if value <= 0:
                continue
            parts.append(
                Markup(
                    '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}">'
                    "<title>{}, {}: {}{}</title></rect>"
                ).format(
                    one.css,
                    x + slot * 0.15,
                    y(base + value),
                    slot * 0.7,
                    y(base) - y(base + value),
                    one.label,
                    column,
                    quantity(value),
                    _after(unit),
                )
            )
            base += value
    return chart("usage-bars", WIDTH, HEIGHT, title, parts)


def _point(angle: float) -> tuple[float, float]:
    centre = PIE_SIZE / 2
    return centre + PIE_RADIUS * math.cos(angle), centre + PIE_RADIUS * math.sin(angle)


def pie(drawn: Sequence[Series], unit: str, title: str) -> Markup:
    """Each series' share of the whole as a slice, clockwise from twelve o'clock."""
    shown = [one for one in drawn if one.total > 0]
    if not shown:
        return _empty("usage-pie", PIE_SIZE, PIE_SIZE, title)
    parts: list[Markup] = []
    angle = -math.pi / 2
    for one in shown:
        hover = Markup("<title>{}: {}{} ({:.1f} %)</title>").format(
            one.label, quantity(one.total), _after(unit), one.share * 100
        )
        if len(shown) == 1:
            parts.append(
                Markup('<circle class="{}" cx="{}" cy="{}" r="{}">{}</circle>').format(
                    one.css, PIE_SIZE / 2, PIE_SIZE / 2, PIE_RADIUS, hover
                )
            )
            break
        sweep = 2 * math.pi * one.share
        (x1, y1), (x2, y2) = _point(angle), _point(angle + sweep)
        parts.append(
            Markup(
                '<path class="{}" d="M{} {} L{:.2f} {:.2f} A{} {} 0 {} 1 {:.2f} {:.2f} Z">{}</path>'
            ).format(
                one.css,
                PIE_SIZE / 2,
                PIE_SIZE / 2,
                x1,
                y1,
                PIE_RADIUS,
                PIE_RADIUS,
                int(sweep > math.pi),
                x2,
                y2,
                hover,
            )
        )
        angle += sweep
    return chart("usage-pie", PIE_SIZE, PIE_SIZE, title, parts)


@dataclass(frozen=True, slots=True)
class Drawing:
    """A report's charts: the stacked bars, the pie (None for a percentage, which has no
    shares) and the series they draw, for the legend."""

    bars: Markup
    pie: Markup | None
    legend: list[Series]
    unit: str


def draw(report: Report) -> Drawing:
    """The charts of a report: its rows stacked per column, and their shares (a count's values
    carry no unit)."""
    query, table = report.query, report.pivot
    metric = query.metric.name
    unit = "" if query.metric.unit is Unit.COUNT else query.metric.unit.value
    period = "{} to {}".format(*report.period)
    named = f"{metric} ({unit})" if unit else metric
    if query.metric.unit is Unit.PERCENT:
        whole = series([(f"all {query.rows} rows", [v or 0.0 for v in table.column_totals])])
        title = f"{named} of all {query.rows} rows per {query.columns}, {period}"
        return Drawing(stacked_bars(table.columns, whole, unit, title), None, whole, unit)
    drawn = series(
        [
            (row, [v or 0.0 for v in cells])
            for row, cells in zip(table.rows, table.cells, strict=True)
        ]
    )
    title = f"{named} by {query.rows} per {query.columns}, {period}"
    return Drawing(
        stacked_bars(table.columns, drawn, unit, title),
        pie(drawn, unit, f"Shares of {metric} by {query.rows}, {period}"),
        drawn,
        unit,
    )
