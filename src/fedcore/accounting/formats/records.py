"""What a parsed accounting message is: record families, their stored columns and keys.

Every parser of ``fedcore.accounting.formats`` returns a :class:`ParsedMessage` whose records
are plain dicts keyed by the column names below (APEL's field names in snake_case, reference
§1.4 to §1.12), so that the loader can hand them to an executemany upsert without copying. Values
are ``str`` (a missing optional string is the literal ``'None'``, §1.3), ``int``, ``float``,
``datetime`` (timezone-aware UTC) or ``None`` (SQL NULL). A defect raises :class:`RecordError`
with APEL's text; one defect rejects the whole message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

ColumnType = Literal["str", "int", "float", "datetime"]


class RecordKind(StrEnum):
    """The record families of reference §1.2 (CAR job records are ``job`` records)."""

    JOB = "job"
    SUMMARY = "summary"
    NORMALISED_SUMMARY = "normalised_summary"
    SYNC = "sync"
    CLOUD = "cloud"
    CLOUD_SUMMARY = "cloud_summary"
    STORAGE = "storage"
    ACCELERATOR = "accelerator"
    PUBLIC_IP = "public_ip"


_SPECIAL_COLUMNS = {"VMUUID": "vm_uuid", "NumberOfVMs": "number_of_vms", "Group": "group_name"}


def column_name(apel_name: str) -> str:
    """APEL's field name in snake_case: ``VOGroup`` → ``vo_group``, ``VMUUID`` → ``vm_uuid``."""
    special = _SPECIAL_COLUMNS.get(apel_name)
    if special is not None:
        return special
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", apel_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).lower()


@dataclass(frozen=True, slots=True)
class Family:
    """A record family as stored: APEL's columns in APEL's order, derived columns, the key."""

    kind: RecordKind
    fields: tuple[tuple[str, ColumnType], ...]
    derived: tuple[tuple[str, ColumnType], ...]
    key: tuple[str, ...]
    columns: tuple[str, ...] = field(init=False)
    apel_names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        names = {column_name(apel): apel for apel, _ in self.fields}
        object.__setattr__(self, "apel_names", names)
        derived = tuple(column for column, _ in self.derived)
        object.__setattr__(self, "columns", tuple(names) + derived)

    def key_of(self, record: dict[str, Any]) -> tuple[Any, ...]:
        """The record's uniqueness key (last loaded wins among records with equal keys)."""
        return tuple(record[column] for column in self.key)


_S: ColumnType = "str"
_I: ColumnType = "int"
_F: ColumnType = "float"
_T: ColumnType = "datetime"

_FQAN_DERIVED = (("vo", _S), ("vo_group", _S), ("vo_role", _S))

JOB = Family(
    RecordKind.JOB,
    fields=(
        ("Site", _S),
        ("SubmitHost", _S),
        ("MachineName", _S),
        ("Queue", _S),
        ("LocalJobId", _S),
        ("LocalUserId", _S),
        ("GlobalUserName", _S),
        ("FQAN", _S),
        ("VO", _S),
        ("VOGroup", _S),
        ("VORole", _S),
        ("WallDuration", _I),
        ("CpuDuration", _I),
        ("Processors", _I),
        ("NodeCount", _I),
        ("StartTime", _T),
        ("EndTime", _T),
        ("InfrastructureDescription", _S),
        ("InfrastructureType", _S),
        ("MemoryReal", _I),
        ("MemoryVirtual", _I),
        ("ServiceLevelType", _S),
        ("ServiceLevel", _F),
    ),
    derived=(("end_year", _I), ("end_month", _I)),
    key=("site", "local_job_id", "end_time"),
)

