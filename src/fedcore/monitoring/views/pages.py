"""The monitoring pages: reports, a report's grid of endpoint groups under their supergroups,
an endpoint group's day at every level, monthly A/R charts of an endpoint group and of a
supergroup, and the explanation of a day. Anyone reads them, like the REST API.

The day is ``?date=YYYY-MM-DD`` (default: the last day computed, else today) and the month
``?month=YYYY-MM`` (default: the month of that day); a malformed one is answered 422, an
unknown report, endpoint group or supergroup 404.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from fedcore.core.db import utcnow
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import ValidationFailed
from fedcore.core.templating import render
from fedcore.monitoring.service import explanations, views_data
from fedcore.monitoring.service.views_data import Line, ReportSummary
from fedcore.monitoring.views import svg

router = APIRouter()

Day = Annotated[date | None, Query(alias="date", description="the day, YYYY-MM-DD (UTC)")]
MonthText = Annotated[str | None, Query(description="the month, YYYY-MM")]
Narrowing = Annotated[str | None, Query()]
MONTH = re.compile(r"\d{4}-\d{2}")


def percent(value: float | None, places: int = 2) -> str:
    """A/R as shown: ``-`` when there is none, ``undefined`` for ARGO's -1."""
    if value is None:
        return "—"
    if value < 0:
        return "undefined"
    return f"{value:.{places}f} %"


def explain_link(report: str, group: str, day: date, line: Line | None = None) -> str:
    """The explanation page of a day's endpoint group, or of one of its lines."""
    query = {"date": day.isoformat()}
    if line is not None:
        query.update(
            (key, value)
            for key, value in (
                ("service", line.service),
                ("hostname", line.hostname),
                ("metric", line.metric),
            )
            if value
        )
    return f"/monitoring/reports/{quote(report)}/sites/{quote(group)}/explain?{urlencode(query)}"


def render_page(request: Request, name: str, **context: Any) -> Response:
    return render(
        request,
        name,
        state_class=svg.state_class,
        timeline=svg.timeline,
        clock=svg.clock,
        percent=percent,
        explain_link=explain_link,
        **context,
    )


def _report(session: DbSession, name: str, day: date | None) -> tuple[ReportSummary, date]:
    today = utcnow().date()
    summary = views_data.report_summary(session=session, name=name, day=day or today)
    return summary, day or summary.last_day or today


def _month(session: DbSession, name: str, month: str | None) -> tuple[ReportSummary, date]:
    if month is None:
        return _report(session, name, None)
    try:
        if not MONTH.fullmatch(month):
            raise ValueError
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValidationFailed(f"expected a month YYYY-MM, got {month!r}", field="month") from None
    return _report(session, name, first)


@router.get("/")
def report_list(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    reports = views_data.report_summaries(session=session, day=utcnow().date())
    return render_page(request, "monitoring/reports.html", reports=reports)


@router.get("/reports/{report}/")
def report_page(
    request: Request, report: str, session: DbSession, principal: CurrentPrincipal, day: Day = None
) -> Response:
    summary, shown = _report(session, report, day)
    return render_page(
        request,
        "monitoring/report.html",
        report=summary,
        day=shown,
        month=views_data.month_of(shown),
        supergroups=views_data.report_grid(session=session, report=report, day=shown),
    )


@router.get("/reports/{report}/sites/{group}")
def group_page(
    request: Request,
    report: str,
    group: str,
    session: DbSession,
    principal: CurrentPrincipal,
    day: Day = None,
) -> Response:
    summary, shown = _report(session, report, day)
    return render_page(
        request,
        "monitoring/site.html",
        report=summary,
        day=shown,
        view=views_data.group_day(session=session, report=report, group=group, day=shown),
        month=views_data.group_month(session=session, report=report, group=group, day=shown),
    )


@router.get("/reports/{report}/sites/{group}/month")
def group_month_page(
    request: Request,
    report: str,
    group: str,
    session: DbSession,
    principal: CurrentPrincipal,
    month: MonthText = None,
) -> Response:
    summary, shown = _month(session, report, month)
    values = views_data.group_month(session=session, report=report, group=group, day=shown)
    supergroup = views_data.find_group(session=session, report=report, group=group)
    return _month_page(request, summary, group, summary.group_type, supergroup, values)


@router.get("/reports/{report}/ngis/{supergroup}/month")
def supergroup_month_page(
    request: Request,
    report: str,
    supergroup: str,
    session: DbSession,
    principal: CurrentPrincipal,
    month: MonthText = None,
) -> Response:
    summary, shown = _month(session, report, month)
    values = views_data.supergroup_month(
        session=session, report=report, supergroup=supergroup, day=shown
    )
    return _month_page(request, summary, supergroup, summary.supergroup_type, None, values)


def _month_page(
    request: Request,
    summary: ReportSummary,
    entity: str,
    kind: str,
    supergroup: str | None,
    values: views_data.Month,
) -> Response:
    """A site's or a supergroup's month: daily A/R and the chart against the targets."""
    return render_page(
        request,
        "monitoring/month.html",
        report=summary,
        entity=entity,
        kind=kind,
        supergroup=supergroup,
        month=values,
        chart=svg.month_chart(
            entity, values, summary.availability_target, summary.reliability_target
        ),
    )


@router.get("/reports/{report}/sites/{group}/explain")
def explanation_page(
    request: Request,
    report: str,
    group: str,
    session: DbSession,
    principal: CurrentPrincipal,
    day: Day = None,
    service: Narrowing = None,
    hostname: Narrowing = None,
    metric: Narrowing = None,
) -> Response:
    summary, shown = _report(session, report, day)
    selection = explanations.explained_selection(service=service, hostname=hostname, metric=metric)
    return render_page(
        request,
        "monitoring/explain.html",
        report=summary,
        day=shown,
        explanation=explanations.explain(
            session=session, report=report, group=group, day=shown, selection=selection
        ),
    )
