"""Monitoring pages under ``/monitoring/``: the reports, each report's grid of endpoint groups
(sites) under their supergroups (NGIs) with the day's status and the month's A/R against the
report's targets, an endpoint group's day as colour timelines down to metrics (the probe's
summary on hover), monthly A/R charts of an endpoint group and of a supergroup, and why an
entity was not up on a day.

Pages read stored results through the service layer (:mod:`..service.views_data`,
:mod:`..service.explanations`); charts are inline SVG drawn on the server (:mod:`.svg`).
"""

from __future__ import annotations

from pathlib import Path

from fedcore.monitoring.views.pages import router

TEMPLATES = Path(__file__).parent.parent / "templates"

__all__ = ["TEMPLATES", "router"]
