"""PI queries over sites, NGIs and projects: get_site, get_site_list, get_site_contacts,
get_site_security_info, get_site_count_per_country, get_subgrid_list, get_cert_status_date,
get_cert_status_changes, get_roc_list, get_ngi, get_roc_contacts and get_project_contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session

from fedcore.registry.enums import EntityType, Infrastructure
from fedcore.registry.extensions_expr import ExtensionTerm
from fedcore.registry.models import (
    CertificationChange,
    Country,
    Ngi,
    Project,
    Site,
    SiteProperty,
    ngi_scope,
    site_scope,
)
from fedcore.registry.service.common import like
from fedcore.registry.service.pi.base import (
    UNPAGED,
    AnyRow,
    AnySelect,
    Paging,
    PiPage,
    ScopeFilter,
    contacts,
    extensions_clause,
    keys_for,
    like_filter,
    paged,
    properties,
    run,
    scope_clause,
    scope_names,
    where,
    within,
)


@dataclass(frozen=True)
class SiteQuery:
    sitename: str | None = None
    roc: str | None = None
    country: str | None = None
    certification_status: str | None = None
    exclude_certification_status: str | None = None
    production_status: str | None = None
    scope: ScopeFilter | None = None
    extensions: tuple[ExtensionTerm, ...] = ()
    roletype: str | None = None


# --- sites -------------------------------------------------------------------------------------------

SITE_COLUMNS = (
    Site.id,
    Site.primary_key,
    Site.short_name,
    Site.official_name,
    Site.description,
    Site.home_url,
    Site.email,
    Site.telephone,
    Site.alarm_email,
    Site.giis_url,
    Site.tier,
    Country.code.label("country_code"),
    Country.name.label("country"),
    Ngi.name.label("ngi"),
    Site.subgrid,
    Site.infrastructure,
    Site.certification_status,
    Site.certification_changed_at,
    Site.timezone,
    Site.latitude,
    Site.longitude,
    Site.csirt_email,
    Site.csirt_tel,
    Site.notify,
    Site.domain,
    Site.ip_range,
    Site.ipv6_range,
)


def _site_select(*columns: Any) -> AnySelect:
    return (
        select(*columns)
        .select_from(Site)
        .join(Ngi, Ngi.id == Site.ngi_id)
        .join(Country, Country.id == Site.country_id)
    )


def _site_filters(stmt: AnySelect, query: SiteQuery) -> AnySelect:
    excluded = query.exclude_certification_status
    return where(
        stmt,
        like_filter(Site.short_name, query.sitename),
        like_filter(Ngi.name, query.roc),
        like_filter(Country.name, query.country),
        like_filter(Site.certification_status, query.certification_status),
        None if excluded is None else not_(like(Site.certification_status, excluded)),
        like_filter(Site.infrastructure, query.production_status),
        scope_clause(Site.id, site_scope, "site_id", query.scope),
        extensions_clause(Site.id, SiteProperty, query.extensions),
    )


@dataclass
class SiteListing:
    page: PiPage
    scopes: dict[int, list[str]] = field(default_factory=dict)
    extensions: dict[int, list[AnyRow]] = field(default_factory=dict)
    contacts: dict[int, list[AnyRow]] = field(default_factory=dict)


def pi_sites(
    *, session: Session, query: SiteQuery, paging: Paging = UNPAGED, details: bool = True
) -> SiteListing:
    """get_site (``details``: with scopes and extensions), get_site_list and
    get_site_security_info: sites in id order."""
    stmt = _site_filters(_site_select(*SITE_COLUMNS), query)
    _, page = paged(session, stmt, Site.id, paging)
    listing = SiteListing(page)
    if details and page.rows:
        keys = keys_for([r.id for r in page.rows])
        listing.scopes = scope_names(session, site_scope, "site_id", keys)
        listing.extensions = properties(session, SiteProperty, keys)
    return listing


def pi_site_contacts(
    *, session: Session, query: SiteQuery, paging: Paging = UNPAGED
) -> SiteListing:
    """get_site_contacts: sites, each with the users holding a role over it."""
    stmt = _site_filters(_site_select(Site.id, Site.primary_key, Site.short_name), query)
    _, page = paged(session, stmt, Site.id, paging)
    listing = SiteListing(page)
    if page.rows:
        keys = keys_for([r.id for r in page.rows])
        listing.contacts = contacts(session, EntityType.SITE, keys, query.roletype)
    return listing


def pi_cert_status_dates(*, session: Session, query: SiteQuery, paging: Paging = UNPAGED) -> PiPage:
    """get_cert_status_date: production sites with their certification status and its date."""
    stmt = _site_filters(
        _site_select(
            Site.id, Site.short_name, Site.certification_status, Site.certification_changed_at
        ),
        query,
    ).where(Site.infrastructure == Infrastructure.PRODUCTION)
    return paged(session, stmt, Site.id, paging)[1]


def pi_cert_status_changes(
    *,
    session: Session,
    site: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    paging: Paging = UNPAGED,
) -> PiPage:
    """get_cert_status_changes: the certification log, oldest first."""
    stmt = where(
        select(
            CertificationChange.id,
            CertificationChange.changed_at,
            Site.short_name,
            CertificationChange.old_status,
            CertificationChange.new_status,
            CertificationChange.changed_by,
            CertificationChange.reason,
        ).join(Site, Site.id == CertificationChange.site_id),
        like_filter(Site.short_name, site),
        None if after is None else CertificationChange.changed_at > after,
        None if before is None else CertificationChange.changed_at < before,
    )
    return paged(session, stmt, CertificationChange.id, paging)[1]


def pi_site_count_per_country(
    *,
    session: Session,
    certification_status: str | None = None,
    production_status: str | None = None,
    scope: ScopeFilter | None = None,
) -> list[tuple[str, int]]:
    """get_site_count_per_country: every country (zero counts too), by case-insensitive name.
    A scope counts sites that carry it and whose NGI carries it too (GOCDB)."""
    counted = where(
        _site_select(Site.country_id, func.count(Site.id)).group_by(Site.country_id),
        like_filter(Site.certification_status, certification_status),
        like_filter(Site.infrastructure, production_status),
        scope_clause(Site.id, site_scope, "site_id", scope),
        scope_clause(Site.ngi_id, ngi_scope, "ngi_id", scope),
    )
    counts: dict[int, int] = {ident: n for ident, n in run(session, counted)}
    countries = run(
        session, select(Country.id, Country.name).order_by(func.lower(Country.name), Country.id)
    )
    return [(name, counts.get(ident, 0)) for ident, name in countries]


def pi_subgrids(*, session: Session, subgrid: str | None = None) -> list[AnyRow]:
    """get_subgrid_list: the distinct (NGI, sub-grid) pairs sites name."""
    stmt = where(
        select(Ngi.name.label("ngi"), Site.subgrid)
        .join(Ngi, Ngi.id == Site.ngi_id)
        .where(Site.subgrid != "")
        .distinct()
        .order_by(Ngi.name, Site.subgrid),
        like_filter(Site.subgrid, subgrid),
    )
    return list(run(session, stmt))


# --- NGIs and projects --------------------------------------------------------------------------------


@dataclass
class NgiListing:
    page: PiPage
    scopes: dict[int, list[str]] = field(default_factory=dict)
    site_counts: dict[int, int] = field(default_factory=dict)
    contacts: dict[int, list[AnyRow]] = field(default_factory=dict)


NGI_COLUMNS = (
    Ngi.id,
    Ngi.name,
    Ngi.description,
    Ngi.email,
    Ngi.ggus_su,
    Ngi.rod_email,
    Ngi.helpdesk_email,
    Ngi.security_email,
)


def _ngi_filters(stmt: AnySelect, roc: str | None, scope: ScopeFilter | None) -> AnySelect:
    return where(stmt, like_filter(Ngi.name, roc), scope_clause(Ngi.id, ngi_scope, "ngi_id", scope))


def pi_ngis(
    *,
    session: Session,
    roc: str | None = None,
    scope: ScopeFilter | None = None,
    paging: Paging = UNPAGED,
    details: bool = True,
) -> NgiListing:
    """get_ngi (``details``: scopes and site counts) and get_roc_list."""
    _, page = paged(session, _ngi_filters(select(*NGI_COLUMNS), roc, scope), Ngi.id, paging)
    listing = NgiListing(page)
    if details and page.rows:
        keys = keys_for([r.id for r in page.rows])
        listing.scopes = scope_names(session, ngi_scope, "ngi_id", keys)
        counted = run(
            session,
            where(
                select(Site.ngi_id, func.count(Site.id)), within(session, Site.ngi_id, keys)
            ).group_by(Site.ngi_id),
        )
        listing.site_counts = {ngi_id: n for ngi_id, n in counted}
    return listing


def pi_ngi_contacts(
    *,
    session: Session,
    roc: str | None = None,
    roletype: str | None = None,
    paging: Paging = UNPAGED,
) -> NgiListing:
    """get_roc_contacts: NGIs, each with the users holding a role over it."""
    _, page = paged(session, _ngi_filters(select(*NGI_COLUMNS), roc, None), Ngi.id, paging)
    listing = NgiListing(page)
    if page.rows:
        keys = keys_for([r.id for r in page.rows])
        listing.contacts = contacts(session, EntityType.NGI, keys, roletype)
    return listing


@dataclass
class ProjectListing:
    page: PiPage
    contacts: dict[int, list[AnyRow]] = field(default_factory=dict)


def pi_project_contacts(
    *, session: Session, project: str | None = None, paging: Paging = UNPAGED
) -> ProjectListing:
    """get_project_contacts: projects, each with the users holding a role over it."""
    stmt = where(select(Project.id, Project.name), like_filter(Project.name, project))
    _, page = paged(session, stmt, Project.id, paging)
    listing = ProjectListing(page)
    if page.rows:
        keys = keys_for([r.id for r in page.rows])
        listing.contacts = contacts(session, EntityType.PROJECT, keys, None)
    return listing
