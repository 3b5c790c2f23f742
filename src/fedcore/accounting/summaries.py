"""The summary arithmetic that the loader (incremental) and ``summarise`` (rebuild) share.

Reference §2.4: APEL's summariser groups job records into HybridSuperSummaries (SummariseJobs),
adds the received summaries normalised (NormaliseSummaries) and copies the received normalised
summaries (CopyNormalisedSummaries); for clouds it sums per VM-month deltas of cumulative
counters (SummariseVMs); for accelerators it sums per-month totals (SummariseAccelerators, §1.11).
Here every record gives its *contribution*: the key of its summary group and a :class:`Totals`
value. A group's values are the sum of its records' contributions, which gives the rebuild
(:func:`aggregate`). The loader applies ``new - old`` per group (:func:`changes`) with ``+=``.

**Exact normalisation.** APEL computes ``ROUND(SUM(max(x, 0) * f))`` in MySQL DECIMAL, exactly,
with ties rounded away from zero. ServiceLevel is DECIMAL(10,3), so ``f`` is a multiple of 1/1000
(HEPSPEC, HEPscore23, custom) or of 1/250,000 (si2k: ServiceLevel / 250). Normalised durations
are therefore kept as exact integers in units of 1/250,000 HS06·s (:data:`NORMALISED_UNITS`):
per-record contributions add up in any order to the same integer, so the incremental path equals
the rebuild bit for bit. Rounding happens once, when a group total is written
(:attr:`JobTotals.normalised_wall_duration`); the table keeps the exact sums for the next ``+=``.
Rounding each record instead would drift from APEL by up to half a unit per record, and a float
sum would depend on the order of the loads. A BigInteger of units holds 3.7·10¹³ HS06·s, about
10¹⁰ HS06·h per group and month.

**MIN/MAX cannot be decremented.** Subtracting a contribution removes its additive values only.
A group from which a record leaves, taking an extreme value (earliest or latest time) that its
replacement does not bring back, is *stale*: :func:`changes` names it, and the loader rebuilds
it from the records.

This module is pure: it imports only the standard library and the record families.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from operator import add
from typing import Any, ClassVar, Self

from fedcore.accounting.formats.records import RecordKind

Record = dict[str, Any]
Key = tuple[Any, ...]

NORMALISED_UNITS = 250_000
"""Units per HS06·s in which normalised durations are exact integers (module docstring)."""

# The key columns of the summary tables, in the order of the key tuples below. Key values are
# the records' own (ServiceLevel, CpuCount and Benchmark as the parsers' floats), so that a
# group's key selects its records again; a NULL number in a key is 0 (a NULL never collides).
SUPER_SUMMARY_KEY = (
    "source",
    "site",
    "year",
    "month",
    "global_user_name",
    "vo",
    "vo_group",
    "vo_role",
    "submit_host",
    "infrastructure",
    "service_level_type",
    "service_level",
    "node_count",
    "processors",
)
CLOUD_SUPER_SUMMARY_KEY = (
    "source",
    "site_name",
    "cloud_compute_service",
    "year",
    "month",
    "global_user_name",
    "vo",
    "vo_group",
    "vo_role",
    "status",
    "image_id",
    "cpu_count",
    "benchmark_type",
    "benchmark",
)
ACCELERATOR_SUMMARY_KEY = (
    "year",
    "month",
    "associated_record_type",
    "global_user_name",
    "site_name",
    "cores",
    "type",
    "model",
    "benchmark",
    "benchmark_type",
)


def _thousandths(service_level: float | Decimal) -> int:
    """ServiceLevel in thousandths, as DECIMAL(10,3) stores it (ties away from zero)."""
    return int(Decimal(str(service_level)).scaleb(3).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@cache
def normalisation_units(service_level_type: str, service_level: float | Decimal | None) -> int:
    """The normalisation factor in units of 1/250,000, exact as APEL's DECIMAL arithmetic.

    Cached: a site's records carry few distinct benchmarks, and the exact conversion through
    ``Decimal`` costs more than the rest of a record's contribution.

    APEL (SummariseJobs, NormaliseSummaries) divides by 250 when ServiceLevelType is ``si2k``
    (MySQL compares strings case-insensitively) and otherwise takes ServiceLevel as it is:
    HEPSPEC and HEPscore23 are 1:1 by design, and so is any other type, such as ``custom``,
    which a job without a ScalingFactor carries with ServiceLevel 1 (§1.4).
    """
    if service_level is None:
        raise ValueError("ServiceLevel: NULL, so the record cannot be normalised")
    thousandths = _thousandths(service_level)
    if service_level_type.lower() == "si2k":
        return thousandths
    return thousandths * 250


def normalisation_factor(service_level_type: str, service_level: float | Decimal) -> float:
    """HS06 per second of a core: ServiceLevel / 250 for si2k, ServiceLevel for the rest."""
    return normalisation_units(service_level_type, service_level) / NORMALISED_UNITS


def round_units(units: int) -> int:
    """A total in normalised units rounded to whole HS06·s, ties away from zero (MySQL ROUND)."""
    whole, rest = divmod(abs(units), NORMALISED_UNITS)
    rounded = whole + (1 if 2 * rest >= NORMALISED_UNITS else 0)
    return rounded if units >= 0 else -rounded


def _least(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _greatest(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


class Totals:
    """The values of a summary group, of one record's contribution, or of a delta.

    Every field is additive except those named in ``_least`` and ``_greatest``, which merge as
    MIN and MAX (``None`` means "no value"). ``a + b`` merges two values; ``-a`` negates the
    additive fields and drops the extremes, since a MIN or MAX cannot be taken back.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]
    _least: ClassVar[frozenset[str]] = frozenset()
    _greatest: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def zero(cls) -> Self:
        """The empty group: no extremes, additive fields 0."""
        return cls(
            **{f.name: None if cls._is_extreme(f.name) else 0 for f in fields(cls)},
        )

    @classmethod
    def _is_extreme(cls, name: str) -> bool:
        return name in cls._least or name in cls._greatest

    @classmethod
    @cache
    def _merges(cls) -> tuple[tuple[str, Callable[[Any, Any], Any]], ...]:
        """Each field with how two values of it merge, in the order of the fields."""
        return tuple(
            (
                f.name,
                _least if f.name in cls._least else _greatest if f.name in cls._greatest else add,
            )
            for f in fields(cls)
        )

    def __add__(self, other: Self) -> Self:
        return type(self)(
            *[merge(getattr(self, name), getattr(other, name)) for name, merge in self._merges()]
        )

    def __neg__(self) -> Self:
        return type(self)(
            **{
                f.name: None if self._is_extreme(f.name) else -getattr(self, f.name)
                for f in fields(self)
            },
        )

    def __sub__(self, other: Self) -> Self:
        return self + -other

    def reproduces_extremes_of(self, removed: Self) -> bool:
        """Whether these values bring back every MIN and MAX that ``removed`` took part in.

        When they do not, the group's stored extremes may come from a record that is gone.
        """
        for name in self._least:
            gone, kept = getattr(removed, name), getattr(self, name)
            if gone is not None and (kept is None or kept > gone):
                return False
        for name in self._greatest:
            gone, kept = getattr(removed, name), getattr(self, name)
            if gone is not None and (kept is None or kept < gone):
                return False
        return True


