"""Reports under ``/api/monitoring/reports``: anyone reads, operators write; versioned by date
like profiles. Also the computation of a report's day (operators) and the days computed."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.core.api import created
from fedcore.core.db import utcnow
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound
from fedcore.core.pagination import PageRead
from fedcore.monitoring import service
from fedcore.monitoring.models import Report
from fedcore.monitoring.schemas import ComputedDayRead, ReportCreate, ReportRead, ReportUpdate
from fedcore.monitoring.service.profiles import version_at

router = APIRouter()

DayQuery = Annotated[
    date | None, Query(description="show the version valid on this day (default: today)")
]


def report_read(report: Report, day: date | None = None) -> ReportRead:
    version = version_at(report.versions, day or utcnow().date())
    if version is None:
        if day is not None:
            raise NotFound(f"{report.name!r} has no version valid on {day}", field="date")
        version = report.versions[0]
    return ReportRead.model_validate(
        {
            **version.document,
            "id": report.uuid,
            "name": report.name,
            "valid_from": version.valid_from,
            "versions": [v.valid_from for v in report.versions],
            "created": report.created_at,
            "updated": report.updated_at,
        }
    )


@router.get("/reports", summary="List reports", response_model=PageRead[ReportRead])
def list_reports(session: DbSession, day: DayQuery = None) -> PageRead[ReportRead]:
    reports = service.list_reports(session=session)
    return PageRead[ReportRead](items=[report_read(r, day) for r in reports])


@router.get("/reports/{name}", summary="Get a report", response_model=ReportRead)
def get_report(session: DbSession, name: str, day: DayQuery = None) -> ReportRead:
    return report_read(service.get_report(session=session, name=name), day)


@router.post(
    "/reports", summary="Create a report (operators)", status_code=201, response_model=ReportRead
)
def create_report(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: ReportCreate,
) -> ReportRead:
    report = service.create_report(session=session, actor=actor, data=data)
    created(request, response, "get_report", name=report.name)
    return report_read(report, data.valid_from)


@router.patch(
    "/reports/{name}",
    summary="Add a version of a report (operators)",
    response_model=ReportRead,
)
def update_report(
    session: DbSession, actor: CurrentPrincipal, name: str, data: ReportUpdate
) -> ReportRead:
    report = service.update_report(session=session, actor=actor, name=name, data=data)
    return report_read(report, data.valid_from)


@router.delete(
    "/reports/{name}",
    summary="Delete a report with its results (operators)",
    status_code=204,
    response_class=Response,
)
def delete_report(session: DbSession, actor: CurrentPrincipal, name: str) -> None:
    service.delete_report(session=session, actor=actor, name=name)


@router.get(
    "/reports/{name}/days",
    summary="The days computed for a report",
    response_model=PageRead[ComputedDayRead],
)
def list_computed_days(session: DbSession, name: str) -> PageRead[ComputedDayRead]:
    days = service.computed_days(session=session, report=name)
    return PageRead[ComputedDayRead](items=[ComputedDayRead.model_validate(d) for d in days])


@router.post(
    "/reports/{name}/days/{day}",
    summary="Compute a report's day now (operators; today: up to now)",
    response_model=ComputedDayRead,
)
def compute_day(
    session: DbSession, actor: CurrentPrincipal, name: str, day: date
) -> ComputedDayRead:
    computed = service.compute_report_day(session=session, actor=actor, report=name, day=day)
    return ComputedDayRead.model_validate(computed)
