"""Schemas of scopes, projects, NGIs and sites (with certification)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import (
    Field,
    StringConstraints,
)

from fedcore.registry.enums import (
    CertificationStatus,
    Infrastructure,
)

if TYPE_CHECKING:
    from fedcore.registry.models import (
        Ngi,
        Site,
    )

# Shapes of GOCDB's field validators (config/gocdb_schema.xml), simplified to what matters.
from fedcore.registry.schemas.fields import (
    Email,
    Name,
    PropertyRead,
    ShortText,
    Text,
    Timezone,
    Url,
    UTCTime,
    _In,
    _Out,
    read_dict,
)

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