SUMMARY = Family(
    RecordKind.SUMMARY,
    fields=(
        ("Site", _S),
        ("Month", _I),
        ("Year", _I),
        ("GlobalUserName", _S),
        ("VO", _S),
        ("VOGroup", _S),
        ("VORole", _S),
        ("SubmitHost", _S),
        ("InfrastructureType", _S),
        ("InfrastructureDescription", _S),
        ("ServiceLevelType", _S),
        ("ServiceLevel", _F),
        ("NodeCount", _I),
        ("Processors", _I),
        ("EarliestEndTime", _T),
        ("LatestEndTime", _T),
        ("WallDuration", _I),
        ("CpuDuration", _I),
        ("NumberOfJobs", _I),
    ),
    derived=(),
    key=(
        "site",
        "month",
        "year",
        "global_user_name",
        "vo",
        "vo_role",
        "vo_group",
        "submit_host",
        "infrastructure_type",
        "service_level_type",
        "service_level",
        "node_count",
        "processors",
    ),
)

NORMALISED_SUMMARY = Family(
    RecordKind.NORMALISED_SUMMARY,
    fields=(
        ("Site", _S),
        ("Month", _I),
        ("Year", _I),
        ("GlobalUserName", _S),
        ("VO", _S),
        ("VOGroup", _S),
        ("VORole", _S),
        ("SubmitHost", _S),
        ("Infrastructure", _S),
        ("ServiceLevelType", _S),
        ("NodeCount", _I),
        ("Processors", _I),
        ("EarliestEndTime", _T),
        ("LatestEndTime", _T),
        ("WallDuration", _I),
        ("CpuDuration", _I),
        ("NormalisedWallDuration", _I),
        ("NormalisedCpuDuration", _I),
        ("NumberOfJobs", _I),
    ),
    derived=(),
    key=(
        "site",
        "month",
        "year",
        "global_user_name",
        "vo",
        "vo_role",
        "vo_group",
        "submit_host",
        "infrastructure",
        "node_count",
        "processors",
        "service_level_type",
    ),
)

SYNC = Family(
    RecordKind.SYNC,
    fields=(
        ("Site", _S),
        ("SubmitHost", _S),
        ("NumberOfJobs", _I),
        ("Month", _I),
        ("Year", _I),
    ),
    derived=(),
    key=("site", "submit_host", "month", "year"),
)

CLOUD = Family(
    RecordKind.CLOUD,
    fields=(
        ("RecordCreateTime", _T),
        ("VMUUID", _S),
        ("SiteName", _S),
        ("CloudComputeService", _S),
        ("MachineName", _S),
        ("LocalUserId", _S),
        ("LocalGroupId", _S),
        ("GlobalUserName", _S),
        ("FQAN", _S),
        ("Status", _S),
        ("StartTime", _T),
        ("EndTime", _T),
        ("SuspendDuration", _I),
        ("WallDuration", _I),
        ("CpuDuration", _I),
        ("CpuCount", _F),
        ("NetworkType", _S),
        ("NetworkInbound", _I),
        ("NetworkOutbound", _I),
        ("PublicIPCount", _I),
        ("Memory", _I),
        ("Disk", _I),
        ("BenchmarkType", _S),
        ("Benchmark", _F),
        ("StorageRecordId", _S),
        ("ImageId", _S),
        ("CloudType", _S),
    ),
    derived=(
        *_FQAN_DERIVED,
        ("measurement_time", _T),
        ("measurement_month", _I),
        ("measurement_year", _I),
    ),
    key=("vm_uuid", "measurement_month", "measurement_year"),
)

CLOUD_SUMMARY = Family(
    RecordKind.CLOUD_SUMMARY,
    fields=(
        ("SiteName", _S),
        ("CloudComputeService", _S),
        ("Month", _I),
        ("Year", _I),
        ("GlobalUserName", _S),
        ("VO", _S),
        ("VOGroup", _S),
        ("VORole", _S),
        ("Status", _S),
        ("CloudType", _S),
        ("ImageId", _S),
        ("EarliestStartTime", _T),
        ("LatestStartTime", _T),
        ("WallDuration", _I),
        ("CpuDuration", _I),
        ("CpuCount", _F),
        ("NetworkInbound", _I),
        ("NetworkOutbound", _I),
        ("Memory", _I),
        ("Disk", _I),
        ("BenchmarkType", _S),
        ("Benchmark", _F),
        ("NumberOfVMs", _I),
    ),
    derived=(),
    key=(
        "site_name",
        "cloud_compute_service",
        "month",
        "year",
        "global_user_name",
        "vo",
        "vo_group",
        "vo_role",
        "status",
        "image_id",
        "cpu_count",
        "benchmark_type",
        "benchmark",
    ),
)