@dataclass(frozen=True, slots=True)
class JobTotals(Totals):
    """A ``super_summary`` group's values; normalised durations in exact units (1/250,000)."""

    _least: ClassVar[frozenset[str]] = frozenset({"earliest_end_time"})
    _greatest: ClassVar[frozenset[str]] = frozenset({"latest_end_time"})

    earliest_end_time: datetime | None
    latest_end_time: datetime | None
    wall_duration: int
    cpu_duration: int
    normalised_wall_units: int
    normalised_cpu_units: int
    number_of_jobs: int

    @property
    def normalised_wall_duration(self) -> int:
        """ROUND(Σ max(wall, 0) * f), the value written to the table."""
        return round_units(self.normalised_wall_units)

    @property
    def normalised_cpu_duration(self) -> int:
        """ROUND(Σ max(cpu, 0) * f), the value written to the table."""
        return round_units(self.normalised_cpu_units)


@dataclass(frozen=True, slots=True)
class CloudTotals(Totals):
    """A ``cloud_super_summary`` group's values (sums of VM-month deltas).

    ``cloud_type`` is not part of the key; a group whose VMs name several keeps the greatest.
    """

    _least: ClassVar[frozenset[str]] = frozenset({"earliest_start_time"})
    _greatest: ClassVar[frozenset[str]] = frozenset({"latest_start_time", "cloud_type"})

    cloud_type: str | None
    earliest_start_time: datetime | None
    latest_start_time: datetime | None
    wall_duration: int
    cpu_duration: int
    network_inbound: int
    network_outbound: int
    memory: int
    disk: int
    number_of_vms: int


