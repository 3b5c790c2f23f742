"""Inline SVG pieces that every subsystem's server-drawn charts share (the pages load no chart
library): the chart element with its accessible name, horizontal grid lines and axis text.

Colours and fonts come from the page's stylesheet through the classes ``grid`` and ``axis``
under the chart's own class.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup


def chart(css_class: str, width: int, height: int, label: str, parts: Iterable[Markup]) -> Markup:
    """The ``<svg>`` of a chart drawn in a ``width`` by ``height`` box that scales to the page;
    ``label`` is what a screen reader says instead of the drawing."""
    return Markup('<svg class="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>').format(
        css_class, width, height, label, Markup("").join(parts)
    )


def grid_line(x1: float, x2: float, y: float) -> Markup:
    """A horizontal grid line across the plot at height ``y``."""
    return Markup('<line class="grid" x1="{:.1f}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}"/>').format(
        x1, x2, y, y
    )


def axis_text(x: float, y: float, anchor: str, text: object) -> Markup:
    """A tick label; ``anchor`` is ``start``, ``middle`` or ``end``."""
    return Markup('<text class="axis" x="{:.1f}" y="{:.1f}" text-anchor="{}">{}</text>').format(
        x, y, anchor, text
    )
