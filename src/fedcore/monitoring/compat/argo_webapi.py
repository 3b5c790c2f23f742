"""argo-web-api compatible REST (reference §12; argo-web-api ``app/reports``, ``app/results``,
``app/status``, ``app/v3``), so that argo-mon-library and ARGO's dashboards read fedcore.

- ``/api/v2/reports[/{id}]``: reports in ARGO's shape (``{"status", "data": [...]}``).
- ``/api/v2/results/{report}/...``: A/R of supergroups, endpoint groups, services and
  endpoints, daily, monthly or custom (``start_time``, ``end_time`` required); the type
  segments are matched against the report's ``topology_schema``.
- ``/api/v2/status/{report}/{endpoint group type}/...``: status timelines down to metrics.
- ``/api/v3/results/{report}[/id/{id}]`` and ``/api/v3/status/{report}[/id/{id}]``.

Every route wants the header ``x-api-key`` carrying a fedcore API token (``fedcore token
create``) or an access token (a bearer ``Authorization`` header is accepted too); without a
valid one the answer is ARGO's 401. Numbers are strings as Go's ``%g`` prints them. Errors
ARGO defines keep its bodies (401, 400 for bad times or granularity, 404 for an unknown report
or type and for an empty answer); anything else is a fedcore problem document.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.deps import AppSettings, DbSession
from fedcore.core.errors import NotFound
from fedcore.monitoring import service
from fedcore.monitoring.compat import argo_status
from fedcore.monitoring.compat.argo_common import ApiKey, ArgoRoute, report_named
from fedcore.monitoring.compat.argo_format import (
    NO_RESULTS,
    ArgoError,
    ar_entry,
    bad_request,
    not_found,
    parse_days,
    parse_granularity,
    supergroup_entry,
)
from fedcore.monitoring.enums import Level, ProfileKind
from fedcore.monitoring.models import Report
from fedcore.monitoring.service.argo_results import (
    ARSeries,
    Filter,
    GroupTypes,
    ar_series,
    group_types,
    supergroup_series,
)
from fedcore.monitoring.service.profiles import version_at

router = APIRouter(route_class=ArgoRoute)

# --- reports ------------------------------------------------------------------------------------


def _argo_report(session: Session, report: Report, tenant: str) -> dict[str, Any]:
    version = version_at(report.versions, utcnow().date()) or report.versions[0]
    document = version.document
    profiles = []
    for ref in document.get("profiles", []):
        try:
            kind = ProfileKind(ref["type"])
            profile_id = service.get_profile(session=session, kind=kind, name=ref["name"]).uuid
        except (ValueError, NotFound):
            profile_id = ""
        profiles.append({"id": profile_id, "name": ref["name"], "type": ref["type"]})
    stamp = "%Y-%m-%d %H:%M:%S"
    return {
        "id": report.uuid,
        "tenant": tenant,
        "disabled": bool(document.get("disabled", False)),
        "info": {
            "name": report.name,
            "description": document.get("description", ""),
            "created": report.created_at.strftime(stamp),
            "updated": report.updated_at.strftime(stamp),
        },
        "thresholds": document.get("thresholds", {}),
        "topology_schema": document.get("topology_schema", {}),
        "profiles": profiles,
        "filter_tags": document.get("filter_tags", []),
        "computations": document.get("computations", {}),
    }


def _success(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": {"message": "Success", "code": "200"}, "data": data}


@router.get("/api/v2/reports", summary="Reports (argo-web-api v2)")
def list_reports(session: DbSession, settings: AppSettings, _key: ApiKey) -> dict[str, Any]:
    reports = service.list_reports(session=session)
    return _success([_argo_report(session, r, settings.default_scope) for r in reports])


@router.get("/api/v2/reports/{report_id}", summary="A report by id (argo-web-api v2)")
def get_report(
    session: DbSession, settings: AppSettings, _key: ApiKey, report_id: str
) -> dict[str, Any]:
    for report in service.list_reports(session=session):
        if report.uuid == report_id:
            return _success([_argo_report(session, report, settings.default_scope)])
    raise ArgoError(
        404,
        {
            "status": {"message": "Not Found", "code": "404"},
            "errors": [
                {
                    "message": "Not Found",
                    "code": "404",
                    "details": "item with the specific ID was not found on the server",
                }
            ],
        },
    )


# --- v2 results ---------------------------------------------------------------------------------


def _series_tree(
    series: list[ARSeries], level: Level, types: GroupTypes, key: str
) -> list[dict[str, Any]]:
    """v2's nesting: endpoint groups under their supergroup; services (and their endpoints)
    under their endpoint group."""
    tree: dict[str, dict[str, Any]] = {}
    for item in series:
        results = [ar_entry(p, key) for p in item.points]
        if level == Level.GROUP:
            node = tree.setdefault(
                item.supergroup, {"name": item.supergroup, "type": types.supergroup}
            )
            node.setdefault("endpoints", []).append(
                {"name": item.group, "type": types.endpoint_group, "results": results}
            )
            continue
        node = tree.setdefault(item.group, {"name": item.group, "type": types.endpoint_group})
        flavors: list[dict[str, Any]] = node.setdefault("serviceflavors", [])
        if not flavors or flavors[-1]["name"] != item.service:
            flavors.append({"name": item.service, "type": "service"})
        if level == Level.SERVICE:
            flavors[-1]["results"] = results
            continue
        endpoint: dict[str, Any] = {"name": item.hostname, "type": "endpoint"}
        if item.info:
            endpoint["info"] = item.info
        endpoint["results"] = results
        flavors[-1].setdefault("endpoints", []).append(endpoint)
    return list(tree.values())


def _split_results_path(
    report: str, segments: list[str], types: GroupTypes
) -> tuple[Level | None, Filter]:
    """(level, filter) of a v2 results path after the report; level None: supergroups."""
    supergroup = None
    if segments and segments[0] == types.supergroup and types.supergroup:
        if len(segments) <= 2:
            return None, Filter(supergroup=segments[1] if len(segments) == 2 else None)
        supergroup, segments = segments[1], segments[2:]
        if segments[0] != types.endpoint_group:
            raise bad_request(
                "Endpoint Group type not in report",
                f"Endpoint Group type {segments[0]} not present in report {report}. "
                f"Try using {types.endpoint_group} instead",
            )
    if not segments or segments[0] != types.endpoint_group:
        kind = segments[0] if segments else ""
        raise not_found(f"The report {report} does not define any group type: {kind}")
    group = segments[1] if len(segments) > 1 else None
    rest = segments[2:]
    where = Filter(supergroup=supergroup, group=group)
    if not rest:
        return Level.GROUP, where
    if rest[0] == "services" and len(rest) <= 2:
        return Level.SERVICE, Filter(supergroup, group, rest[1] if len(rest) == 2 else None)
    if rest[0] == "services" and rest[2] == "endpoints" and len(rest) <= 4:
        return Level.ENDPOINT, Filter(
            supergroup, group, rest[1], rest[3] if len(rest) == 4 else None
        )
    if rest[0] == "endpoints" and len(rest) <= 2:
        return Level.ENDPOINT, Filter(supergroup, group, None, rest[1] if len(rest) == 2 else None)
    raise not_found(f"No such resource: {'/'.join(segments)}")


@router.get("/api/v2/results/{report}/{path:path}", summary="A/R (argo-web-api v2)")
def v2_results(
    session: DbSession,
    _key: ApiKey,
    report: str,
    path: str,
    start_time: str = "",
    end_time: str = "",
    granularity: str = "",
) -> dict[str, Any]:
    types = group_types(report_named(session, report))
    level, where = _split_results_path(report, [s for s in path.split("/") if s], types)
    start, end = parse_days(start_time, end_time)
    grain = parse_granularity(granularity)
    if level is None:
        found = supergroup_series(
            session=session,
            report=report,
            start=start,
            end=end,
            granularity=grain,
            supergroup=where.supergroup,
        )
        results: list[dict[str, Any]] = [
            {
                "name": s.name,
                "type": types.supergroup,
                "results": [supergroup_entry(p, "timestamp") for p in s.points],
            }
            for s in found
            if s.points
        ]
    else:
        series = ar_series(
            session=session,
            report=report,
            level=level,
            start=start,
            end=end,
            granularity=grain,
            where=where,
        )
        results = _series_tree(series, level, types, "timestamp")
    if not results:
        raise not_found(NO_RESULTS)
    return {"results": results}


# --- v3 results ---------------------------------------------------------------------------------


@router.get("/api/v3/results/{report}", summary="A/R of a report (argo-web-api v3)")
def v3_results(
    session: DbSession,
    _key: ApiKey,
    report: str,
    start_time: str = "",
    end_time: str = "",
    granularity: str = "",
) -> dict[str, Any]:
    types = group_types(report_named(session, report))
    start, end = parse_days(start_time, end_time)
    found = supergroup_series(
        session=session,
        report=report,
        start=start,
        end=end,
        granularity=parse_granularity(granularity),
    )
    if not found:
        raise not_found(NO_RESULTS)
    return {
        "results": [
            {
                "name": s.name,
                "type": types.supergroup,
                "results": [supergroup_entry(p, "date") for p in s.points],
                "groups": [
                    {
                        "name": g.group,
                        "type": types.endpoint_group,
                        "results": [ar_entry(p, "date") for p in g.points],
                    }
                    for g in s.groups
                ],
            }
            for s in found
        ]
    }


@router.get("/api/v3/results/{report}/id/{resource_id}", summary="A/R of endpoints by id (v3)")
def v3_results_by_id(
    session: DbSession,
    _key: ApiKey,
    report: str,
    resource_id: str,
    start_time: str = "",
    end_time: str = "",
    granularity: str = "",
) -> dict[str, Any]:
    report_named(session, report)
    start, end = parse_days(start_time, end_time)
    series = ar_series(
        session=session,
        report=report,
        level=Level.ENDPOINT,
        start=start,
        end=end,
        granularity=parse_granularity(granularity),
    )
    endpoints = [
        {
            "name": s.hostname,
            "service": s.service,
            "supergroup": s.group,
            "info": s.info,
            "results": [ar_entry(p, "date") for p in s.points],
        }
        for s in series
        if s.info.get("ID") == resource_id
    ]
    if not endpoints:
        raise not_found(f"No endpoints found with resource-id: {resource_id}")
    return {"id": resource_id, "endpoints": endpoints}


router.include_router(argo_status.router)
