"""Service types, services, their endpoints and service groups."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from fedcore.core.errors import Conflict, RuleViolation, ValidationFailed
from fedcore.core.pagination import Page, paginate
from fedcore.core.security import Principal
from fedcore.registry.enums import EntityType
from fedcore.registry.models import (
    Endpoint,
    Ngi,
    Scope,
    Service,
    ServiceGroup,
    ServiceType,
    Site,
    service_scope,
)
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import (
    EndpointCreate,
    EndpointUpdate,
    ServiceCreate,
    ServiceFilter,
    ServiceGroupCreate,
    ServiceGroupUpdate,
    ServiceTypeCreate,
    ServiceTypeUpdate,
    ServiceUpdate,
)
from fedcore.registry.service.common import (
    apply_changes,
    delete_roles_of,
    flush_unique,
    get_by_id,
    get_by_name,
    like,
    resolve_scopes,
)

# --- service types ----------------------------------------------------------------------------------


def list_service_types(*, session: Session) -> list[ServiceType]:
    return list(session.scalars(select(ServiceType).order_by(ServiceType.name)))


def get_service_type(*, session: Session, service_type_id: int) -> ServiceType:
    return get_by_id(session, ServiceType, service_type_id, field="service_type")


def create_service_type(
    *, session: Session, actor: Principal, data: ServiceTypeCreate
) -> ServiceType:
    permissions.require("registry.service_type.create", session=session, actor=actor)
    service_type = ServiceType(**data.model_dump())
    session.add(service_type)
    flush_unique(session, "service type", data.name)
    return service_type


def update_service_type(
    *, session: Session, actor: Principal, service_type_id: int, data: ServiceTypeUpdate
) -> ServiceType:
    permissions.require("registry.service_type.update", session=session, actor=actor)
    service_type = get_service_type(session=session, service_type_id=service_type_id)
    apply_changes(service_type, data.model_dump(exclude_unset=True))
    session.flush()
    return service_type


def delete_service_type(*, session: Session, actor: Principal, service_type_id: int) -> None:
    permissions.require("registry.service_type.delete", session=session, actor=actor)
    service_type = get_service_type(session=session, service_type_id=service_type_id)
    if session.scalar(select(exists().where(Service.service_type_id == service_type.id))):
        raise RuleViolation("services of this type exist", field="service_type")
    session.delete(service_type)
    session.flush()


# --- services ---------------------------------------------------------------------------------------


def service_query(filter: ServiceFilter | None = None) -> Select[Service]:
    stmt = select(Service).options(
        selectinload(Service.site),
        selectinload(Service.service_type),
        selectinload(Service.scopes),
        selectinload(Service.properties),
        selectinload(Service.endpoints).selectinload(Endpoint.properties),
    )
    if filter is None:
        return stmt
    if filter.hostname:
        stmt = stmt.where(like(Service.hostname, filter.hostname))
    if filter.site:
        stmt = stmt.where(Service.site.has(like(Site.short_name, filter.site)))
    if filter.ngi:
        stmt = stmt.where(Service.site.has(Site.ngi.has(like(Ngi.name, filter.ngi))))
    if filter.service_type:
        stmt = stmt.where(Service.service_type.has(like(ServiceType.name, filter.service_type)))
    if filter.production is not None:
        stmt = stmt.where(Service.production == filter.production)
    if filter.monitored is not None:
        stmt = stmt.where(Service.monitored == filter.monitored)
    if filter.scope:
        stmt = stmt.where(
            exists().where(
                service_scope.c.service_id == Service.id,
                service_scope.c.scope_id == Scope.id,
                Scope.name == filter.scope,
            )
        )
    return stmt


def list_services(
    *,
    session: Session,
    filter: ServiceFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Service]:
    return paginate(session, service_query(filter), Service.id, cursor=cursor, limit=limit)


def get_service(*, session: Session, service_id: int) -> Service:
    return get_by_id(session, Service, service_id, field="service")


def host_dn_sites(*, session: Session, host_dn: str, service_types: Collection[str]) -> set[str]:
    """Short names of the sites registering a service of one of ``service_types`` whose host DN
    is ``host_dn`` (the DNs a site's services sign with, as GOCDB lists them for APEL)."""
    if not host_dn or not service_types:
        return set()
    statement = (
        select(Site.short_name)
        .join(Service, Service.site_id == Site.id)
        .join(ServiceType, Service.service_type_id == ServiceType.id)
        .where(Service.host_dn == host_dn, ServiceType.name.in_(service_types))
    )
    return set(session.scalars(statement))


def check_monitoring(service: Service) -> None:
    """EGI rule: a production service is monitored unless its type is a monitoring exception."""
    if (
        service.production
        and not service.monitored
        and not service.service_type.monitoring_exception
    ):
        raise RuleViolation(
            f"a production {service.service_type.name} service must be monitored",
            field="monitored",
        )


def new_endpoint(service: Service, data: EndpointCreate) -> Endpoint:
    fields = data.model_dump()
    fields["interface_name"] = fields["interface_name"] or service.service_type.name
    return Endpoint(**fields)


def flush_endpoints(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the service has an endpoint named {name!r} already", field="name") from exc


def create_service(*, session: Session, actor: Principal, data: ServiceCreate) -> Service:
    site = get_by_name(session, Site, Site.short_name, data.site, field="site")
    permissions.require("registry.site.add_service", session=session, actor=actor, target=site)
    service_type = get_by_name(
        session, ServiceType, ServiceType.name, data.service_type, field="service_type"
    )
    names = [e.name for e in data.endpoints]
    if len(set(names)) != len(names):
        raise ValidationFailed("endpoint names must be unique within a service", field="endpoints")
    scopes = resolve_scopes(session, actor, data.scopes)
    service = Service(
        **data.model_dump(exclude={"site", "service_type", "scopes", "endpoints"}),
        service_type=service_type,
        scopes=scopes,
    )
    check_monitoring(service)
    service.endpoints = [new_endpoint(service, e) for e in data.endpoints]
    service.site = site
    session.add(service)
    session.flush()
    return service


def update_service(
    *, session: Session, actor: Principal, service_id: int, data: ServiceUpdate
) -> Service:
    service = get_service(session=session, service_id=service_id)
    permissions.require("registry.site.edit", session=session, actor=actor, target=service.site)
    if data.scopes is not None:
        service.scopes = resolve_scopes(session, actor, data.scopes, current=service.scopes)
    apply_changes(service, data.model_dump(exclude_unset=True, exclude={"scopes"}))
    check_monitoring(service)
    session.flush()
    return service


def delete_service(*, session: Session, actor: Principal, service_id: int) -> None:
    service = get_service(session=session, service_id=service_id)
    permissions.require(
        "registry.site.delete_service", session=session, actor=actor, target=service.site
    )
    session.delete(service)
    session.flush()


# --- endpoints --------------------------------------------------------------------------------------


def get_endpoint(*, session: Session, endpoint_id: int) -> Endpoint:
    return get_by_id(session, Endpoint, endpoint_id, field="endpoint")


def list_endpoints(*, session: Session, service_id: int) -> list[Endpoint]:
    return list(get_service(session=session, service_id=service_id).endpoints)


def create_endpoint(
    *, session: Session, actor: Principal, service_id: int, data: EndpointCreate
) -> Endpoint:
    service = get_service(session=session, service_id=service_id)
    permissions.require("registry.site.edit", session=session, actor=actor, target=service.site)
    endpoint = new_endpoint(service, data)
    service.endpoints.append(endpoint)
    flush_endpoints(session, data.name)
    return endpoint


def update_endpoint(
    *, session: Session, actor: Principal, endpoint_id: int, data: EndpointUpdate
) -> Endpoint:
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
    permissions.require(
        "registry.site.edit", session=session, actor=actor, target=endpoint.service.site
    )
    apply_changes(endpoint, data.model_dump(exclude_unset=True))
    if not endpoint.interface_name:
        endpoint.interface_name = endpoint.service.service_type.name
    flush_endpoints(session, endpoint.name)
    return endpoint


def delete_endpoint(*, session: Session, actor: Principal, endpoint_id: int) -> None:
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
    permissions.require(
        "registry.site.edit", session=session, actor=actor, target=endpoint.service.site
    )
    session.delete(endpoint)
    session.flush()


# --- service groups ---------------------------------------------------------------------------------


def _services(session: Session, ids: list[int]) -> list[Service]:
    return [get_service(session=session, service_id=i) for i in dict.fromkeys(ids)]


def list_service_groups(
    *, session: Session, name: str | None = None, cursor: int | None = None, limit: int = 100
) -> Page[ServiceGroup]:
    stmt = select(ServiceGroup).options(
        selectinload(ServiceGroup.scopes),
        selectinload(ServiceGroup.services),
        selectinload(ServiceGroup.properties),
    )
    if name:
        stmt = stmt.where(like(ServiceGroup.name, name))
    return paginate(session, stmt, ServiceGroup.id, cursor=cursor, limit=limit)


def get_service_group(*, session: Session, service_group_id: int) -> ServiceGroup:
    return get_by_id(session, ServiceGroup, service_group_id, field="service_group")


def create_service_group(
    *, session: Session, actor: Principal, data: ServiceGroupCreate
) -> ServiceGroup:
    permissions.require("registry.service_group.create", session=session, actor=actor)
    group = ServiceGroup(
        **data.model_dump(exclude={"scopes", "services"}),
        scopes=resolve_scopes(session, actor, data.scopes),
        services=_services(session, data.services),
    )
    session.add(group)
    flush_unique(session, "service group", data.name)
    return group


def update_service_group(
    *, session: Session, actor: Principal, service_group_id: int, data: ServiceGroupUpdate
) -> ServiceGroup:
    group = get_service_group(session=session, service_group_id=service_group_id)
    permissions.require("registry.service_group.edit", session=session, actor=actor, target=group)
    if data.scopes is not None:
        group.scopes = resolve_scopes(session, actor, data.scopes, current=group.scopes)
    if data.services is not None:
        group.services = _services(session, data.services)
    apply_changes(group, data.model_dump(exclude_unset=True, exclude={"scopes", "services"}))
    session.flush()
    return group


def delete_service_group(*, session: Session, actor: Principal, service_group_id: int) -> None:
    group = get_service_group(session=session, service_group_id=service_group_id)
    permissions.require("registry.service_group.edit", session=session, actor=actor, target=group)
    delete_roles_of(session, EntityType.SERVICE_GROUP, group.id)
    session.delete(group)
    session.flush()
