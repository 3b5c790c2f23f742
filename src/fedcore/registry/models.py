"""SQLAlchemy models of the registry (tables ``registry_*``). Business rules live in ``service``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fedcore.core.db import Base, UTCDateTime, utcnow


def _link(name: str, left: str, right: str) -> Table:
    """A many-to-many link table ``registry_<name>`` between two registry tables."""
    return Table(
        f"registry_{name}",
        Base.metadata,
        Column(
            f"{left}_id", ForeignKey(f"registry_{left}.id", ondelete="CASCADE"), primary_key=True
        ),
        Column(
            f"{right}_id", ForeignKey(f"registry_{right}.id", ondelete="CASCADE"), primary_key=True
        ),
        Index(f"ix_registry_{name}_{right}_id", f"{right}_id"),
    )


project_ngi = _link("project_ngi", "project", "ngi")
ngi_scope = _link("ngi_scope", "ngi", "scope")
site_scope = _link("site_scope", "site", "scope")
service_scope = _link("service_scope", "service", "scope")
service_group_scope = _link("service_group_scope", "service_group", "scope")
service_group_member = _link("service_group_member", "service_group", "service")
downtime_service = _link("downtime_service", "downtime", "service")
downtime_endpoint = _link("downtime_endpoint", "downtime", "endpoint")


class Counter(Base):
    """Named counters; ``primary_key`` allocates GOCDB-style ``<n>G0`` keys of sites and downtimes."""

    __tablename__ = "registry_counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Scope(Base):
    __tablename__ = "registry_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)


class Country(Base):
    __tablename__ = "registry_country"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class Project(Base):
    __tablename__ = "registry_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ngis: Mapped[list[Ngi]] = relationship(
        secondary=project_ngi, back_populates="projects", order_by="Ngi.id"
    )


class Ngi(Base):
    __tablename__ = "registry_ngi"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    rod_email: Mapped[str] = mapped_column(String(255), default="")
    helpdesk_email: Mapped[str] = mapped_column(String(255), default="")
    security_email: Mapped[str] = mapped_column(String(255), default="")
    ggus_su: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    projects: Mapped[list[Project]] = relationship(
        secondary=project_ngi, back_populates="ngis", order_by="Project.id"
    )
    scopes: Mapped[list[Scope]] = relationship(secondary=ngi_scope, order_by="Scope.name")
    sites: Mapped[list[Site]] = relationship(back_populates="ngi", order_by="Site.short_name")


class Site(Base):
    __tablename__ = "registry_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    primary_key: Mapped[str] = mapped_column(String(32), unique=True)
    short_name: Mapped[str] = mapped_column(String(255), unique=True)
    official_name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    home_url: Mapped[str] = mapped_column(String(1000), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    telephone: Mapped[str] = mapped_column(String(255), default="")
    alarm_email: Mapped[str] = mapped_column(String(255), default="")
    csirt_email: Mapped[str] = mapped_column(String(255), default="")
    csirt_tel: Mapped[str] = mapped_column(String(255), default="")
    emergency_email: Mapped[str] = mapped_column(String(255), default="")
    emergency_tel: Mapped[str] = mapped_column(String(255), default="")
    helpdesk_email: Mapped[str] = mapped_column(String(255), default="")
    giis_url: Mapped[str] = mapped_column(String(1000), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str] = mapped_column(String(255), default="")
    domain: Mapped[str] = mapped_column(String(255), default="")
    ip_range: Mapped[str] = mapped_column(String(255), default="")
    ipv6_range: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    tier: Mapped[str] = mapped_column(String(64), default="")
    subgrid: Mapped[str] = mapped_column(String(255), default="")
    infrastructure: Mapped[str] = mapped_column(String(32), default="Production", index=True)
    certification_status: Mapped[str] = mapped_column(String(32), default="Candidate", index=True)
    certification_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ngi_id: Mapped[int] = mapped_column(ForeignKey("registry_ngi.id"), index=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("registry_country.id"), index=True)

    ngi: Mapped[Ngi] = relationship(back_populates="sites")
    country: Mapped[Country] = relationship()
    scopes: Mapped[list[Scope]] = relationship(secondary=site_scope, order_by="Scope.name")
    properties: Mapped[list[SiteProperty]] = relationship(
        cascade="all, delete-orphan", order_by="SiteProperty.id"
    )
    services: Mapped[list[Service]] = relationship(back_populates="site", order_by="Service.id")
    certification_log: Mapped[list[CertificationChange]] = relationship(
        cascade="all, delete-orphan", order_by="CertificationChange.id"
    )
    api_credentials: Mapped[list[ApiCredential]] = relationship(
        cascade="all, delete-orphan", order_by="ApiCredential.id"
    )


class CertificationChange(Base):
    __tablename__ = "registry_certification_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(
        ForeignKey("registry_site.id", ondelete="CASCADE"), index=True
    )
    old_status: Mapped[str] = mapped_column(String(32))
    new_status: Mapped[str] = mapped_column(String(32))
    changed_by: Mapped[str] = mapped_column(String(1000))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(String(300))


class ServiceType(Base):
    __tablename__ = "registry_service_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(2000))
    monitoring_exception: Mapped[bool] = mapped_column(Boolean, default=False)


class Service(Base):
    __tablename__ = "registry_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(512), index=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    host_dn: Mapped[str] = mapped_column(String(1000), default="")
    host_ip: Mapped[str] = mapped_column(String(64), default="")
    host_ipv6: Mapped[str] = mapped_column(String(64), default="")
    host_os: Mapped[str] = mapped_column(String(255), default="")
    host_arch: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    production: Mapped[bool] = mapped_column(Boolean, default=True)
    monitored: Mapped[bool] = mapped_column(Boolean, default=True)
    beta: Mapped[bool] = mapped_column(Boolean, default=False)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    site_id: Mapped[int] = mapped_column(ForeignKey("registry_site.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("registry_service_type.id"), index=True)

    site: Mapped[Site] = relationship(back_populates="services")
    service_type: Mapped[ServiceType] = relationship()
    scopes: Mapped[list[Scope]] = relationship(secondary=service_scope, order_by="Scope.name")
    properties: Mapped[list[ServiceProperty]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceProperty.id"
    )
    endpoints: Mapped[list[Endpoint]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Endpoint.id"
    )

    @property
    def primary_key(self) -> str:
        return f"{self.id}G0"


class Endpoint(Base):
    __tablename__ = "registry_endpoint"
    __table_args__ = (UniqueConstraint("service_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(1000), default="")
    interface_name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    monitored: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str] = mapped_column(String(255), default="")
    service_id: Mapped[int] = mapped_column(
        ForeignKey("registry_service.id", ondelete="CASCADE"), index=True
    )

    service: Mapped[Service] = relationship(back_populates="endpoints")
    properties: Mapped[list[EndpointProperty]] = relationship(
        cascade="all, delete-orphan", order_by="EndpointProperty.id"
    )


class ServiceGroup(Base):
    __tablename__ = "registry_service_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    monitored: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scopes: Mapped[list[Scope]] = relationship(secondary=service_group_scope, order_by="Scope.name")
    services: Mapped[list[Service]] = relationship(
        secondary=service_group_member, order_by="Service.id"
    )
    properties: Mapped[list[ServiceGroupProperty]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceGroupProperty.id"
    )

    @property
    def primary_key(self) -> str:
        return f"{self.id}G0"


class _Property:
    """Extension property: ``key`` unique per parent, ``value`` may be empty."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255), default="")
    parent_id: Mapped[int]


