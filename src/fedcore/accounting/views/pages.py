"""The accounting overview, a site's page and a VO's page.

* ``/accounting/``: this year's totals (jobs, normalised CPU, VM-months, storage, GPU hours),
  the ten sites and VOs with the most normalised CPU, and when the last accepted message of
  each kind arrived (how fresh the figures are); for operators a link to the data quality.
* ``/accounting/sites/{site}/``: the site's months by VO for a metric and period; for those
  who may see them, its publishers, its sync status (gaps marked) and the last messages that
  stored its records.
* ``/accounting/vos/{vo}/``: the VO's months by site.

Anyone reads the aggregate figures, as in the REST API; the services decide the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.permissions import permissions
from fedcore.accounting.reports import METRICS, Report, period_ending
from fedcore.accounting.service import messages as message_service
from fedcore.accounting.service import publishers as publisher_service
from fedcore.accounting.service import reports as report_service
from fedcore.accounting.service import sync as sync_service
from fedcore.accounting.views import charts, quality
from fedcore.accounting.views.reports import (
    DEFAULT_METRIC,
    answer,
    render_page,
    submitted,
)
from fedcore.core.db import utcnow
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.security import Principal

router = APIRouter()

TOTALS = (
    ("number_of_jobs", "jobs"),
    ("normalized_sum_cpu", "normalised CPU ({unit})"),
    ("number_of_vms", "VM-months"),
    ("storage_used", "storage used ({unit})"),
    ("gpu_hours", "GPU hours"),
)
"""The overview's totals: metric and label (``{unit}``: the metric's)."""

TOP = 10
LAST_MESSAGES = 10
PERIOD_FIELDS = ("metric", "from", "to")
FIXED_FIELDS = {"rows": "metric", "columns": "metric"}
"""A site's or VO's rows and columns are fixed: a metric not recorded per them is the metric's
fault."""


@dataclass(frozen=True, slots=True)
class Total:
    label: str
    metric: str
    value: float | None


@dataclass(frozen=True, slots=True)
class Ranked:
    """A row of a top list: its name, value and share of the whole (0 to 1)."""

    name: str
    value: float
    share: float


@dataclass(frozen=True, slots=True)
class Freshness:
    """When the last accepted message of a kind arrived (None: never) and how long ago."""

    kind: str
    last: datetime | None
    age: str


def age(then: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: minutes, hours or days."""
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _freshness(session: Session, now: datetime) -> list[Freshness]:
    last = message_service.last_accepted(session=session)
    return [
        Freshness(kind, last[kind], age(last[kind], now))
        if kind in last
        else Freshness(kind, None, "")
        for kind in RecordKind
    ]


def _year(session: Session, principal: Principal, metric: str, rows: str, year: int) -> Report:
    query = report_service.query_from(
        metric=metric,
        rows=rows,
        columns="year",
        start=f"{year}-01",
        end=f"{year}-12",
        filters={},
    )
    return report_service.report(session=session, actor=principal, query=query)


def _top(report: Report) -> list[Ranked]:
    pivot = report.pivot
    whole = pivot.total or 0.0
    return [
        Ranked(name, total or 0.0, (total or 0.0) / whole if whole else 0.0)
        for name, total in zip(pivot.rows[:TOP], pivot.row_totals[:TOP], strict=True)
    ]


@router.get("/")
def overview(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    now = utcnow()
    year = now.year
    totals = [
        Total(
            label.format(unit=METRICS[metric].unit.value),
            metric,
            _year(session, principal, metric, "site", year).pivot.total,
        )
        for metric, label in TOTALS
    ]
    return render_page(
        request,
        "accounting/overview.html",
        year=year,
        totals=totals,
        top_sites=_top(_year(session, principal, DEFAULT_METRIC, "site", year)),
        top_vos=_top(_year(session, principal, DEFAULT_METRIC, "vo", year)),
        unit=METRICS[DEFAULT_METRIC].unit.value,
        freshness=_freshness(session, now),
        compact=charts.compact,
        data_quality=quality.may_read(session, principal),
    )


def _period_values(request: Request) -> dict[str, str]:
    first, last = period_ending(report_service.this_month())
    return submitted(request, PERIOD_FIELDS, {"metric": DEFAULT_METRIC, "from": first, "to": last})


@router.get("/sites/{site}/")
def site_page(
    request: Request, site: str, session: DbSession, principal: CurrentPrincipal
) -> Response:
    values = _period_values(request)
    fixed = {"rows": "vo", "columns": "month", "site": site}
    result = answer(session, principal, {**values, **fixed}, FIXED_FIELDS)
    publishers = sync = last_messages = None
    if permissions.allows(
        "accounting.publisher.manage", session=session, actor=principal, target=site
    ):
        publishers = publisher_service.list_publishers(session=session, actor=principal, site=site)
    if permissions.allows("accounting.message.read", session=session, actor=principal, target=site):
        last_messages = message_service.messages_of_site(
            session=session, actor=principal, site=site, limit=LAST_MESSAGES
        )
    if result.report is not None and permissions.allows(
        "accounting.sync.read", session=session, actor=principal, target=site
    ):
        sync = sync_service.sync_status(
            session=session,
            actor=principal,
            site=site,
            from_month=values["from"],
            to_month=values["to"],
        )
    return render_page(
        request,
        "accounting/site.html",
        status_code=result.status,
        site=site,
        values=values,
        result=result,
        publishers=publishers,
        sync=sync,
        last_messages=last_messages,
    )


@router.get("/vos/{vo}/")
def vo_page(request: Request, vo: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    values = _period_values(request)
    fixed = {"rows": "site", "columns": "month", "vo": vo}
    result = answer(session, principal, {**values, **fixed}, FIXED_FIELDS)
    return render_page(
        request,
        "accounting/vo.html",
        status_code=result.status,
        vo=vo,
        values=values,
        result=result,
    )
