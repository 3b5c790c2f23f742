"""argo-web-api's status timelines: ``/api/v2/status/{report}/{endpoint group type}/...``
down to metrics, ``/api/v3/status/{report}[/id/{id}]`` (reference §12.2, §12.3). Each list
ends with ARGO's closing point: the last state again at 23:59:59 of the last day asked, or at
now when that day is today."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter

from fedcore.core.db import utcnow
from fedcore.core.deps import DbSession
from fedcore.monitoring.compat.argo_common import ApiKey, ArgoRoute, report_named
from fedcore.monitoring.compat.argo_format import (
    NO_RESULTS,
    bad_request,
    not_found,
    parse_days,
    parse_span,
    statuses,
)
from fedcore.monitoring.enums import Level
from fedcore.monitoring.service.argo_results import (
    GroupTypes,
    StatusFilter,
    StatusSeries,
    group_types,
    status_series,
)

router = APIRouter(route_class=ArgoRoute)


def _split_status_path(
    report: str, segments: list[str], types: GroupTypes
) -> tuple[Level, StatusFilter]:
    if not segments or segments[0] != types.endpoint_group:
        kind = segments[0] if segments else ""
        raise not_found(f"The report {report} does not define any group type: {kind}")
    group = segments[1] if len(segments) > 1 else None
    rest = segments[2:]
    parts = dict(zip(rest[0::2], rest[1::2], strict=False))
    names = rest[0::2]
    shapes = {
        (): Level.GROUP,
        ("services",): Level.SERVICE,
        ("services", "endpoints"): Level.ENDPOINT,
        ("endpoints",): Level.ENDPOINT,
        ("services", "endpoints", "metrics"): Level.METRIC,
    }
    level = shapes.get(tuple(names))
    if level is None or (rest and group is None):
        raise not_found(f"No such resource: {'/'.join(segments)}")
    return level, StatusFilter(
        group=group,
        service=parts.get("services"),
        hostname=parts.get("endpoints"),
        metric=parts.get("metrics"),
    )


def _status_tree(
    series: list[StatusSeries], level: Level, types: GroupTypes, last_day: date, now: datetime
) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for item in series:
        node = groups.setdefault(item.group, {"name": item.group, "type": types.endpoint_group})
        points = statuses(item.points, last_day, now)
        if level == Level.GROUP:
            node["statuses"] = points
            continue
        services: list[dict[str, Any]] = node.setdefault("services", [])
        if not services or services[-1]["name"] != item.service:
            services.append({"name": item.service, "type": "service"})
        if level == Level.SERVICE:
            services[-1]["statuses"] = points
            continue
        endpoints: list[dict[str, Any]] = services[-1].setdefault("endpoints", [])
        if not endpoints or endpoints[-1]["name"] != item.hostname:
            endpoints.append({"name": item.hostname})
            if item.info:
                endpoints[-1]["info"] = item.info
        if level == Level.ENDPOINT:
            endpoints[-1]["statuses"] = points
        else:
            endpoints[-1].setdefault("metrics", []).append(
                {"name": item.metric, "statuses": points}
            )
    return list(groups.values())


@router.get("/api/v2/status/{report}/{path:path}", summary="Status timelines (argo-web-api v2)")
def v2_status(
    session: DbSession,
    _key: ApiKey,
    report: str,
    path: str,
    start_time: str = "",
    end_time: str = "",
) -> dict[str, Any]:
    types = group_types(report_named(session, report))
    level, where = _split_status_path(report, [s for s in path.split("/") if s], types)
    start, end = parse_days(start_time, end_time)
    series = status_series(
        session=session, report=report, level=level, start=start, end=end, where=where
    )
    if not series:
        raise not_found(NO_RESULTS)
    return {"groups": _status_tree(series, level, types, end, utcnow())}


def _v3_window(start_time: str, end_time: str, view: str, now: datetime) -> tuple[date, date]:
    if view == "latest" and (start_time or end_time):
        raise bad_request(
            "Bad Request",
            "Parameter view=latest should not be used when specifing start_time and end_time "
            "period",
        )
    if not start_time and not end_time:
        return now.date(), now.date()
    start, end = parse_span(start_time, end_time)
    if end < start:
        raise bad_request("Bad Request", "end_time is before start_time")
    return start.date(), end.date()


@router.get("/api/v3/status/{report}", summary="Status of a report (argo-web-api v3)")
def v3_status(
    session: DbSession,
    _key: ApiKey,
    report: str,
    start_time: str = "",
    end_time: str = "",
    view: str = "",
) -> dict[str, Any]:
    types = group_types(report_named(session, report))
    now = utcnow()
    start, end = _v3_window(start_time, end_time, view, now)
    groups = status_series(session=session, report=report, level=Level.GROUP, start=start, end=end)
    endpoints = status_series(
        session=session, report=report, level=Level.ENDPOINT, start=start, end=end
    )
    if not groups:
        raise not_found(NO_RESULTS)
    latest = view == "latest"
    nodes: dict[str, dict[str, Any]] = {
        g.group: {
            "name": g.group,
            "type": types.endpoint_group,
            "statuses": statuses(g.points, end, now, latest=latest),
            "endpoints": [],
        }
        for g in groups
    }
    for e in endpoints:
        if e.group in nodes:
            nodes[e.group]["endpoints"].append(
                {
                    "hostname": e.hostname,
                    "service": e.service,
                    "info": e.info,
                    "statuses": statuses(e.points, end, now, latest=latest),
                }
            )
    return {"groups": list(nodes.values())}


@router.get("/api/v3/status/{report}/id/{resource_id}", summary="Status of endpoints by id (v3)")
def v3_status_by_id(
    session: DbSession,
    _key: ApiKey,
    report: str,
    resource_id: str,
    start_time: str = "",
    end_time: str = "",
    view: str = "",
) -> dict[str, Any]:
    report_named(session, report)
    now = utcnow()
    start, end = _v3_window(start_time, end_time, view, now)
    series = status_series(
        session=session, report=report, level=Level.ENDPOINT, start=start, end=end
    )
    endpoints = [
        {
            "hostname": e.hostname,
            "service": e.service,
            "group": e.group,
            "info": e.info,
            "statuses": statuses(e.points, end, now, latest=view == "latest"),
        }
        for e in series
        if e.info.get("ID") == resource_id
    ]
    if not endpoints:
        raise not_found(f"No endpoints found with resource-id: {resource_id}")
    return {"id": resource_id, "endpoints": endpoints}
