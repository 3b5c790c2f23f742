"""Pydantic schemas of the monitoring REST API: profiles, reports, recomputations, metric-data
answers. Profile documents are ARGO's JSON, checked by the engine's loaders in the service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from fedcore.core.ams import AmsAnswer
from fedcore.core.api import FieldError
from fedcore.core.db import isoformat_z
from fedcore.monitoring.enums import RecomputationStatus

Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
UTCTime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- profiles -------------------------------------------------------------------------------


class ProfileCreate(_In):
    name: Name
    valid_from: date = Field(description="the first day this version is used for")
    document: dict[str, Any] = Field(description="the profile in ARGO's JSON")


class ProfileUpdate(_In):
    """A new version from ``valid_from`` on (replacing a version of that same date)."""

    valid_from: date
    document: dict[str, Any]


class ProfileRead(BaseModel):
    id: str = Field(description="stable identifier (ARGO's profile id)")
    kind: str
    name: str
    valid_from: date = Field(description="the version shown: the latest valid on the asked day")
    document: dict[str, Any]
    versions: list[date]


# --- reports --------------------------------------------------------------------------------


class ProfileRef(_In):
    """A profile named by a report, as ARGO lists them (``id`` is accepted and ignored)."""

    type: str = Field(description="operations, metric, aggregation or thresholds")
    name: str
    id: str | None = None


class WeightSource(_In):
    """Where endpoint-group weights come from: an extension property of the endpoint group (of
    the site, or of the service group), e.g. ``HEPSPEC06``; a group without it, or with a value
    that is not a number, weighs 0."""

    property: Annotated[str, StringConstraints(min_length=1, max_length=255)]


class Targets(_In):
    """Display targets (ARGO's report ``thresholds``; EGI's OLA: A >= 80 %, R >= 85 %)."""

    availability: float = 80
    reliability: float = 85
    uptime: float = 0.8
    unknown: float = 0.1
    downtime: float = 0.1


class ReportFields(_In):
    description: str = ""
    topology_schema: dict[str, Any] = Field(
        description='e.g. {"group": {"type": "NGI", "group": {"type": "SITES"}}}; the endpoint '
        "group type is SITES (sites under their NGI) or SERVICEGROUPS"
    )
    filter_tags: list[dict[str, Any]] = Field(default_factory=list)
    computations: dict[str, Any] = Field(
        default_factory=lambda: {"ar": True, "status": True, "trends": []}
    )
    thresholds: Targets = Field(default_factory=Targets)
    profiles: list[ProfileRef]
    weights: WeightSource | None = None
    service_group_supergroup: str = Field(
        default="",
        description="the supergroup of every service group (the registry links service groups "
        "to no project); needed when the endpoint group type is SERVICEGROUPS",
    )
    disabled: bool = False


class ReportCreate(ReportFields):
    name: Name
    valid_from: date


class ReportUpdate(_In):
    """A new version from ``valid_from`` on: the fields given replace those of the version
    valid that day."""

    valid_from: date
    description: str | None = None
    topology_schema: dict[str, Any] | None = None
    filter_tags: list[dict[str, Any]] | None = None
    computations: dict[str, Any] | None = None
    thresholds: Targets | None = None
    profiles: list[ProfileRef] | None = None
    weights: WeightSource | None = None
    service_group_supergroup: str | None = None
    disabled: bool | None = None


class ReportRead(ReportFields):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    valid_from: date
    versions: list[date]
    created: UTCTime
    updated: UTCTime


# --- recomputations -------------------------------------------------------------------------


class RecomputationCreate(_In):
    report: str = Field(description="report name")
    start_time: datetime
    end_time: datetime
    reason: str = Field("", max_length=2000)
    requester_name: str = Field("", max_length=255)
    requester_email: str = Field("", max_length=255)
    exclude: list[str] = Field(default_factory=list, description="endpoint groups")
    exclude_monitoring_source: list[dict[str, Any]] = Field(default_factory=list)
    exclude_metrics: list[dict[str, Any]] = Field(default_factory=list)
    applied_status_changes: list[dict[str, Any]] = Field(default_factory=list)


class RecomputationDecision(_In):
    status: RecomputationStatus


class RecomputationRead(BaseModel):
    id: str
    report: str
    start_time: UTCTime
    end_time: UTCTime
    reason: str
    requester_name: str
    requester_email: str
    status: str
    timestamp: UTCTime
    exclude: list[str]
    exclude_monitoring_source: list[dict[str, Any]]
    exclude_metrics: list[dict[str, Any]]
    applied_status_changes: list[dict[str, Any]]


# --- metric results -------------------------------------------------------------------------


class StoredRecord(BaseModel):
    index: int
    id: int
    new: bool = Field(description="false when an identical record was already stored")


class RefusedRecord(BaseModel):
    index: int
    errors: list[FieldError]


class MetricDataAnswer(BaseModel):
    stored: list[StoredRecord]
    refused: list[RefusedRecord]


class MetricDataAmsAnswer(AmsAnswer):
    """The AMS publish answer, with the refused messages (each ``data`` the base64 of one
    Avro-encoded ``metric_data`` record, no header) by index."""

    refused: list[RefusedRecord] = Field(default_factory=list)


# --- computation ----------------------------------------------------------------------------


class ComputedDayRead(_Out):
    day: date
    computed_at: UTCTime
    up_to: UTCTime
    complete: bool
    results: int
    profiles: dict[str, Any]
