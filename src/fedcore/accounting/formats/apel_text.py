"""APEL's key/value messages (reference §1.2, §1.4 to §1.9): header, ``%%`` records, family rules.

The header's type (and, for the summaries, the whole header line) picks the record format; a
``v0.4`` header picks the v0.4 formats, whose benchmark comes as a dictionary. Each record is
read by :func:`fedcore.accounting.formats.fields.read_fields`, then checked with the rules of its
APEL record class (``_check_fields`` of job.py, summary.py, normalised_summary.py, cloud.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any, Final

from fedcore.accounting.formats.fields import (
    NULL_IN_MANDATORY,
    RecordSpec,
    benchmark_spelling,
    read_fields,
    record_spec,
)
from fedcore.accounting.formats.fqan import parse_fqan
from fedcore.accounting.formats.records import (
    CLOUD,
    CLOUD_SUMMARY,
    JOB,
    NORMALISED_SUMMARY,
    SUMMARY,
    SYNC,
    ParsedMessage,
    RecordError,
)

HEADER_WITHOUT_COLON: Final = "Message header is incorrect: substring not found"
UNKNOWN_HEADER: Final = "Message type {} not recognised."
UNIT_WITHOUT_VALUE: Final = "Unit but not value supplied for ScalingFactor."
INVALID_UNIT: Final = "ScalingFactorUnit {} not valid."
END_BEFORE_START: Final = "EndTime is before StartTime."
FUTURE_EPOCH: Final = "Epoch time {} is in the future."
INVALID_MONTH: Final = "Invalid values for month and/or year."
EARLIEST_OUTSIDE_MONTH: Final = "EarliestEndTime is not within stated month."
LATEST_OUTSIDE_MONTH: Final = "LatestEndTime is not within stated month."
LATEST_BEFORE_EARLIEST: Final = "LatestEndTime is earlier than EarliestEndTime."
FUTURE_MONTH: Final = "Month specified in record is in the future."
NEGATIVE: Final = "Negative {}"

SERVICE_LEVEL_TYPES: Final = frozenset(("si2k", "hepspec", "hepscore23"))
FUTURE_MARGIN: Final = timedelta(days=2)
"""APEL accepts end times up to two days ahead ("to prevent timezone problems")."""

Check = Callable[[dict[str, Any], datetime], None]


@dataclass(frozen=True, slots=True)
class TextFormat:
    """A record format of the key/value family: how records are read, then checked."""

    spec: RecordSpec
    check: Check | None


def check_job(record: dict[str, Any], now: datetime) -> None:
    """JobRecord's ``_check_fields``: FQAN, ScalingFactor pair, start and end times.

    ``Processors`` and ``NodeCount`` default to 0, and the end month is derived.
    """
    fqan = record["fqan"]
    if fqan != "None":
        record["vo"], record["vo_group"], record["vo_role"] = parse_fqan(fqan)
    level_type = record["service_level_type"]
    if level_type is None:
        # A v0.4 record without ServiceLevel: APEL fails with a KeyError, the type has no value.
        raise RecordError(NULL_IN_MANDATORY.format("ServiceLevelType"), field="ServiceLevelType")
    if record["service_level"] is None:
        if level_type != "None":
            raise RecordError(UNIT_WITHOUT_VALUE, field="ServiceLevel")
        record["service_level_type"] = "custom"
        record["service_level"] = 1.0
    elif level_type == "None":
        raise RecordError(UNIT_WITHOUT_VALUE, field="ServiceLevelType")
    elif level_type.lower() not in SERVICE_LEVEL_TYPES:
        raise RecordError(INVALID_UNIT.format(level_type), field="ServiceLevelType")
    else:
        record["service_level_type"] = benchmark_spelling(level_type)
    end: datetime = record["end_time"]
    if end < record["start_time"]:
        raise RecordError(END_BEFORE_START, field="EndTime")
    if end > now + FUTURE_MARGIN:
        raise RecordError(FUTURE_EPOCH.format(end.replace(tzinfo=None)), field="EndTime")
    if record["processors"] is None:
        record["processors"] = 0
    if record["node_count"] is None:
        record["node_count"] = 0
    record["end_year"] = end.year
    record["end_month"] = end.month


def _check_month(record: dict[str, Any], now: datetime) -> None:
    """The month checks shared by SummaryRecord and NormalisedSummaryRecord."""
    month: int = record["month"]
    year: int = record["year"]
    if not (1 <= month <= 12 and year >= 1 and year + (month == 12) <= 9999):
        raise RecordError(INVALID_MONTH, field="Month")
    month_start = datetime(year, month, 1, tzinfo=UTC)
    month_end = (
        datetime(year + 1, 1, 1, tzinfo=UTC)
        if month == 12
        else month_start.replace(month=month + 1)
    )
    earliest = record["earliest_end_time"]
    if earliest is not None:
        if not month_start <= earliest <= month_end:
            raise RecordError(EARLIEST_OUTSIDE_MONTH, field="EarliestEndTime")
        latest = record["latest_end_time"]
        if latest is not None:
            if not month_start <= latest <= month_end:
                raise RecordError(LATEST_OUTSIDE_MONTH, field="LatestEndTime")
            if earliest > latest:
                raise RecordError(LATEST_BEFORE_EARLIEST, field="LatestEndTime")
    if month_start > now:
        raise RecordError(FUTURE_MONTH, field="Month")


_STORED_NOT_NULL = (
    ("ServiceLevelType", "service_level_type"),
    ("ServiceLevel", "service_level"),
    ("NodeCount", "node_count"),
    ("Processors", "processors"),
)


def check_summary(record: dict[str, Any], now: datetime) -> None:
    """SummaryRecord's checks, then the columns APEL's database holds NOT NULL."""
    _check_month(record, now)
    if record["wall_duration"] < 0:
        raise RecordError(NEGATIVE.format("WallDuration"), field="WallDuration")
    if record["cpu_duration"] < 0:
        # APEL's summary.py reports a negative CpuDuration with the WallDuration text.
        raise RecordError(NEGATIVE.format("WallDuration"), field="CpuDuration")
    for apel, column in _STORED_NOT_NULL:
        if record[column] in (None, "None"):
            raise RecordError(NULL_IN_MANDATORY.format(apel), field=apel)
    record["service_level_type"] = benchmark_spelling(record["service_level_type"])


_NORMALISED_DURATIONS = (
    ("WallDuration", "wall_duration"),
    ("CpuDuration", "cpu_duration"),
    ("NormalisedWallDuration", "normalised_wall_duration"),
    ("NormalisedCpuDuration", "normalised_cpu_duration"),
)


def check_normalised_summary(record: dict[str, Any], now: datetime) -> None:
    """NormalisedSummaryRecord's checks: the month, no negative duration."""
    _check_month(record, now)
    for apel, column in _NORMALISED_DURATIONS:
        if record[column] < 0:
            raise RecordError(NEGATIVE.format(apel), field=apel)


