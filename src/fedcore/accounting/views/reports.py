"""The pivot report page ``/accounting/reports/`` (reference §3): a metric over rows and columns
for a period, with the filters site, NGI, country and VO, under the same parameter names as
``GET /api/accounting/reports`` (whose CSV and JSON the page links to). The answer is a table
with row and column totals, the rows stacked per column and their shares as a pie.

A parameter the report cannot take comes back next to its field (422), as does a per-user
report the viewer may not read (403); the site and VO pages ask their reports through
:func:`answer` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.accounting.reports import METRICS, Columns, Dimension, Report, period_ending
from fedcore.accounting.service import reports as report_service
from fedcore.accounting.views import charts
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import FedcoreError, NotAuthenticated
from fedcore.core.forms import Errors
from fedcore.core.security import Principal
from fedcore.core.templating import render

router = APIRouter()

FILTERS = ("site", "ngi", "country", "vo")
FIELDS = ("metric", "rows", "columns", "from", "to", *FILTERS)
DEFAULT_METRIC = "normalized_sum_cpu"

METRIC_CHOICES = [(m.name, f"{m.name} ({m.unit.value})") for m in METRICS.values()]
ROW_CHOICES = [(d.value, d.value) for d in Dimension]
COLUMN_CHOICES = [(c.value, c.value) for c in Columns]


def submitted(request: Request, names: Iterable[str], defaults: dict[str, str]) -> dict[str, str]:
    """The named query parameters as sent (blanks dropped, as a GET form sends them), over the
    defaults."""
    values = dict(defaults)
    for name in names:
        value = request.query_params.get(name, "").strip()
        if value:
            values[name] = value
    return values


@dataclass(frozen=True, slots=True)
class Answer:
    """A report asked from a page: the report and its charts, or the errors by field and the
    status to answer with."""

    report: Report | None
    drawing: charts.Drawing | None
    errors: Errors
    status: int


def answer(
    session: Session,
    principal: Principal,
    values: dict[str, str],
    fields: Mapping[str, str] | None = None,
) -> Answer:
    """The report of the page's values (``from`` and ``to`` as in the API); ``fields`` moves
    the error of a parameter the page fixes to the form field that caused it."""
    try:
        query = report_service.query_from(
            metric=values["metric"],
            rows=values["rows"],
            columns=values["columns"],
            start=values["from"],
            end=values["to"],
            filters={name: values.get(name) for name in FILTERS},
        )
        report = report_service.report(session=session, actor=principal, query=query)
    except NotAuthenticated:
        raise
    except FedcoreError as exc:
        field = exc.field or "form"
        return Answer(None, None, {(fields or {}).get(field, field): exc.detail}, exc.status)
    return Answer(report, charts.draw(report), {}, 200)


def api_link(values: dict[str, str], output: str) -> str:
    """The same report from ``GET /api/accounting/reports`` as ``output`` (json or csv)."""
    query = {name: values[name] for name in FIELDS if values.get(name)}
    return f"/api/accounting/reports?{urlencode({**query, 'format': output})}"


def render_page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        name,
        status_code=status_code,
        quantity=charts.quantity,
        metric_choices=METRIC_CHOICES,
        row_choices=ROW_CHOICES,
        column_choices=COLUMN_CHOICES,
        **context,
    )


@router.get("/reports/")
def report_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    first, last = period_ending(report_service.this_month())
    defaults = {"metric": DEFAULT_METRIC, "rows": "vo", "columns": "month", "from": first}
    values = submitted(request, FIELDS, {**defaults, "to": last})
    result = answer(session, principal, values)
    return render_page(
        request,
        "accounting/reports.html",
        status_code=result.status,
        values=values,
        result=result,
        csv_link=api_link(values, "csv"),
        json_link=api_link(values, "json"),
    )