@dataclass(frozen=True, slots=True)
class AcceleratorTotals(Totals):
    """An ``accelerator_summary`` group's values (per-month totals, no deltas)."""

    available_duration: int
    active_duration: int
    number_of_records: int


def _nonnegative(value: int | None) -> int:
    return value if value is not None and value > 0 else 0


def _or_zero(value: int | None) -> int:
    return 0 if value is None else value


def _null_as_zero(value: float | None) -> float:
    """A summary key holds no NULL (SQL keys with NULL never collide): NULL becomes 0."""
    return 0.0 if value is None else value


def _super_summary_key(
    source: str,
    record: Record,
    month: tuple[int, int],
    infrastructure: str,
    service_level: float,
) -> Key:
    """A super-summary group's key (:data:`SUPER_SUMMARY_KEY`) for a record of ``source``."""
    return (
        source,
        record["site"],
        *month,
        record["global_user_name"],
        record["vo"],
        record["vo_group"],
        record["vo_role"],
        record["submit_host"],
        infrastructure,
        record["service_level_type"],
        service_level,
        record["node_count"],
        record["processors"],
    )


def _received_totals(record: Record, wall_units: int, cpu_units: int) -> JobTotals:
    """A received (normalised) summary's totals, with its normalised parts in units."""
    return JobTotals(
        earliest_end_time=record["earliest_end_time"],
        latest_end_time=record["latest_end_time"],
        wall_duration=record["wall_duration"],
        cpu_duration=record["cpu_duration"],
        normalised_wall_units=wall_units,
        normalised_cpu_units=cpu_units,
        number_of_jobs=record["number_of_jobs"],
    )


def job_contribution(record: Record) -> tuple[Key, JobTotals]:
    """One job record's super-summary group (source ``jobs``) and contribution (SummariseJobs)."""
    factor = normalisation_units(record["service_level_type"], record["service_level"])
    key = _super_summary_key(
        "jobs",
        record,
        (record["end_year"], record["end_month"]),
        record["infrastructure_type"],
        record["service_level"],
    )
    return key, JobTotals(
        earliest_end_time=record["end_time"],
        latest_end_time=record["end_time"],
        wall_duration=record["wall_duration"],
        cpu_duration=record["cpu_duration"],
        normalised_wall_units=_nonnegative(record["wall_duration"]) * factor,
        normalised_cpu_units=_nonnegative(record["cpu_duration"]) * factor,
        number_of_jobs=1,
    )


def summary_contribution(record: Record) -> tuple[Key, JobTotals]:
    """A received summary's group (source ``summaries``): its totals, normalised by f.

    As NormaliseSummaries: f * max(total, 0). The summary key equals the group key, so the
    rounding of the group total is APEL's rounding of the row.
    """
    factor = normalisation_units(record["service_level_type"], record["service_level"])
    key = _super_summary_key(
        "summaries",
        record,
        (record["year"], record["month"]),
        record["infrastructure_type"],
        record["service_level"],
    )
    return key, _received_totals(
        record,
        _nonnegative(record["wall_duration"]) * factor,
        _nonnegative(record["cpu_duration"]) * factor,
    )


def normalised_summary_contribution(record: Record) -> tuple[Key, JobTotals]:
    """A received normalised summary's group (source ``normalised``), copied; service level 0."""
    key = _super_summary_key(
        "normalised", record, (record["year"], record["month"]), record["infrastructure"], 0.0
    )
    return key, _received_totals(
        record,
        record["normalised_wall_duration"] * NORMALISED_UNITS,
        record["normalised_cpu_duration"] * NORMALISED_UNITS,
    )


@dataclass(frozen=True, slots=True)
class VmMonthDelta:
    """A stored cloud row and what it adds to its month: counters minus the VM's previous row.

    A ``None`` counter in the row gives a ``None`` delta (APEL's NULL, ignored by SUM); a
    ``None`` counter in the previous row counts as 0.
    """

    record: Record
    wall_delta: int | None
    cpu_delta: int | None
    network_inbound_delta: int | None
    network_outbound_delta: int | None


