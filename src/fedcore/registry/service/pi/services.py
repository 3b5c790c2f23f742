"""PI queries over services and service groups: get_service (get_service_endpoint),
get_service_types, get_service_group and get_service_group_role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.registry.enums import EntityType
from fedcore.registry.extensions_expr import ExtensionTerm
from fedcore.registry.models import (
    Country,
    Endpoint,
    EndpointProperty,
    Ngi,
    Service,
    ServiceGroup,
    ServiceGroupProperty,
    ServiceProperty,
    ServiceType,
    Site,
    service_group_member,
    service_group_scope,
    service_scope,
)
from fedcore.registry.service.pi.base import (
    UNPAGED,
    AnyRow,
    AnySelect,
    Keys,
    Paging,
    PiPage,
    Record,
    ScopeFilter,
    contacts,
    extensions_clause,
    group_by_parent,
    keys_for,
    like_filter,
    paged,
    present,
    properties,
    run,
    scope_clause,
    scope_names,
    where,
    within,
)


@dataclass(frozen=True)
class ServiceQuery:
    hostname: str | None = None
    sitename: str | None = None
    roc: str | None = None
    country: str | None = None
    service_type: str | None = None
    monitored: bool | None = None
    scope: ScopeFilter | None = None
    extensions: tuple[ExtensionTerm, ...] = ()


# --- services ----------------------------------------------------------------------------------------

SERVICE_COLUMNS = (
    Service.id,
    Service.hostname,
    Service.host_dn,
    Service.host_os,
    Service.host_arch,
    Service.beta,
    ServiceType.name.label("service_type"),
    Service.host_ip,
    Service.host_ipv6,
    Service.production,
    Service.monitored,
    Service.notify,
    Site.short_name.label("sitename"),
    Country.name.label("country"),
    Country.code.label("country_code"),
    Ngi.name.label("ngi"),
    Service.url,
)


def _service_select(*columns: Any) -> AnySelect:
    return (
        select(*columns)
        .select_from(Service)
        .join(ServiceType, ServiceType.id == Service.service_type_id)
        .join(Site, Site.id == Service.site_id)
        .join(Ngi, Ngi.id == Site.ngi_id)
        .join(Country, Country.id == Site.country_id)
    )


def _service_filters(stmt: AnySelect, query: ServiceQuery) -> AnySelect:
    return where(
        stmt.where(Site.certification_status != "Closed"),
        like_filter(Service.hostname, query.hostname),
        like_filter(Site.short_name, query.sitename),
        like_filter(Ngi.name, query.roc),
        like_filter(Country.name, query.country),
        like_filter(ServiceType.name, query.service_type),
        None if query.monitored is None else Service.monitored.is_(query.monitored),
        scope_clause(Service.id, service_scope, "service_id", query.scope),
        extensions_clause(Service.id, ServiceProperty, query.extensions),
    )


@dataclass
class ServiceChildren:
    """Endpoints ``(service_id, id, name, url, interface_name, monitored, email)``, their
    extensions by endpoint id, and the services' scopes and extensions by service id."""

    endpoints: dict[int, list[Record]] = field(default_factory=dict)
    endpoint_extensions: dict[int, list[Record]] = field(default_factory=dict)
    scopes: dict[int, list[str]] = field(default_factory=dict)
    extensions: dict[int, list[AnyRow]] = field(default_factory=dict)


def _service_children(session: Session, keys: Keys) -> ServiceChildren:
    """One query for the endpoints with their extension properties (outer join: few endpoints
    have any), one for scopes, one for the services' extension properties."""
    rows = run(
        session,
        select(
            Endpoint.service_id,
            Endpoint.id,
            Endpoint.name,
            Endpoint.url,
            Endpoint.interface_name,
            Endpoint.monitored,
            Endpoint.email,
            EndpointProperty.id,
            EndpointProperty.key,
            EndpointProperty.value,
        )
        .outerjoin(EndpointProperty, EndpointProperty.parent_id == Endpoint.id)
        .where(*present(within(session, Endpoint.service_id, keys)))
        .order_by(Endpoint.service_id, Endpoint.id, EndpointProperty.id),
    )
    endpoints: dict[int, list[Record]] = {}
    endpoint_extensions: dict[int, list[Record]] = {}
    last = None
    for row in rows:
        endpoint_id = row[1]
        if endpoint_id != last:
            last = endpoint_id
            endpoints.setdefault(row[0], []).append(tuple(row[:7]))
        if row[7] is not None:
            endpoint_extensions.setdefault(endpoint_id, []).append((endpoint_id, *row[7:]))
    return ServiceChildren(
        endpoints=endpoints,
        endpoint_extensions=endpoint_extensions,
        scopes=scope_names(session, service_scope, "service_id", keys),
        extensions=properties(session, ServiceProperty, keys),
    )