class SiteProperty(_Property, Base):
    __tablename__ = "registry_site_property"
    __table_args__ = (UniqueConstraint("parent_id", "key"),)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("registry_site.id", ondelete="CASCADE"), index=True
    )


class ServiceProperty(_Property, Base):
    __tablename__ = "registry_service_property"
    __table_args__ = (UniqueConstraint("parent_id", "key"),)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("registry_service.id", ondelete="CASCADE"), index=True
    )


class EndpointProperty(_Property, Base):
    __tablename__ = "registry_endpoint_property"
    __table_args__ = (UniqueConstraint("parent_id", "key"),)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("registry_endpoint.id", ondelete="CASCADE"), index=True
    )


class ServiceGroupProperty(_Property, Base):
    __tablename__ = "registry_service_group_property"
    __table_args__ = (UniqueConstraint("parent_id", "key"),)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("registry_service_group.id", ondelete="CASCADE"), index=True
    )


class Downtime(Base):
    __tablename__ = "registry_downtime"

    id: Mapped[int] = mapped_column(primary_key=True)
    primary_key: Mapped[str] = mapped_column(String(32), unique=True)
    description: Mapped[str] = mapped_column(String(4000), default="")
    severity: Mapped[str] = mapped_column(String(16))
    classification: Mapped[str] = mapped_column(String(16))
    inserted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    declared_by: Mapped[str] = mapped_column(String(255), default="")
    site_id: Mapped[int] = mapped_column(ForeignKey("registry_site.id"), index=True)

    site: Mapped[Site] = relationship()
    services: Mapped[list[Service]] = relationship(
        secondary=downtime_service, order_by="Service.id"
    )
    endpoints: Mapped[list[Endpoint]] = relationship(
        secondary=downtime_endpoint, order_by="Endpoint.id"
    )


class User(Base):
    """A person known to the registry by a stable subject; contact data for the PI and pages."""

    __tablename__ = "registry_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(1000), unique=True)
    forename: Mapped[str] = mapped_column(String(255), default="")
    surname: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    telephone: Mapped[str] = mapped_column(String(255), default="")
    working_hours_start: Mapped[str] = mapped_column(String(16), default="")
    working_hours_end: Mapped[str] = mapped_column(String(16), default="")
    certdn: Mapped[str] = mapped_column(String(1000), default="")
    home_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_site.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    home_site: Mapped[Site | None] = relationship()
    roles: Mapped[list[Role]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Role.id"
    )

    @property
    def primary_key(self) -> str:
        return f"{self.id}G0"


class Role(Base):
    """A role of a user over a project, NGI, site or service group; PENDING or GRANTED."""

    __tablename__ = "registry_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role_type", "entity_type", "entity_id"),
        Index("ix_registry_role_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("registry_user.id", ondelete="CASCADE"), index=True
    )
    role_type: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(String(1000), default="")

    user: Mapped[User] = relationship(back_populates="roles")


class RoleDecision(Base):
    """Audit of role requests, grants, rejections and revocations (rejected roles are deleted)."""

    __tablename__ = "registry_role_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_type: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    user_subject: Mapped[str] = mapped_column(String(1000))
    old_status: Mapped[str] = mapped_column(String(16), default="")
    new_status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(1000))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiCredential(Base):
    """An identity allowed to use the write API and private PI methods for one site."""

    __tablename__ = "registry_api_credential"
    __table_args__ = (UniqueConstraint("site_id", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(
        ForeignKey("registry_site.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    identifier: Mapped[str] = mapped_column(String(1000))
    owner_subject: Mapped[str] = mapped_column(String(1000))
    allow_write: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_renewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