def check_cloud(record: dict[str, Any], now: datetime) -> None:
    """CloudRecord's ``_check_fields`` and the measurement time of ReplaceCloudRecord (§1.8).

    VO fields always come from the FQAN; a missing Benchmark or CpuCount is 0. The measurement
    time is the end time of a completed VM, else the record's creation time, else start time
    plus suspended and wall durations.
    """
    record["vo"], record["vo_group"], record["vo_role"] = parse_fqan(record["fqan"])
    if record["benchmark"] is None:
        record["benchmark"] = 0.0
    if record["cpu_count"] is None:
        record["cpu_count"] = 0.0
    measured: datetime | None
    if record["status"] == "completed":
        measured = record["end_time"]
    elif record["record_create_time"] is not None:
        measured = record["record_create_time"]
    elif record["start_time"] is not None:
        seconds = (record["suspend_duration"] or 0) + (record["wall_duration"] or 0)
        measured = record["start_time"] + timedelta(seconds=seconds)
    else:
        measured = None
    record["measurement_time"] = measured
    if measured is not None:
        record["measurement_month"] = measured.month
        record["measurement_year"] = measured.year


_JOB_MANDATORY = ("Site", "LocalJobId", "WallDuration", "CpuDuration", "StartTime", "EndTime")
_JOB_IGNORED = ("SubmitHostType", "UpdateTime")
_SUMMARY_MANDATORY = ("Site", "Month", "Year", "WallDuration", "CpuDuration", "NumberOfJobs")
_NORMALISED_MANDATORY = (
    "Site",
    "Month",
    "Year",
    "WallDuration",
    "CpuDuration",
    "NormalisedWallDuration",
    "NormalisedCpuDuration",
    "NumberOfJobs",
)
# InfrastructureDescription is accepted in normalised summaries (as the sample APEL accepted
# shows) but the family has no column for it.
_NORMALISED_IGNORED = ("UpdateTime", "InfrastructureDescription")