@dataclass
class ServiceListing:
    page: PiPage
    children: ServiceChildren


def pi_services(
    *, session: Session, query: ServiceQuery, paging: Paging = UNPAGED
) -> ServiceListing:
    """get_service / get_service_endpoint: services of sites that are not Closed, in id order,
    with endpoints, scopes and extensions."""
    stmt = _service_filters(_service_select(*SERVICE_COLUMNS), query)
    _, page = paged(session, stmt, Service.id, paging)
    if not page.rows:
        return ServiceListing(page, ServiceChildren())
    keys = keys_for([r.id for r in page.rows])
    return ServiceListing(page, _service_children(session, keys))


def pi_service_types(*, session: Session) -> list[AnyRow]:
    return list(
        run(
            session,
            select(ServiceType.id, ServiceType.name, ServiceType.description).order_by(
                ServiceType.id
            ),
        )
    )


# --- service groups ----------------------------------------------------------------------------------


@dataclass
class ServiceGroupListing:
    page: PiPage
    scopes: dict[int, list[str]] = field(default_factory=dict)
    extensions: dict[int, list[AnyRow]] = field(default_factory=dict)
    members: dict[int, list[AnyRow]] = field(default_factory=dict)
    services: ServiceChildren = field(default_factory=ServiceChildren)
    roles: dict[int, list[AnyRow]] = field(default_factory=dict)


def _group_filters(
    stmt: AnySelect, name: str | None, scope: ScopeFilter | None, terms: Sequence[ExtensionTerm]
) -> AnySelect:
    return where(
        stmt,
        like_filter(ServiceGroup.name, name),
        scope_clause(ServiceGroup.id, service_group_scope, "service_group_id", scope),
        extensions_clause(ServiceGroup.id, ServiceGroupProperty, terms),
    )


def pi_service_groups(
    *,
    session: Session,
    name: str | None = None,
    scope: ScopeFilter | None = None,
    extensions: Sequence[ExtensionTerm] = (),
    paging: Paging = UNPAGED,
    members: bool = True,
) -> ServiceGroupListing:
    """get_service_group (``members``: with member services in full, scopes and extensions)
    and get_service_group_role (with the users holding a role over each group)."""
    columns = (
        ServiceGroup.id,
        ServiceGroup.name,
        ServiceGroup.description,
        ServiceGroup.monitored,
        ServiceGroup.email,
    )
    stmt = _group_filters(select(*columns), name, scope, extensions)
    _, page = paged(session, stmt, ServiceGroup.id, paging)
    listing = ServiceGroupListing(page)
    if not page.rows:
        return listing
    keys = keys_for([r.id for r in page.rows])
    if not members:
        listing.roles = contacts(session, EntityType.SERVICE_GROUP, keys, None)
        return listing
    listing.scopes = scope_names(session, service_group_scope, "service_group_id", keys)
    listing.extensions = properties(session, ServiceGroupProperty, keys)
    member_link = service_group_member.c
    listing.members = group_by_parent(
        run(
            session,
            _service_select(member_link.service_group_id, *SERVICE_COLUMNS)
            .join(service_group_member, member_link.service_id == Service.id)
            .where(*present(within(session, member_link.service_group_id, keys)))
            .order_by(member_link.service_group_id, Service.id),
        )
    )
    if listing.members:
        member_keys = where(
            select(member_link.service_id), within(session, member_link.service_group_id, keys)
        )
        listing.services = _service_children(session, member_keys)
    return listing
