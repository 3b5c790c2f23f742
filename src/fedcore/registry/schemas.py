"""Pydantic schemas of the registry: ``XCreate`` / ``XUpdate`` (input, validated at the edge),
``XRead`` (output) and ``XFilter`` (list filters shared by the REST API and the pages)."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from fedcore.core.db import isoformat_z
from fedcore.registry.enums import (
    CertificationStatus,
    Classification,
    CredentialKind,
    EntityType,
    Infrastructure,
    RoleStatus,
    RoleType,
    Severity,
)

if TYPE_CHECKING:
    from fedcore.registry.models import (
        Downtime,
        Endpoint,
        Ngi,
        Role,
        Service,
        ServiceGroup,
        Site,
        User,
    )

# Shapes of GOCDB's field validators (config/gocdb_schema.xml), simplified to what matters.
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9 ._@()\-]*$"
KEY_RE = r"^[A-Za-z0-9\s@_\-\[\]+.]{1,255}$"
VALUE_FORBIDDEN = re.compile(r"['\";()`]")
HOSTNAME_RE = r"^([A-Za-z0-9_]([A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?)*\.?$"
EMAIL_RE = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_RE = r"^$|^[A-Za-z][A-Za-z0-9+.\-]*://\S+$"


def _no_quotes(value: str) -> str:
    if any(c in value for c in "\"'`"):
        raise ValueError("quote characters are not allowed")
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time zone is required (use Z for UTC)")
    return value.astimezone(UTC)


def _ip_address(value: str) -> str:
    if value:
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from exc
    return value


def _timezone(value: str) -> str:
    if value != "UTC" and value not in available_timezones():
        raise ValueError(f"{value!r} is not an IANA time zone name")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=NAME_RE)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255, pattern=EMAIL_RE)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000, pattern=URL_RE)]
Hostname = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253, pattern=HOSTNAME_RE)
]
UTCTime = Annotated[datetime, AfterValidator(_utc), PlainSerializer(isoformat_z, return_type=str)]
Timezone = Annotated[str, AfterValidator(_timezone)]
IpAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_ip_address)
]
Dn = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(_no_quotes)
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- extension properties -------------------------------------------------------------------


class PropertyIn(_In):
    key: Annotated[str, StringConstraints(pattern=KEY_RE)]
    value: Annotated[str, StringConstraints(max_length=255)] = ""

    @field_validator("value")
    @classmethod
    def _value_chars(cls, value: str) -> str:
        if VALUE_FORBIDDEN.search(value):
            raise ValueError("quotes, ';', parentheses and backticks are not allowed")
        return value


class PropertyRead(_Out):
    id: int
    key: str
    value: str


class NameFilter(_In):
    """The list filter of entities found by name only (scopes, projects, service types,
    service groups)."""

    name: str | None = Field(default=None, description="exact name or SQL LIKE pattern with %")


# --- scopes, countries, projects, NGIs ----------------------------------------------------------


class ScopeCreate(_In):
    name: Name
    description: Text = ""
    reserved: bool = False


class ScopeUpdate(_In):
    description: Text | None = None
    reserved: bool | None = None


class ScopeRead(_Out):
    id: int
    name: str
    description: str
    reserved: bool


class ProjectCreate(_In):
    name: Name
    description: Text = ""


class ProjectUpdate(_In):
    description: Text | None = None


class ProjectRead(_Out):
    id: int
    name: str
    description: str
    created_at: UTCTime


class NgiCreate(_In):
    name: Name
    description: Text = ""
    email: Email = ""
    rod_email: Email = ""
    helpdesk_email: Email = ""
    security_email: Email = ""
    ggus_su: ShortText = ""
    projects: list[str] = Field(default_factory=list, description="project names")
    scopes: list[str] = Field(default_factory=list, description="scope names")


class NgiUpdate(_In):
    description: Text | None = None
    email: Email | None = None
    rod_email: Email | None = None
    helpdesk_email: Email | None = None
    security_email: Email | None = None
    ggus_su: ShortText | None = None
    projects: list[str] | None = None
    scopes: list[str] | None = None


class NgiRead(_Out):
    id: int
    name: str
    description: str
    email: str
    rod_email: str
    helpdesk_email: str
    security_email: str
    ggus_su: str
    created_at: UTCTime
    projects: list[str]
    scopes: list[str]

    @classmethod
    def from_model(cls, ngi: Ngi) -> NgiRead:
        return cls.model_validate(
            read_dict(
                ngi,
                projects=[p.name for p in ngi.projects],
                scopes=[s.name for s in ngi.scopes],
            )
        )


class NgiFilter(_In):
    name: str | None = Field(default=None, description="exact name or SQL LIKE pattern with %")
    project: str | None = None
    scope: str | None = None


# --- sites ---------------------------------------------------------------------------------------


class _SiteFields(_In):
    official_name: ShortText = ""
    description: Text = ""
    home_url: Url = ""
    email: Email = ""
    telephone: ShortText = ""
    alarm_email: Email = ""
    csirt_email: Email = ""
    csirt_tel: ShortText = ""
    emergency_email: Email = ""
    emergency_tel: ShortText = ""
    helpdesk_email: Email = ""
    giis_url: Url = ""
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    location: ShortText = ""
    domain: ShortText = ""
    ip_range: ShortText = ""
    ipv6_range: ShortText = ""
    timezone: Timezone = "UTC"
    tier: ShortText = ""
    subgrid: ShortText = ""
    infrastructure: Infrastructure = Infrastructure.PRODUCTION
    notify: bool = False


class SiteCreate(_SiteFields):
    short_name: Name
    ngi: str = Field(description="NGI name")
    country_code: Annotated[str, StringConstraints(min_length=2, max_length=2, to_upper=True)]
    scopes: list[str] = Field(default_factory=list)


class SiteUpdate(_In):
    official_name: ShortText | None = None
    description: Text | None = None
    home_url: Url | None = None
    email: Email | None = None
    telephone: ShortText | None = None
    alarm_email: Email | None = None
    csirt_email: Email | None = None
    csirt_tel: ShortText | None = None
    emergency_email: Email | None = None
    emergency_tel: ShortText | None = None
    helpdesk_email: Email | None = None
    giis_url: Url | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    location: ShortText | None = None
    domain: ShortText | None = None
    ip_range: ShortText | None = None
    ipv6_range: ShortText | None = None
    timezone: Timezone | None = None
    tier: ShortText | None = None
    subgrid: ShortText | None = None
    infrastructure: Infrastructure | None = None
    notify: bool | None = None
    country_code: (
        Annotated[str, StringConstraints(min_length=2, max_length=2, to_upper=True)] | None
    ) = None
    scopes: list[str] | None = None


class SiteRead(_Out):
    id: int
    primary_key: str
    short_name: str
    official_name: str
    description: str
    home_url: str
    email: str
    telephone: str
    alarm_email: str
    csirt_email: str
    csirt_tel: str
    emergency_email: str
    emergency_tel: str
    helpdesk_email: str
    giis_url: str
    latitude: float | None
    longitude: float | None
    location: str
    domain: str
    ip_range: str
    ipv6_range: str
    timezone: str
    tier: str
    subgrid: str
    infrastructure: str
    certification_status: str
    certification_changed_at: UTCTime
    notify: bool
    created_at: UTCTime
    ngi: str
    country_code: str
    country: str
    scopes: list[str]
    properties: list[PropertyRead]

    @classmethod
    def from_model(cls, site: Site) -> SiteRead:
        return cls.model_validate(
            read_dict(
                site,
                ngi=site.ngi.name,
                country_code=site.country.code,
                country=site.country.name,
                scopes=[s.name for s in site.scopes],
                properties=site.properties,
            )
        )


class SiteFilter(_In):
    short_name: str | None = Field(default=None, description="exact or LIKE pattern with %")
    ngi: str | None = None
    country_code: str | None = None
    certification_status: CertificationStatus | None = None
    infrastructure: Infrastructure | None = None
    scope: str | None = None
    q: str | None = Field(default=None, description="search in short and official name")


class CertificationStatusChange(_In):
    status: CertificationStatus
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class CertificationChangeRead(_Out):
    id: int
    old_status: str
    new_status: str
    changed_by: str
    changed_at: UTCTime
    reason: str


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


# --- downtimes -----------------------------------------------------------------------------------


class DowntimeCreate(_In):
    severity: Severity
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]
    start: UTCTime
    end: UTCTime
    services: list[int] = Field(min_length=1, description="ids of affected services (one site)")
    endpoints: list[int] = Field(default_factory=list, description="ids of affected endpoints")


class DowntimeUpdate(_In):
    severity: Severity | None = None
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
        | None
    ) = None
    start: UTCTime | None = None
    end: UTCTime | None = None
    services: list[int] | None = None
    endpoints: list[int] | None = None


class DowntimeRead(_Out):
    id: int
    primary_key: str
    severity: str
    classification: str
    description: str
    inserted_at: UTCTime
    start: UTCTime
    end: UTCTime
    declared_by: str
    site: str
    services: list[int]
    endpoints: list[int]

    @classmethod
    def from_model(cls, downtime: Downtime) -> DowntimeRead:
        return cls.model_validate(
            read_dict(
                downtime,
                start=downtime.start_at,
                end=downtime.end_at,
                site=downtime.site.short_name,
                services=[s.id for s in downtime.services],
                endpoints=[e.id for e in downtime.endpoints],
            )
        )


class DowntimeFilter(_In):
    site: str | None = None
    ngi: str | None = None
    severity: Severity | None = None
    classification: Classification | None = None
    ongoing_at: UTCTime | None = Field(default=None, description="downtimes running at this time")
    window_start: UTCTime | None = Field(default=None, description="ending after this time")
    window_end: UTCTime | None = Field(default=None, description="starting before this time")


# --- users, roles, API credentials ---------------------------------------------------------------


class UserCreate(_In):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    forename: ShortText = ""
    surname: ShortText = ""
    title: ShortText = ""
    email: Email = ""
    telephone: ShortText = ""
    working_hours_start: ShortText = ""
    working_hours_end: ShortText = ""
    certdn: Dn = ""
    home_site: str | None = None


class UserUpdate(_In):
    forename: ShortText | None = None
    surname: ShortText | None = None
    title: ShortText | None = None
    email: Email | None = None
    telephone: ShortText | None = None
    working_hours_start: ShortText | None = None
    working_hours_end: ShortText | None = None
    certdn: Dn | None = None
    home_site: str | None = None


class UserRead(_Out):
    id: int
    subject: str
    forename: str
    surname: str
    title: str
    email: str
    telephone: str
    certdn: str
    home_site: str | None
    created_at: UTCTime

    @classmethod
    def from_model(cls, user: User) -> UserRead:
        return cls.model_validate(
            read_dict(user, home_site=user.home_site.short_name if user.home_site else None)
        )


class RoleRequest(_In):
    role_type: RoleType
    entity_type: EntityType
    entity_id: int


class RoleRead(_Out):
    id: int
    user_subject: str
    role_type: str
    entity_type: str
    entity_id: int
    entity_name: str
    status: RoleStatus
    requested_at: UTCTime
    decided_at: UTCTime | None
    decided_by: str

    @classmethod
    def from_model(cls, role: Role, *, entity_name: str) -> RoleRead:
        """``entity_name`` comes from ``service.entity_name`` (roles point at several tables)."""
        return cls.model_validate(
            read_dict(role, user_subject=role.user.subject, entity_name=entity_name)
        )


class RoleFilter(_In):
    entity_type: EntityType | None = None
    entity_id: int | None = None
    status: RoleStatus | None = None
    subject: str | None = Field(default=None, description="the role holder's subject")


class RoleDecisionRead(_Out):
    id: int
    role_type: str
    entity_type: str
    entity_id: int
    user_subject: str
    old_status: str
    new_status: str
    decided_by: str
    decided_at: UTCTime


class ApiCredentialCreate(_In):
    kind: CredentialKind
    identifier: Dn
    allow_write: bool = False


class ApiCredentialRead(_Out):
    id: int
    site_id: int
    kind: str
    identifier: str
    owner_subject: str
    allow_write: bool
    created_at: UTCTime
    last_used_at: UTCTime | None
    last_renewed_at: UTCTime


def read_dict(obj: Any, **extra: Any) -> dict[str, Any]:
    """Column values of ``obj`` plus ``extra``: the input of an ``XRead.model_validate``."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns} | extra