STORAGE = Family(
    RecordKind.STORAGE,
    fields=(
        ("RecordId", _S),
        ("CreateTime", _T),
        ("StorageSystem", _S),
        ("Site", _S),
        ("StorageShare", _S),
        ("StorageMedia", _S),
        ("StorageClass", _S),
        ("FileCount", _I),
        ("DirectoryPath", _S),
        ("LocalUser", _S),
        ("LocalGroup", _S),
        ("UserIdentity", _S),
        ("Group", _S),
        ("SubGroup", _S),
        ("Role", _S),
        ("StartTime", _T),
        ("EndTime", _T),
        ("ResourceCapacityUsed", _I),
        ("LogicalCapacityUsed", _I),
        ("ResourceCapacityAllocated", _I),
    ),
    derived=(),
    key=("record_id",),
)

ACCELERATOR = Family(
    RecordKind.ACCELERATOR,
    fields=(
        ("MeasurementMonth", _I),
        ("MeasurementYear", _I),
        ("AssociatedRecordType", _S),
        ("AssociatedRecord", _S),
        ("GlobalUserName", _S),
        ("FQAN", _S),
        ("SiteName", _S),
        ("Count", _F),
        ("Cores", _I),
        ("ActiveDuration", _I),
        ("AvailableDuration", _I),
        ("BenchmarkType", _S),
        ("Benchmark", _F),
        ("Type", _S),
        ("Model", _S),
    ),
    derived=_FQAN_DERIVED,
    key=(
        "measurement_month",
        "measurement_year",
        "associated_record_type",
        "associated_record",
        "site_name",
        "model",
    ),
)

PUBLIC_IP = Family(
    RecordKind.PUBLIC_IP,
    fields=(
        ("MeasurementTime", _T),
        ("SiteName", _S),
        ("CloudComputeService", _S),
        ("CloudType", _S),
        ("LocalUser", _S),
        ("LocalGroup", _S),
        ("GlobalUserName", _S),
        ("FQAN", _S),
        ("IPVersion", _I),
        ("IPCount", _I),
    ),
    derived=(*_FQAN_DERIVED, ("measurement_month", _I), ("measurement_year", _I)),
    key=(
        "site_name",
        "cloud_compute_service",
        "global_user_name",
        "ip_version",
        "measurement_month",
        "measurement_year",
    ),
)

FAMILIES: dict[RecordKind, Family] = {
    family.kind: family
    for family in (
        JOB,
        SUMMARY,
        NORMALISED_SUMMARY,
        SYNC,
        CLOUD,
        CLOUD_SUMMARY,
        STORAGE,
        ACCELERATOR,
        PUBLIC_IP,
    )
}

SITE_COLUMN: dict[RecordKind, str] = {
    kind: "site_name" if "site_name" in family.columns else "site"
    for kind, family in FAMILIES.items()
}
"""The column naming the record's site, checked against the publisher's sites."""


@dataclass(slots=True)
class ParsedMessage:
    """One message: its kind, its header (or XML namespace / JSON type) and its records.

    ``group_attributes`` holds StAR GroupAttribute values other than subgroup and role, as
    dicts ``{"record_id", "attribute_type", "value"}`` (reference §1.10).
    """

    kind: RecordKind
    header: str
    records: list[dict[str, Any]]
    group_attributes: list[dict[str, Any]] = field(default_factory=list)


class RecordError(ValueError):
    """A defect that rejects the whole message, with APEL's text (reference §1.3).

    ``index`` is the 1-based position of the record in the message, or ``None`` for a defect of
    the message itself (its header, its XML or its JSON envelope); ``field`` is APEL's name of
    the field at fault, when there is one.
    """

    def __init__(self, text: str, *, index: int | None = None, field: str | None = None):
        super().__init__(text)
        self.text = text
        self.index = index
        self.field = field

    def __str__(self) -> str:
        return self.text if self.index is None else f"record {self.index}: {self.text}"
