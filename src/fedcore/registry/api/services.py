"""Service types, services, their endpoints, and service groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.core.api import created, page_read, whole
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead, Paging
from fedcore.registry import service as registry
from fedcore.registry.api.common import NameQuery
from fedcore.registry.schemas import (
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    ServiceCreate,
    ServiceFilter,
    ServiceGroupCreate,
    ServiceGroupRead,
    ServiceGroupUpdate,
    ServiceRead,
    ServiceTypeCreate,
    ServiceTypeRead,
    ServiceTypeUpdate,
    ServiceUpdate,
)

router = APIRouter()


class ServiceQuery(ServiceFilter, Paging):
    pass


# --- service types --------------------------------------------------------------------------------


@router.get(
    "/service-types", summary="List service types", response_model=PageRead[ServiceTypeRead]
)
def list_service_types(
    session: DbSession, query: Annotated[NameQuery, Query()]
) -> PageRead[ServiceTypeRead]:
    page = registry.page_service_types(
        session=session, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, ServiceTypeRead.model_validate)


@router.get(
    "/service-types/{service_type_id}",
    summary="Get a service type",
    response_model=ServiceTypeRead,
)
def get_service_type(session: DbSession, service_type_id: int) -> ServiceTypeRead:
    return ServiceTypeRead.model_validate(
        registry.get_service_type(session=session, service_type_id=service_type_id)
    )


@router.post(
    "/service-types",
    summary="Create a service type (operators)",
    status_code=201,
    response_model=ServiceTypeRead,
)
def create_service_type(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: ServiceTypeCreate,
) -> ServiceTypeRead:
    service_type = registry.create_service_type(session=session, actor=actor, data=data)
    created(request, response, "get_service_type", service_type_id=service_type.id)
    return ServiceTypeRead.model_validate(service_type)


@router.patch(
    "/service-types/{service_type_id}",
    summary="Update a service type (operators)",
    response_model=ServiceTypeRead,
)
def update_service_type(
    session: DbSession, actor: CurrentPrincipal, service_type_id: int, data: ServiceTypeUpdate
) -> ServiceTypeRead:
    service_type = registry.update_service_type(
        session=session, actor=actor, service_type_id=service_type_id, data=data
    )
    return ServiceTypeRead.model_validate(service_type)


@router.delete(
    "/service-types/{service_type_id}",
    summary="Delete an unused service type (operators)",
    status_code=204,
    response_class=Response,
)
def delete_service_type(session: DbSession, actor: CurrentPrincipal, service_type_id: int) -> None:
    registry.delete_service_type(session=session, actor=actor, service_type_id=service_type_id)


# --- services -------------------------------------------------------------------------------------


@router.get("/services", summary="List services", response_model=PageRead[ServiceRead])
def list_services(
    session: DbSession, query: Annotated[ServiceQuery, Query()]
) -> PageRead[ServiceRead]:
    page = registry.list_services(
        session=session, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, ServiceRead.from_model)


@router.get("/services/{service_id}", summary="Get a service", response_model=ServiceRead)
def get_service(session: DbSession, service_id: int) -> ServiceRead:
    return ServiceRead.from_model(registry.get_service(session=session, service_id=service_id))


@router.post(
    "/services",
    summary="Create a service, with its endpoints (site and NGI roles)",
    status_code=201,
    response_model=ServiceRead,
)
def create_service(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: ServiceCreate,
) -> ServiceRead:
    service = registry.create_service(session=session, actor=actor, data=data)
    created(request, response, "get_service", service_id=service.id)
    return ServiceRead.from_model(service)


@router.patch(
    "/services/{service_id}",
    summary="Update a service (site and NGI roles)",
    response_model=ServiceRead,
)
def update_service(
    session: DbSession, actor: CurrentPrincipal, service_id: int, data: ServiceUpdate
) -> ServiceRead:
    service = registry.update_service(
        session=session, actor=actor, service_id=service_id, data=data
    )
    return ServiceRead.from_model(service)


@router.delete(
    "/services/{service_id}",
    summary="Delete a service and its endpoints (site and NGI roles)",
    status_code=204,
    response_class=Response,
)
def delete_service(session: DbSession, actor: CurrentPrincipal, service_id: int) -> None:
    registry.delete_service(session=session, actor=actor, service_id=service_id)


# --- endpoints ------------------------------------------------------------------------------------


@router.get(
    "/services/{service_id}/endpoints",
    summary="List a service's endpoints (all of them, one page)",
    response_model=PageRead[EndpointRead],
)
def list_endpoints(session: DbSession, service_id: int) -> PageRead[EndpointRead]:
    return whole(
        registry.list_endpoints(session=session, service_id=service_id), EndpointRead.from_model
    )


@router.post(
    "/services/{service_id}/endpoints",
    summary="Add an endpoint to a service (site and NGI roles)",
    status_code=201,
    response_model=EndpointRead,
)
def create_endpoint(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    service_id: int,
    data: EndpointCreate,
) -> EndpointRead:
    endpoint = registry.create_endpoint(
        session=session, actor=actor, service_id=service_id, data=data
    )
    created(request, response, "get_endpoint", endpoint_id=endpoint.id)
    return EndpointRead.from_model(endpoint)


@router.get("/endpoints/{endpoint_id}", summary="Get an endpoint", response_model=EndpointRead)
def get_endpoint(session: DbSession, endpoint_id: int) -> EndpointRead:
    return EndpointRead.from_model(registry.get_endpoint(session=session, endpoint_id=endpoint_id))


@router.patch(
    "/endpoints/{endpoint_id}",
    summary="Update an endpoint (site and NGI roles)",
    response_model=EndpointRead,
)
def update_endpoint(
    session: DbSession, actor: CurrentPrincipal, endpoint_id: int, data: EndpointUpdate
) -> EndpointRead:
    endpoint = registry.update_endpoint(
        session=session, actor=actor, endpoint_id=endpoint_id, data=data
    )
    return EndpointRead.from_model(endpoint)


@router.delete(
    "/endpoints/{endpoint_id}",
    summary="Delete an endpoint (site and NGI roles)",
    status_code=204,
    response_class=Response,
)
def delete_endpoint(session: DbSession, actor: CurrentPrincipal, endpoint_id: int) -> None:
    registry.delete_endpoint(session=session, actor=actor, endpoint_id=endpoint_id)


# --- service groups -------------------------------------------------------------------------------


@router.get(
    "/service-groups", summary="List service groups", response_model=PageRead[ServiceGroupRead]
)
def list_service_groups(
    session: DbSession, query: Annotated[NameQuery, Query()]
) -> PageRead[ServiceGroupRead]:
    page = registry.list_service_groups(
        session=session, name=query.name, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, ServiceGroupRead.from_model)


@router.get(
    "/service-groups/{service_group_id}",
    summary="Get a service group",
    response_model=ServiceGroupRead,
)
def get_service_group(session: DbSession, service_group_id: int) -> ServiceGroupRead:
    return ServiceGroupRead.from_model(
        registry.get_service_group(session=session, service_group_id=service_group_id)
    )


@router.post(
    "/service-groups",
    summary="Create a service group (operators)",
    status_code=201,
    response_model=ServiceGroupRead,
)
def create_service_group(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: ServiceGroupCreate,
) -> ServiceGroupRead:
    group = registry.create_service_group(session=session, actor=actor, data=data)
    created(request, response, "get_service_group", service_group_id=group.id)
    return ServiceGroupRead.from_model(group)


@router.patch(
    "/service-groups/{service_group_id}",
    summary="Update a service group (its administrators)",
    response_model=ServiceGroupRead,
)
def update_service_group(
    session: DbSession, actor: CurrentPrincipal, service_group_id: int, data: ServiceGroupUpdate
) -> ServiceGroupRead:
    group = registry.update_service_group(
        session=session, actor=actor, service_group_id=service_group_id, data=data
    )
    return ServiceGroupRead.from_model(group)


@router.delete(
    "/service-groups/{service_group_id}",
    summary="Delete a service group (its administrators)",
    status_code=204,
    response_class=Response,
)
def delete_service_group(
    session: DbSession, actor: CurrentPrincipal, service_group_id: int
) -> None:
    registry.delete_service_group(session=session, actor=actor, service_group_id=service_group_id)
