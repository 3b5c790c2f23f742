"""Monitoring pages under ``/monitoring/``: the reports, each report's grid of endpoint groups
(sites) under their supergroups (NGIs) with the day's status and the month's A/R against the
report's targets, an endpoint group's day as colour timelines down to metrics (the probe's
summary on hover), monthly A/R charts of an endpoint group and of a supergroup, and why an
entity was not up on a day. Operators edit profiles, report definitions and recomputations
on the editing pages (:mod:`.editing`, :mod:`.recomputations`); anyone reads them.

Pages read stored results through the service layer (:mod:`..service.views_data`,
:mod:`..service.explanations`); charts are inline SVG drawn on the server (:mod:`.svg`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from fedcore.monitoring.views import editing, pages, recomputations

TEMPLATES = Path(__file__).parent.parent / "templates"

router = APIRouter()
router.include_router(pages.router)
router.include_router(editing.router)
router.include_router(recomputations.router)

__all__ = ["TEMPLATES", "router"]