_CUMULATIVE = (
    ("wall_duration", "wall_delta"),
    ("cpu_duration", "cpu_delta"),
    ("network_inbound", "network_inbound_delta"),
    ("network_outbound", "network_outbound_delta"),
)


def _month_of(record: Record) -> tuple[int, int]:
    return record["measurement_year"], record["measurement_month"]


def vm_month_deltas(rows: Iterable[Record]) -> list[VmMonthDelta]:
    """Per VM-month deltas of one VM's stored rows (SummariseVMs, §2.4), by measurement time.

    Wall, CPU and network counters are cumulative since the VM started, so each row's delta is
    the row minus the VM's previous row, the one with the largest measurement time in an earlier
    month; the first row is taken whole. Memory, disk and CPU count are not cumulative and are
    not touched here. The rows are the stored ones: at most one per VM and month (§1.8).
    """
    ordered = sorted(rows, key=lambda row: row["measurement_time"])
    deltas: list[VmMonthDelta] = []
    previous: Record | None = None
    for row in ordered:
        if previous is not None and _month_of(previous) == _month_of(row):
            year, month = _month_of(row)
            raise ValueError(
                f"vm_uuid {row['vm_uuid']}: two records for {year:04d}-{month:02d}, "
                "a VM has one stored record per month"
            )
        values: dict[str, int | None] = {}
        for counter, delta in _CUMULATIVE:
            current = row[counter]
            before = _or_zero(previous[counter]) if previous is not None else 0
            values[delta] = None if current is None else current - before
        deltas.append(VmMonthDelta(record=row, **values))
        previous = row
    return deltas


def _cloud_key(source: str, record: Record, month: tuple[int, int]) -> Key:
    """A cloud super-summary group's key (:data:`CLOUD_SUPER_SUMMARY_KEY`)."""
    return (
        source,
        record["site_name"],
        record["cloud_compute_service"],
        *month,
        record["global_user_name"],
        record["vo"],
        record["vo_group"],
        record["vo_role"],
        record["status"],
        record["image_id"],
        _null_as_zero(record["cpu_count"]),
        record["benchmark_type"],
        _null_as_zero(record["benchmark"]),
    )


def vm_month_contribution(delta: VmMonthDelta) -> tuple[Key, CloudTotals]:
    """A VM-month's cloud group (source ``records``): its deltas, memory and disk; one VM."""
    record = delta.record
    key = _cloud_key("records", record, (record["measurement_year"], record["measurement_month"]))
    return key, CloudTotals(
        cloud_type=record["cloud_type"],
        earliest_start_time=record["start_time"],
        latest_start_time=record["start_time"],
        wall_duration=_or_zero(delta.wall_delta),
        cpu_duration=_or_zero(delta.cpu_delta),
        network_inbound=_or_zero(delta.network_inbound_delta),
        network_outbound=_or_zero(delta.network_outbound_delta),
        memory=_or_zero(record["memory"]),
        disk=_or_zero(record["disk"]),
        number_of_vms=1,
    )


def cloud_contributions(rows: Iterable[Record]) -> Iterator[tuple[Key, CloudTotals]]:
    """The VM-month contributions of stored cloud rows, VM by VM."""
    by_vm: dict[str, list[Record]] = defaultdict(list)
    for row in rows:
        by_vm[row["vm_uuid"]].append(row)
    for vm_rows in by_vm.values():
        for delta in vm_month_deltas(vm_rows):
            yield vm_month_contribution(delta)


def cloud_summary_contribution(record: Record) -> tuple[Key, CloudTotals]:
    """A received cloud summary's group (source ``received``), copied."""
    key = _cloud_key("received", record, (record["year"], record["month"]))
    return key, CloudTotals(
        cloud_type=record["cloud_type"],
        earliest_start_time=record["earliest_start_time"],
        latest_start_time=record["latest_start_time"],
        wall_duration=_or_zero(record["wall_duration"]),
        cpu_duration=_or_zero(record["cpu_duration"]),
        network_inbound=_or_zero(record["network_inbound"]),
        network_outbound=_or_zero(record["network_outbound"]),
        memory=_or_zero(record["memory"]),
        disk=_or_zero(record["disk"]),
        number_of_vms=record["number_of_vms"],
    )


