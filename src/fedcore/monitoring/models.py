"""SQLAlchemy models of monitoring (tables ``monitoring_*``); the design is in the package
docstring.

Profiles and reports are named, and their documents are versioned by the date from which each
version is valid: the computation of a day reads the latest version valid on that day. Metric
results are unique per (hostname, service, metric, timestamp, monitoring host), so a record
sent twice is stored once (a result without monitoring host keeps ``""`` there, as NULLs would
not collide). Computed results are stored per report and day, one row per entity: status
timelines at every level and daily A/R of endpoints, services and endpoint groups; a
recomputation of the day replaces them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fedcore.core.db import Base, UTCDateTime, utcnow


class Profile(Base):
    """A named operations, metric, aggregation or threshold profile."""

    __tablename__ = "monitoring_profile"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[ProfileVersion]] = relationship(
        back_populates="profile", order_by="ProfileVersion.valid_from", cascade="all, delete-orphan"
    )


class ProfileVersion(Base):
    """A profile's ARGO JSON document, valid from ``valid_from`` until the next version."""

    __tablename__ = "monitoring_profile_version"
    __table_args__ = (UniqueConstraint("profile_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_profile.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(1000), default="")

    profile: Mapped[Profile] = relationship(back_populates="versions")


class Report(Base):
    """A report: what is computed (profiles, topology schema, filter tags, weights)."""

    __tablename__ = "monitoring_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", order_by="ReportVersion.valid_from", cascade="all, delete-orphan"
    )


class ReportVersion(Base):
    __tablename__ = "monitoring_report_version"
    __table_args__ = (UniqueConstraint("report_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_report.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(1000), default="")

    report: Mapped[Report] = relationship(back_populates="versions")


class MetricResult(Base):
    """One probe execution (ARGO ``MetricData``), as received."""

    __tablename__ = "monitoring_metric_result"
    __table_args__ = (
        UniqueConstraint("hostname", "service", "metric", "timestamp", "monitoring_host"),
        Index("ix_monitoring_metric_result_timestamp", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    hostname: Mapped[str] = mapped_column(String(512))
    service: Mapped[str] = mapped_column(String(255))
    metric: Mapped[str] = mapped_column(String(255))
    monitoring_host: Mapped[str] = mapped_column(String(512), default="")
    status: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    actual_data: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, str | None] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Recomputation(Base):
    """An operator's correction of a report's period (reference §5.2), in argo-web-api's
    fields; ``document`` holds ``exclude``, ``exclude_monitoring_source``, ``exclude_metrics``
    and ``applied_status_changes``."""

    __tablename__ = "monitoring_recomputation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_report.id", ondelete="CASCADE"), index=True
    )
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(2000), default="")
    requester_name: Mapped[str] = mapped_column(String(255), default="")
    requester_email: Mapped[str] = mapped_column(String(255), default="")
    requested_by: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[Report] = relationship()


class ComputedDay(Base):
    """One computation of a report's day: when, up to which instant (midnight once the day is
    over; "now" for the current day), and from which profile versions."""

    __tablename__ = "monitoring_computed_day"
    __table_args__ = (UniqueConstraint("report_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_report.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    up_to: Mapped[datetime] = mapped_column(UTCDateTime())
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    results: Mapped[int] = mapped_column(Integer, default=0)
    """How many metric results of the day the computation read."""
    profiles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The profile versions used: ``{kind: {"name", "valid_from"}}``."""


class StatusTimeline(Base):
    """The timeline of one entity on one day: ``[[timestamp, state], ...]`` from 00:00.

    The fields below the entity's level are ``""``: a group row has only ``group``; a function
    row ``group`` and ``function``; a service row adds ``service``; an endpoint row
    ``hostname``; a metric row ``metric``."""

    __tablename__ = "monitoring_status_timeline"
    __table_args__ = (
        Index("ix_monitoring_status_timeline_day", "report_id", "day", "level"),
        UniqueConstraint(
            "report_id", "day", "level", "group", "function", "service", "hostname", "metric"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_report.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(16))
    group: Mapped[str] = mapped_column(String(255))
    supergroup: Mapped[str] = mapped_column(String(255), default="")
    function: Mapped[str] = mapped_column(String(255), default="")
    service: Mapped[str] = mapped_column(String(255), default="")
    hostname: Mapped[str] = mapped_column(String(512), default="")
    metric: Mapped[str] = mapped_column(String(255), default="")
    timeline: Mapped[list[list[str]]] = mapped_column(JSON)
    has_threshold: Mapped[bool] = mapped_column(Boolean, default=False)


class DailyAR(Base):
    """The daily A/R of one endpoint, service (per endpoint group) or endpoint group, with the
    seconds spent in each state; ``availability``/``reliability`` are -1 when undefined.
    Monthly, custom-period and supergroup values are derived from these rows (reference §9);
    ``weight`` is the endpoint group's weight that day, ``info`` an endpoint's ``info_*``
    topology tags without the prefix."""

    __tablename__ = "monitoring_daily_ar"
    __table_args__ = (
        Index("ix_monitoring_daily_ar_day", "report_id", "level", "day"),
        UniqueConstraint("report_id", "day", "level", "group", "service", "hostname"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monitoring_report.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(16))
    group: Mapped[str] = mapped_column(String(255))
    supergroup: Mapped[str] = mapped_column(String(255), default="")
    service: Mapped[str] = mapped_column(String(255), default="")
    hostname: Mapped[str] = mapped_column(String(512), default="")
    availability: Mapped[float] = mapped_column(Float)
    reliability: Mapped[float] = mapped_column(Float)
    up: Mapped[float] = mapped_column(Float)
    unknown: Mapped[float] = mapped_column(Float)
    down: Mapped[float] = mapped_column(Float)
    seconds: Mapped[dict[str, int]] = mapped_column(JSON)
    weight: Mapped[float] = mapped_column(Float, default=0)
    info: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
