"""PI queries over downtimes: get_downtime, get_downtime_nested_services and
get_downtime_to_broadcast."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, and_, select, union
from sqlalchemy.orm import Session

from fedcore.registry.extensions_expr import ExtensionTerm
from fedcore.registry.models import (
    Country,
    Downtime,
    Endpoint,
    Ngi,
    Service,
    ServiceProperty,
    ServiceType,
    Site,
    SiteProperty,
    downtime_endpoint,
    downtime_service,
    service_scope,
)
from fedcore.registry.service.common import like
from fedcore.registry.service.pi.base import (
    UNPAGED,
    AnyRow,
    AnySelect,
    Paging,
    PiPage,
    ScopeFilter,
    any_like,
    bounds,
    extensions_clause,
    keys_for,
    like_filter,
    present,
    run,
    scope_clause,
    where,
    within,
)


@dataclass(frozen=True)
class DowntimeQuery:
    """Downtime filters; dates are aware UTC datetimes, already shifted as GOCDB does."""

    id: int | None = None
    topentity: str | None = None
    ongoing_at: datetime | None = None
    start_after: datetime | None = None
    end_before: datetime | None = None
    end_after: datetime | None = None
    start_before: datetime | None = None
    inserted_after: datetime | None = None
    scope: ScopeFilter | None = None
    site_extensions: tuple[ExtensionTerm, ...] = ()
    service_extensions: tuple[ExtensionTerm, ...] = ()
    sites: tuple[str, ...] = ()
    ngis: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    severity: str | None = None
    classification: str | None = None
    production: bool | None = None
    monitored: bool | None = None
    certification_status: str | None = None


DOWNTIME_COLUMNS = (
    Downtime.id,
    Downtime.primary_key,
    Downtime.classification,
    Downtime.severity,
    Downtime.description,
    Downtime.inserted_at,
    Downtime.start_at,
    Downtime.end_at,
    Service.id.label("service_id"),
    Service.hostname,
    ServiceType.name.label("service_type"),
    Site.short_name.label("sitename"),
)


def _downtime_select(*columns: Any) -> AnySelect:
    link = downtime_service.c
    return (
        select(*columns)
        .select_from(Downtime)
        .join(downtime_service, link.downtime_id == Downtime.id)
        .join(Service, Service.id == link.service_id)
        .join(ServiceType, ServiceType.id == Service.service_type_id)
        .join(Site, Site.id == Service.site_id)
        .join(Ngi, Ngi.id == Site.ngi_id)
        .join(Country, Country.id == Site.country_id)
    )


def _services_below(entity: str) -> CompoundSelect[Any]:
    """Services whose hostname, site, NGI or country matches ``entity`` (GOCDB's
    ``topentity``), as a union each part of which an index serves."""
    at_site = select(Service.id).join(Site, Site.id == Service.site_id)
    return union(
        select(Service.id).where(like(Service.hostname, entity)),
        at_site.where(like(Site.short_name, entity)),
        at_site.join(Ngi, Ngi.id == Site.ngi_id).where(like(Ngi.name, entity)),
        at_site.join(Country, Country.id == Site.country_id).where(like(Country.name, entity)),
    )


def _downtime_conditions(q: DowntimeQuery) -> list[ColumnElement[bool]]:
    return present(
        None if q.id is None else Downtime.id == q.id,
        None
        if q.ongoing_at is None
        else and_(Downtime.start_at < q.ongoing_at, Downtime.end_at > q.ongoing_at),
        None if q.start_after is None else Downtime.start_at > q.start_after,
        None if q.end_before is None else Downtime.end_at < q.end_before,
        None if q.end_after is None else Downtime.end_at > q.end_after,
        None if q.start_before is None else Downtime.start_at < q.start_before,
        None if q.inserted_after is None else Downtime.inserted_at > q.inserted_after,
        None if q.severity is None else Downtime.severity == q.severity,
        None if q.classification is None else Downtime.classification == q.classification,
    )


def _downtime_filters(stmt: AnySelect, q: DowntimeQuery) -> AnySelect:
    """The filters on the downtimes themselves select the downtime ids first (their date
    indexes serve them); the others apply to the (downtime, service) pairs."""
    own = _downtime_conditions(q)
    top = q.topentity
    return where(
        stmt,
        downtime_service.c.downtime_id.in_(select(Downtime.id).where(*own)) if own else None,
        None if top is None else Service.id.in_(_services_below(top)),
        scope_clause(Service.id, service_scope, "service_id", q.scope),
        extensions_clause(Site.id, SiteProperty, q.site_extensions),
        extensions_clause(Service.id, ServiceProperty, q.service_extensions),
        any_like(Site.short_name, q.sites) if q.sites else None,
        any_like(Ngi.name, q.ngis) if q.ngis else None,
        any_like(ServiceType.name, q.service_types) if q.service_types else None,
        None if q.production is None else Service.production.is_(q.production),
        None if q.monitored is None else Service.monitored.is_(q.monitored),
        like_filter(Site.certification_status, q.certification_status),
    )


@dataclass
class DowntimeListing:
    """One row per (downtime, affected service that passes the filters), by downtime then
    service id; ``page`` counts downtimes. ``endpoints``: affected endpoints by (downtime id,
    service id), ``(downtime_id, service_id, id, name, url, interface_name, monitored)``."""

    page: PiPage
    endpoints: dict[tuple[int, int], list[AnyRow]] = field(default_factory=dict)


def pi_downtimes(
    *, session: Session, query: DowntimeQuery, paging: Paging = UNPAGED
) -> DowntimeListing:
    """get_downtime, get_downtime_nested_services and get_downtime_to_broadcast."""
    order = (Downtime.id, Service.id)
    stmt = _downtime_filters(_downtime_select(*DOWNTIME_COLUMNS), query)
    if paging.active:
        ids_stmt = _downtime_filters(_downtime_select(Downtime.id), query)
        page_ids = _downtime_page_ids(session, ids_stmt, paging)
        rows = run(session, where(stmt, within(session, Downtime.id, page_ids)).order_by(*order))
        page = bounds(rows, page_ids, paging)
    else:
        rows = run(session, stmt.order_by(*order))
        page_ids = list(dict.fromkeys(r.id for r in rows))
        page = PiPage(rows=rows, paged=False, count=len(page_ids))
    keys = keys_for(page_ids)
    listing = DowntimeListing(page)
    if rows:
        link = downtime_endpoint.c
        affected = run(
            session,
            select(
                link.downtime_id,
                Endpoint.service_id,
                Endpoint.id,
                Endpoint.name,
                Endpoint.url,
                Endpoint.interface_name,
                Endpoint.monitored,
            )
            .join(Endpoint, Endpoint.id == link.endpoint_id)
            .where(*present(within(session, link.downtime_id, keys)))
            .order_by(link.downtime_id, Endpoint.service_id, Endpoint.id),
        )
        listing.endpoints = {
            parent: list(group) for parent, group in groupby(affected, itemgetter(0, 1))
        }
    return listing


def _downtime_page_ids(session: Session, ids_stmt: AnySelect, paging: Paging) -> list[int]:
    ids = ids_stmt.distinct()
    if paging.next_cursor is not None:
        ids = ids.where(Downtime.id > paging.next_cursor).order_by(Downtime.id)
        return [r[0] for r in run(session, ids.limit(paging.size))]
    ids = ids.where(Downtime.id < paging.prev_cursor).order_by(Downtime.id.desc())
    return [r[0] for r in run(session, ids.limit(paging.size))][::-1]
