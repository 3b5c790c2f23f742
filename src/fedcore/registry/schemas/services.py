"""Schemas of service types, services, endpoints and service groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import (
    Field,
    StringConstraints,
)

if TYPE_CHECKING:
    from fedcore.registry.models import (
        Endpoint,
        Service,
        ServiceGroup,
    )

# Shapes of GOCDB's field validators (config/gocdb_schema.xml), simplified to what matters.
from fedcore.registry.schemas.fields import (
    EMAIL_RE,
    Dn,
    Email,
    Hostname,
    IpAddress,
    Name,
    PropertyRead,
    ShortText,
    Text,
    Url,
    UTCTime,
    _In,
    _Out,
    read_dict,
)

# --- service types, services, endpoints, service groups -----------------------------------------


class ServiceTypeCreate(_In):
    name: Name
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]
    monitoring_exception: bool = False


class ServiceTypeUpdate(_In):
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    monitoring_exception: bool | None = None


class ServiceTypeRead(_Out):
    id: int
    name: str
    description: str
    monitoring_exception: bool


class EndpointCreate(_In):
    name: Name
    url: Url = ""
    interface_name: ShortText = Field(default="", description="defaults to the service type")
    description: Text = ""
    monitored: bool = False
    email: Email = ""


class EndpointUpdate(_In):
    name: Name | None = None
    url: Url | None = None
    interface_name: ShortText | None = None
    description: Text | None = None
    monitored: bool | None = None
    email: Email | None = None


class EndpointRead(_Out):
    id: int
    service_id: int
    name: str
    url: str
    interface_name: str
    description: str
    monitored: bool
    email: str
    properties: list[PropertyRead]

    @classmethod
    def from_model(cls, endpoint: Endpoint) -> EndpointRead:
        return cls.model_validate(endpoint)


class ServiceCreate(_In):
    hostname: Hostname
    service_type: str = Field(description="service type name")
    site: str = Field(description="site short name")
    description: Text = ""
    url: Url = ""
    host_dn: Dn = ""
    host_ip: IpAddress = ""
    host_ipv6: IpAddress = ""
    host_os: ShortText = ""
    host_arch: ShortText = ""
    email: Email = ""
    production: bool = True
    monitored: bool = True
    beta: bool = False
    notify: bool = False
    scopes: list[str] = Field(default_factory=list)
    endpoints: list[EndpointCreate] = Field(default_factory=list)


class ServiceUpdate(_In):
    hostname: Hostname | None = None
    description: Text | None = None
    url: Url | None = None
    host_dn: Dn | None = None
    host_ip: IpAddress | None = None
    host_ipv6: IpAddress | None = None
    host_os: ShortText | None = None
    host_arch: ShortText | None = None
    email: Email | None = None
    production: bool | None = None
    monitored: bool | None = None
    beta: bool | None = None
    notify: bool | None = None
    scopes: list[str] | None = None


class ServiceRead(_Out):
    id: int
    primary_key: str
    hostname: str
    service_type: str
    site: str
    description: str
    url: str
    host_dn: str
    host_ip: str
    host_ipv6: str
    host_os: str
    host_arch: str
    email: str
    production: bool
    monitored: bool
    beta: bool
    notify: bool
    created_at: UTCTime
    scopes: list[str]
    properties: list[PropertyRead]
    endpoints: list[EndpointRead]

    @classmethod
    def from_model(cls, service: Service) -> ServiceRead:
        return cls.model_validate(
            read_dict(
                service,
                primary_key=service.primary_key,
                service_type=service.service_type.name,
                site=service.site.short_name,
                scopes=[s.name for s in service.scopes],
                properties=service.properties,
                endpoints=service.endpoints,
            )
        )


class ServiceFilter(_In):
    hostname: str | None = Field(default=None, description="exact or LIKE pattern with %")
    site: str | None = None
    ngi: str | None = None
    service_type: str | None = None
    production: bool | None = None
    monitored: bool | None = None
    scope: str | None = None


class ServiceGroupCreate(_In):
    name: Name
    description: Text = ""
    monitored: bool = False
    email: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=3, max_length=255, pattern=EMAIL_RE),
    ]
    scopes: list[str] = Field(default_factory=list)
    services: list[int] = Field(default_factory=list, description="service ids")


class ServiceGroupUpdate(_In):
    description: Text | None = None
    monitored: bool | None = None
    email: Email | None = None
    scopes: list[str] | None = None
    services: list[int] | None = None


class ServiceGroupRead(_Out):
    id: int
    primary_key: str
    name: str
    description: str
    monitored: bool
    email: str
    created_at: UTCTime
    scopes: list[str]
    services: list[int]
    properties: list[PropertyRead]

    @classmethod
    def from_model(cls, group: ServiceGroup) -> ServiceGroupRead:
        return cls.model_validate(
            read_dict(
                group,
                primary_key=group.primary_key,
                scopes=[s.name for s in group.scopes],
                services=[s.id for s in group.services],
                properties=group.properties,
            )
        )