JOB_V03 = TextFormat(record_spec(JOB, mandatory=_JOB_MANDATORY, ignored=_JOB_IGNORED), check_job)
JOB_V04 = TextFormat(
    record_spec(
        JOB,
        mandatory=_JOB_MANDATORY,
        ignored=_JOB_IGNORED,
        dict_fields=("ServiceLevel",),
        unfilled=("ServiceLevelType",),
    ),
    check_job,
)
SUMMARY_V02 = TextFormat(
    record_spec(SUMMARY, mandatory=_SUMMARY_MANDATORY, ignored=("UpdateTime",)), check_summary
)
SUMMARY_V04 = TextFormat(
    record_spec(
        SUMMARY,
        mandatory=_SUMMARY_MANDATORY,
        ignored=("UpdateTime",),
        dict_fields=("ServiceLevel",),
        unfilled=("ServiceLevelType",),
    ),
    check_summary,
)
NORMALISED_SUMMARY_V03 = TextFormat(
    record_spec(
        NORMALISED_SUMMARY,
        mandatory=_NORMALISED_MANDATORY,
        ignored=_NORMALISED_IGNORED,
        unexpected=("ServiceLevelType",),
    ),
    check_normalised_summary,
)
NORMALISED_SUMMARY_V04 = TextFormat(
    record_spec(
        NORMALISED_SUMMARY,
        mandatory=_NORMALISED_MANDATORY,
        ignored=_NORMALISED_IGNORED,
        dict_fields=("NormalisedWallDuration", "NormalisedCpuDuration"),
        unfilled=("ServiceLevelType",),
    ),
    check_normalised_summary,
)
SYNC_V01 = TextFormat(record_spec(SYNC, mandatory=("Site", "NumberOfJobs", "Month", "Year")), None)
CLOUD_V04 = TextFormat(
    record_spec(
        CLOUD,
        mandatory=("VMUUID", "SiteName"),
        ignored=("UpdateTime", "MeasurementTime", "MeasurementMonth", "MeasurementYear"),
        derived_inputs=("VO", "VOGroup", "VORole"),
    ),
    check_cloud,
)
CLOUD_SUMMARY_V04 = TextFormat(
    record_spec(
        CLOUD_SUMMARY,
        mandatory=("SiteName", "Month", "Year", "NumberOfVMs"),
        ignored=("UpdateTime",),
    ),
    None,
)

# Looked up by the header's type first, then by the whole header line (reference §1.2).
_PRE_V04: dict[str, TextFormat] = {
    "APEL-individual-job-message": JOB_V03,
    "APEL-summary-job-message: v0.2": SUMMARY_V02,
    "APEL-summary-job-message: v0.3": NORMALISED_SUMMARY_V03,
    "APEL-sync-message": SYNC_V01,
    "APEL-cloud-message": CLOUD_V04,
    "APEL-cloud-summary-message": CLOUD_SUMMARY_V04,
}
_V04: dict[str, TextFormat] = {
    "APEL-individual-job-message": JOB_V04,
    "APEL-summary-job-message": SUMMARY_V04,
    "APEL-normalised-summary-message": NORMALISED_SUMMARY_V04,
    "APEL-sync-message": SYNC_V01,
    "APEL-cloud-message": CLOUD_V04,
    "APEL-cloud-summary-message": CLOUD_SUMMARY_V04,
}

_COLONS = repeat(":")
_ONCE = repeat(1)


def parse_text(text: str) -> ParsedMessage:
    """A key/value message, already stripped: header line, then records separated by ``%%``."""
    first, _, rest = text.partition("\n")
    first_lines = first.splitlines() or [""]
    header = first_lines[0]
    if len(first_lines) > 1:
        rest = "\n".join(first_lines[1:]) + "\n" + rest
    type_name, colon, version = header.partition(":")
    if not colon:
        raise RecordError(HEADER_WITHOUT_COLON)
    table = _V04 if version.strip() == "v0.4" else _PRE_V04
    form = table.get(type_name.strip()) or table.get(header)
    if form is None:
        raise RecordError(UNKNOWN_HEADER.format(header))
    spec, check = form.spec, form.check
    now = datetime.now(UTC)
    split = str.split
    records: list[dict[str, Any]] = []
    for chunk in rest.split("%%"):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            record = read_fields(spec, map(split, chunk.splitlines(), _COLONS, _ONCE))
            if check is not None:
                check(record, now)
        except RecordError as error:
            error.index = len(records) + 1
            raise
        records.append(record)
    return ParsedMessage(kind=spec.family.kind, header=header, records=records)
