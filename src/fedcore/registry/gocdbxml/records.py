"""The records a GOCDB PI document is read into: plain frozen dataclasses, one per PI record
kind, each with the ``Source`` (file, element, line) it was read from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Source:
    """Where a record was read: file, element and line (for error messages)."""

    document: str
    element: str
    line: int

    def __str__(self) -> str:
        return f"{self.document}: <{self.element}> at line {self.line}"


@dataclass(frozen=True)
class Extension:
    local_id: int | None  # None: the document's LOCAL_ID is not an integer (see ``given``)
    key: str
    value: str
    given: str = field(default="", compare=False)


@dataclass(frozen=True)
class NgiRecord:
    source: Source = field(compare=False, repr=False)
    id: int
    name: str
    description: str
    email: str
    ggus_su: str
    rod_email: str
    helpdesk_email: str
    security_email: str
    scopes: tuple[str, ...] | None


@dataclass(frozen=True)
class SiteRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    primary_key: str | None
    short_name: str
    official_name: str
    description: str
    home_url: str
    email: str
    telephone: str
    alarm_email: str
    giis_url: str
    tier: str
    country_code: str
    country: str
    ngi: str
    subgrid: str
    infrastructure: str
    certification_status: str
    timezone: str
    latitude: float | None
    longitude: float | None
    csirt_email: str
    notify: bool | None
    domain: str
    ip_range: str
    ipv6_range: str
    scopes: tuple[str, ...] | None
    extensions: tuple[Extension, ...] | None
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class SiteListRecord:
    """A get_site_list entry: a site's identity, NGI, country, sub-grid and GIIS URL only."""

    source: Source = field(compare=False, repr=False)
    id: int
    primary_key: str
    short_name: str
    country_code: str
    country: str
    ngi: str
    subgrid: str
    giis_url: str


@dataclass(frozen=True)
class ServiceTypeRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    name: str
    description: str
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class EndpointRecord:
    id: int
    name: str
    url: str
    interface_name: str
    monitored: bool
    email: str | None
    extensions: tuple[Extension, ...] | None


@dataclass(frozen=True)
class ServiceRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    hostname: str
    host_dn: str
    host_os: str
    host_arch: str
    beta: bool | None
    service_type: str
    host_ip: str
    host_ipv6: str
    production: bool | None
    monitored: bool | None
    notify: bool | None
    site: str
    country_name: str
    country_code: str
    ngi: str
    url: str
    description: str | None
    email: str | None
    endpoints: tuple[EndpointRecord, ...]
    scopes: tuple[str, ...] | None
    extensions: tuple[Extension, ...] | None
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class MemberRecord:
    """A service listed in a service group: a reference by key, hostname and type; when the
    entry names its site (``SITENAME``), also the whole service, to create it if unknown."""

    id: int | None
    key: str
    hostname: str
    service_type: str
    definition: ServiceRecord | None = None


@dataclass(frozen=True)
class ServiceGroupRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    name: str
    description: str
    monitored: bool | None
    email: str
    members: tuple[MemberRecord, ...]
    scopes: tuple[str, ...] | None
    extensions: tuple[Extension, ...] | None
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class AffectedService:
    """A service a downtime affects; ``id`` is only known in the nested form."""

    id: int | None
    hostname: str
    service_type: str
    site: str
    endpoints: tuple[EndpointRecord, ...]


@dataclass(frozen=True)
class DowntimeRecord:
    source: Source = field(compare=False, repr=False)
    id: int
    primary_key: str
    classification: str
    severity: str
    description: str
    inserted_at: datetime
    start_at: datetime
    end_at: datetime
    services: tuple[AffectedService, ...]


@dataclass(frozen=True)
class RoleRecord:
    role_type: str
    entity_type: str
    entity_name: str
    entity_key: str
    projects: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class UserRecord:
    source: Source = field(compare=False, repr=False)
    id: int
    forename: str
    surname: str
    title: str
    email: str
    telephone: str
    working_hours_start: str
    working_hours_end: str
    certdn: str
    egi_checkin: str
    iris_iam: str
    home_site: str
    roles: tuple[RoleRecord, ...]

    @property
    def subject(self) -> str:
        """The identity the user logs in with: Check-in subject, else DN, else IRIS IAM."""
        return self.egi_checkin or self.certdn or self.iris_iam


Record = (
    NgiRecord
    | SiteRecord
    | SiteListRecord
    | ServiceTypeRecord
    | ServiceRecord
    | ServiceGroupRecord
    | DowntimeRecord
    | UserRecord
)


@dataclass(frozen=True)
class Document:
    name: str
    method: str
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()
