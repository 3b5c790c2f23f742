"""Downtimes, with GOCDB's rules (``lib/Gocdb_Services/Downtime.php``).

* a downtime affects one or more services of ONE site, and optionally some of their endpoints;
* start < end, and the start may lie at most 48 h in the past;
* the classification is computed: SCHEDULED when the start is more than 24 h after the
  declaration (or edit), UNSCHEDULED otherwise;
* an ended downtime cannot be edited; a SCHEDULED one cannot be edited or deleted once it is
  within 24 h of its start; an edit may not lengthen it (an extension is a new downtime) and a
  changed start must be in the future; only downtimes that have not started can be deleted;
* "end now" ends an ongoing downtime 60 s from now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from fedcore.core.db import utcnow
from fedcore.core.errors import RuleViolation, ValidationFailed
from fedcore.core.pagination import Page, paginate
from fedcore.core.security import Principal
from fedcore.registry.enums import Classification
from fedcore.registry.models import Downtime, Endpoint, Ngi, Service, Site
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import DowntimeCreate, DowntimeFilter, DowntimeUpdate
from fedcore.registry.service.common import allocate_primary_key, get_by_id, like

SCHEDULED_NOTICE = timedelta(hours=24)
MAX_BACKDATING = timedelta(hours=48)
END_NOW_DELAY = timedelta(seconds=60)


def classify(start: datetime, now: datetime) -> Classification:
    return (
        Classification.SCHEDULED if start - now > SCHEDULED_NOTICE else Classification.UNSCHEDULED
    )


def downtime_query(filter: DowntimeFilter | None = None) -> Select[Downtime]:
    stmt = select(Downtime).options(
        selectinload(Downtime.site),
        selectinload(Downtime.services).selectinload(Service.service_type),
        selectinload(Downtime.endpoints),
    )
    if filter is None:
        return stmt
    if filter.site:
        stmt = stmt.where(Downtime.site.has(like(Site.short_name, filter.site)))
    if filter.ngi:
        stmt = stmt.where(Downtime.site.has(Site.ngi.has(like(Ngi.name, filter.ngi))))
    if filter.severity:
        stmt = stmt.where(Downtime.severity == filter.severity)
    if filter.classification:
        stmt = stmt.where(Downtime.classification == filter.classification)
    if filter.ongoing_at:
        stmt = stmt.where(
            Downtime.start_at <= filter.ongoing_at, Downtime.end_at > filter.ongoing_at
        )
    if filter.window_start:
        stmt = stmt.where(Downtime.end_at > filter.window_start)
    if filter.window_end:
        stmt = stmt.where(Downtime.start_at < filter.window_end)
    return stmt


def list_downtimes(
    *,
    session: Session,
    filter: DowntimeFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Downtime]:
    return paginate(session, downtime_query(filter), Downtime.id, cursor=cursor, limit=limit)


def list_recent_downtimes(*, session: Session, since: datetime) -> list[Downtime]:
    """Downtimes declared since ``since``: the broadcast list."""
    stmt = downtime_query().where(Downtime.inserted_at >= since).order_by(Downtime.id)
    return list(session.scalars(stmt))


def get_downtime(*, session: Session, downtime_id: int) -> Downtime:
    return get_by_id(session, Downtime, downtime_id, field="downtime")


def _targets(
    session: Session, actor: Principal, service_ids: list[int], endpoint_ids: list[int]
) -> tuple[Site, list[Service], list[Endpoint]]:
    if not service_ids:
        raise ValidationFailed("a downtime must affect at least one service", field="services")
    services = [
        get_by_id(session, Service, i, field="services") for i in dict.fromkeys(service_ids)
    ]
    sites = {s.site_id for s in services}
    if len(sites) != 1:
        raise RuleViolation("all affected services must belong to one site", field="services")
    site = services[0].site
    permissions.require("registry.downtime.declare", session=session, actor=actor, target=site)
    endpoints = [
        get_by_id(session, Endpoint, i, field="endpoints") for i in dict.fromkeys(endpoint_ids)
    ]
    chosen = {s.id for s in services}
    for endpoint in endpoints:
        if endpoint.service_id not in chosen:
            raise RuleViolation(
                f"endpoint {endpoint.id} does not belong to an affected service", field="endpoints"
            )
    return site, services, endpoints


def _check_dates(start: datetime, end: datetime, now: datetime) -> None:
    if start >= end:
        raise ValidationFailed("the end must be after the start", field="end")
    if start < now - MAX_BACKDATING:
        raise RuleViolation("the start may be at most 48 hours in the past", field="start")


def create_downtime(
    *, session: Session, actor: Principal, data: DowntimeCreate, now: datetime | None = None
) -> Downtime:
    now = now or utcnow()
    site, services, endpoints = _targets(session, actor, data.services, data.endpoints)
    _check_dates(data.start, data.end, now)
    downtime = Downtime(
        primary_key=allocate_primary_key(session),
        description=data.description,
        severity=data.severity,
        classification=classify(data.start, now),
        inserted_at=now,
        start_at=data.start,
        end_at=data.end,
        declared_by=actor.subject,
        site=site,
        services=services,
        endpoints=endpoints,
    )
    session.add(downtime)
    session.flush()
    return downtime


def check_changeable(downtime: Downtime, now: datetime, verb: str) -> None:
    if (
        downtime.classification == Classification.SCHEDULED
        and now > downtime.start_at - SCHEDULED_NOTICE
    ):
        raise RuleViolation(
            f"a scheduled downtime cannot be {verb} within 24 hours of its start", field="start"
        )


def update_downtime(
    *,
    session: Session,
    actor: Principal,
    downtime_id: int,
    data: DowntimeUpdate,
    now: datetime | None = None,
) -> Downtime:
    now = now or utcnow()
    downtime = get_downtime(session=session, downtime_id=downtime_id)
    permissions.require(
        "registry.downtime.declare", session=session, actor=actor, target=downtime.site
    )
    if downtime.end_at <= now:
        raise RuleViolation("an ended downtime cannot be edited", field="end")
    check_changeable(downtime, now, "edited")
    start = data.start or downtime.start_at
    end = data.end or downtime.end_at
    _check_dates(start, end, now)
    if data.start is not None and data.start != downtime.start_at and data.start <= now:
        raise RuleViolation("a changed start must be in the future", field="start")
    if end - start > downtime.end_at - downtime.start_at:
        raise RuleViolation(
            "a downtime cannot be lengthened; declare a new one for the extra time", field="end"
        )
    if data.services is not None or data.endpoints is not None:
        site, services, endpoints = _targets(
            session,
            actor,
            data.services if data.services is not None else [s.id for s in downtime.services],
            data.endpoints if data.endpoints is not None else [e.id for e in downtime.endpoints],
        )
        if site.id != downtime.site_id:
            raise RuleViolation("a downtime cannot move to another site", field="services")
        downtime.services, downtime.endpoints = services, endpoints
    if data.severity is not None:
        downtime.severity = data.severity
    if data.description is not None:
        downtime.description = data.description
    downtime.start_at, downtime.end_at = start, end
    downtime.classification = classify(start, now)
    session.flush()
    return downtime


def delete_downtime(
    *, session: Session, actor: Principal, downtime_id: int, now: datetime | None = None
) -> None:
    now = now or utcnow()
    downtime = get_downtime(session=session, downtime_id=downtime_id)
    permissions.require(
        "registry.downtime.declare", session=session, actor=actor, target=downtime.site
    )
    if downtime.start_at <= now:
        raise RuleViolation("a downtime that has started cannot be deleted; end it", field="start")
    check_changeable(downtime, now, "deleted")
    session.delete(downtime)
    session.flush()


def end_downtime(
    *, session: Session, actor: Principal, downtime_id: int, now: datetime | None = None
) -> Downtime:
    """End an ongoing downtime: its end becomes now + 60 s."""
    now = now or utcnow()
    downtime = get_downtime(session=session, downtime_id=downtime_id)
    permissions.require(
        "registry.downtime.declare", session=session, actor=actor, target=downtime.site
    )
    if not downtime.start_at <= now < downtime.end_at:
        raise RuleViolation("only an ongoing downtime can be ended", field="end")
    downtime.end_at = min(downtime.end_at, now + END_NOW_DELAY)
    session.flush()
    return downtime
