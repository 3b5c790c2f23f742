"""Accounting pages under ``/accounting/`` (docs/accounting.md, "Pages"): the year's totals with
the top sites and VOs and how fresh the last messages are, the pivot reports with their table,
stacked bars and pie, a site's and a VO's months, the messages received and the data-quality
findings.

Pages call the same service functions as the REST API (:mod:`..service.reports`,
:mod:`..service.publishers`, ...), which check the viewer's rights; charts are inline SVG drawn
on the server (:mod:`.charts`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from fedcore.accounting.views import messages, pages, quality, reports

TEMPLATES = Path(__file__).parent.parent / "templates"

router = APIRouter()
router.include_router(pages.router)
router.include_router(reports.router)
router.include_router(messages.router)
router.include_router(quality.router)

__all__ = ["TEMPLATES", "router"]