def accelerator_contribution(record: Record) -> tuple[Key, AcceleratorTotals]:
    """An accelerator record's group and contribution (SummariseAccelerators, §1.11)."""
    key = (
        record["measurement_year"],
        record["measurement_month"],
        record["associated_record_type"],
        record["global_user_name"],
        record["site_name"],
        _null_as_zero(record["cores"]),
        record["type"],
        record["model"],
        _null_as_zero(record["benchmark"]),
        record["benchmark_type"],
    )
    return key, AcceleratorTotals(
        available_duration=_or_zero(record["available_duration"]),
        active_duration=_or_zero(record["active_duration"]),
        number_of_records=1,
    )


def _each(
    contribution: Callable[[Record], tuple[Key, Totals]],
) -> Callable[[Iterable[Record]], Iterator[tuple[Key, Totals]]]:
    def contributions(records: Iterable[Record]) -> Iterator[tuple[Key, Totals]]:
        return (contribution(record) for record in records)

    return contributions


CONTRIBUTIONS: dict[RecordKind, Callable[[Iterable[Record]], Iterator[tuple[Key, Totals]]]] = {
    RecordKind.JOB: _each(job_contribution),
    RecordKind.SUMMARY: _each(summary_contribution),
    RecordKind.NORMALISED_SUMMARY: _each(normalised_summary_contribution),
    RecordKind.CLOUD: cloud_contributions,
    RecordKind.CLOUD_SUMMARY: _each(cloud_summary_contribution),
    RecordKind.ACCELERATOR: _each(accelerator_contribution),
}
"""The record kinds that feed a summary table, each with its contributions function.

Cloud records must be given as all stored rows of their VMs, since a row's contribution
depends on the VM's previous row.
"""

KEY_COLUMNS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.JOB: SUPER_SUMMARY_KEY,
    RecordKind.SUMMARY: SUPER_SUMMARY_KEY,
    RecordKind.NORMALISED_SUMMARY: SUPER_SUMMARY_KEY,
    RecordKind.CLOUD: CLOUD_SUPER_SUMMARY_KEY,
    RecordKind.CLOUD_SUMMARY: CLOUD_SUPER_SUMMARY_KEY,
    RecordKind.ACCELERATOR: ACCELERATOR_SUMMARY_KEY,
}
"""The summary table's key columns, in the order of the key tuples, per record kind."""


def aggregate(kind: RecordKind, records: Iterable[Record]) -> dict[Key, Totals]:
    """The summary groups of ``records``: the rebuild, as APEL's summariser computes them."""
    groups: dict[Key, Totals] = {}
    for key, totals in CONTRIBUTIONS[kind](records):
        known = groups.get(key)
        groups[key] = totals if known is None else known + totals
    return groups


def subtract(minuend: dict[Key, Totals], subtrahend: dict[Key, Totals]) -> dict[Key, Totals]:
    """Per group ``minuend - subtrahend``; groups with nothing to change are left out."""
    result: dict[Key, Totals] = {}
    for key, removed in subtrahend.items():
        added = minuend.get(key)
        if added is None:
            result[key] = -removed
        elif added != removed:
            result[key] = added - removed
    for key, added in minuend.items():
        if key not in subtrahend:
            result[key] = added
    return result


@dataclass(frozen=True, slots=True)
class Changes:
    """What a replacement does to a summary table.

    ``deltas`` are added to the stored groups (additive fields ``+=``, extremes MIN/MAX); a
    group missing from the table starts from :meth:`Totals.zero`. ``stale`` groups lost a record
    whose MIN or MAX the new records do not bring back (or lost every record): after the deltas,
    they are rebuilt from the records (and deleted when no record is left).
    """

    deltas: dict[Key, Totals]
    stale: frozenset[Key]


def changes(kind: RecordKind, old: Sequence[Record], new: Sequence[Record]) -> Changes:
    """The summary changes when the stored records ``old`` are replaced by ``new``.

    ``old`` are the stored rows with the keys of ``new`` (for cloud records: every stored row
    of the VMs concerned, and ``new`` the same VMs' rows after the load).
    """
    removed, added = aggregate(kind, old), aggregate(kind, new)
    stale = frozenset(
        key
        for key, gone in removed.items()
        if key not in added or not added[key].reproduces_extremes_of(gone)
    )
    return Changes(deltas=subtract(added, removed), stale=stale)
