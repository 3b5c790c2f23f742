"""The accounting portal's pivot reports (reference §3): metrics, dimensions, periods, shaping.

A report is a metric over a row dimension and a column dimension for a range of months. The
database side groups one table family by (row value, year, month) and sums the metric's *parts*,
the summary columns (or products of columns) named here; this module turns those per-month
parts into the pivot: cells, row totals, column totals and the grand total.

* **Parts are summed, values are derived.** A ratio (``cpu_efficiency`` = Σcpu / Σ(elapsed *
  processors) * 100) is computed from the summed parts of the cell or total, never averaged
  over cells, so a total is the metric of everything it covers.
* **Stocks** (``public_ips``: the IPs held in a month) add up over rows within a month and take
  the busiest month over time; every other metric is a flow and adds up over months too.
  Storage is summed: each volume is stored once, as its latest snapshot, in the month of its
  end time (reference §1.10).
* **Routes** (docs/accounting.md, "Data model"): a site-month with summary rows from more than
  one source counts once, from the source of highest precedence (:data:`SOURCE_PRECEDENCE`):
  job records before received normalised summaries before received summaries, and cloud
  records before received cloud summaries.

This module is pure: it imports only the standard library and the summary arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from fedcore.accounting.summaries import NORMALISED_UNITS

UNKNOWN_NGI = "unknown NGI"
UNKNOWN_COUNTRY = "unknown country"

SECONDS_PER_HOUR = 3600
BYTES_PER_GB = 10**9

JOB_SOURCE_PRECEDENCE = ("jobs", "normalised", "summaries")
"""The super-summary sources, first wins, for a site-month that has more than one."""
CLOUD_SOURCE_PRECEDENCE = ("records", "received")
"""The cloud super-summary sources, first wins, for a site-month that has both."""


class QueryError(ValueError):
    """A report query that cannot be answered; ``field`` names the parameter at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Family(StrEnum):
    """The table a metric is read from: a summary table, or a small record table."""

    JOBS = "jobs"  # accounting_super_summary
    CLOUD = "cloud"  # accounting_cloud_super_summary
    ACCELERATOR = "accelerator"  # accounting_accelerator_summary
    STORAGE = "storage"  # accounting_storage (records: one row per volume)
    PUBLIC_IP = "public_ip"  # accounting_public_ip (records: one row per user, version, month)


SOURCE_PRECEDENCE: dict[Family, tuple[str, ...]] = {
    Family.JOBS: JOB_SOURCE_PRECEDENCE,
    Family.CLOUD: CLOUD_SOURCE_PRECEDENCE,
}
"""The summary families fed by more than one route, with their sources in precedence."""


class Unit(StrEnum):
    HOURS = "h"
    HS06_HOURS = "HS06·h"
    PERCENT = "%"
    COUNT = "count"
    GB = "GB"


class Dimension(StrEnum):
    """What a report's rows are."""

    SITE = "site"
    NGI = "ngi"
    COUNTRY = "country"
    VO = "vo"
    VO_GROUP = "vo_group"
    VO_ROLE = "vo_role"
    USER = "user"
    SUBMIT_HOST = "submit_host"
    INFRASTRUCTURE = "infrastructure"


class Columns(StrEnum):
    """What a report's columns are: months, quarters or years."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


Part = tuple[str, ...]
"""A summed quantity: the product of these columns of a row (one column: the column itself)."""


@dataclass(frozen=True, slots=True)
class Metric:
    """A §3 metric: its table family, the parts it sums, its unit and how parts give a value.

    ``scale`` divides the first part (seconds to hours, bytes to GB); with two parts the value
    is ``100 * first / second`` (a percentage), None when the second is 0.
    """

    name: str
    family: Family
    parts: tuple[Part, ...]
    unit: Unit
    scale: float = 1
    stock: bool = False
    description: str = ""

    def value(self, sums: tuple[float, ...]) -> float | None:
        if len(self.parts) == 2:
            return 100 * sums[0] / sums[1] if sums[1] else None
        return sums[0] / self.scale if self.scale != 1 else sums[0]


_HOUR_UNITS = SECONDS_PER_HOUR * NORMALISED_UNITS

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("number_of_jobs", Family.JOBS, (("number_of_jobs",),), Unit.COUNT),
        Metric("sum_cpu", Family.JOBS, (("cpu_duration",),), Unit.HOURS, SECONDS_PER_HOUR),
        Metric("sum_elapsed", Family.JOBS, (("wall_duration",),), Unit.HOURS, SECONDS_PER_HOUR),
        Metric(
            "normalized_sum_cpu",
            Family.JOBS,
            (("normalised_cpu_units",),),
            Unit.HS06_HOURS,
            _HOUR_UNITS,
            description="exact sums of CPU time * benchmark, before rounding per group",
        ),
        Metric(
            "normalized_sum_elapsed",
            Family.JOBS,
            (("normalised_wall_units",),),
            Unit.HS06_HOURS,
            _HOUR_UNITS,
            description="exact sums of wall time * benchmark, before rounding per group",
        ),
        Metric(
            "sum_elapsed_times_processors",
            Family.JOBS,
            (("wall_duration", "processors"),),
            Unit.HOURS,
            SECONDS_PER_HOUR,
        ),
        Metric(
            "cpu_efficiency",
            Family.JOBS,
            (("cpu_duration",), ("wall_duration", "processors")),
            Unit.PERCENT,
            description="Σ CPU time / Σ (wall time * processors) * 100",
        ),
        Metric(
            "number_of_vms",
            Family.CLOUD,
            (("number_of_vms",),),
            Unit.COUNT,
            description="VMs active in each month, summed over months (VM-months)",
        ),
        Metric("vm_elapsed", Family.CLOUD, (("wall_duration",),), Unit.HOURS, SECONDS_PER_HOUR),
        Metric("vm_cpu", Family.CLOUD, (("cpu_duration",),), Unit.HOURS, SECONDS_PER_HOUR),
        Metric(
            "storage_used",
            Family.STORAGE,
            (("resource_capacity_used",),),
            Unit.GB,
            BYTES_PER_GB,
        ),
        Metric(
            "storage_allocated",
            Family.STORAGE,
            (("resource_capacity_allocated",),),
            Unit.GB,
            BYTES_PER_GB,
        ),
        Metric(
            "gpu_hours",
            Family.ACCELERATOR,
            (("active_duration",),),
            Unit.HOURS,
            SECONDS_PER_HOUR,
            description="accelerators' active time",
        ),
        Metric(
            "public_ips",
            Family.PUBLIC_IP,
            (("ip_count",),),
            Unit.COUNT,
            stock=True,
            description="IPs held; over several months, the busiest month",
        ),
    )
}

# The column of each row dimension (and filter) in each family's table; NGI and country are
# read through the site. A dimension a family does not record is missing from its map.
_SITE_DIMENSIONS = (Dimension.SITE, Dimension.NGI, Dimension.COUNTRY)
DIMENSION_COLUMNS: dict[Family, dict[Dimension, str]] = {
    Family.JOBS: {
        **dict.fromkeys(_SITE_DIMENSIONS, "site"),
        Dimension.VO: "vo",
        Dimension.VO_GROUP: "vo_group",
        Dimension.VO_ROLE: "vo_role",
        Dimension.USER: "global_user_name",
        Dimension.SUBMIT_HOST: "submit_host",
        Dimension.INFRASTRUCTURE: "infrastructure",
    },
    Family.CLOUD: {
        **dict.fromkeys(_SITE_DIMENSIONS, "site_name"),
        Dimension.VO: "vo",
        Dimension.VO_GROUP: "vo_group",
        Dimension.VO_ROLE: "vo_role",
        Dimension.USER: "global_user_name",
    },
    Family.ACCELERATOR: {
        **dict.fromkeys(_SITE_DIMENSIONS, "site_name"),
        Dimension.USER: "global_user_name",
    },
    Family.STORAGE: {
        **dict.fromkeys(_SITE_DIMENSIONS, "site"),
        Dimension.VO: "group_name",
        Dimension.VO_GROUP: "sub_group",
        Dimension.VO_ROLE: "role",
        Dimension.USER: "user_identity",
    },
    Family.PUBLIC_IP: {
        **dict.fromkeys(_SITE_DIMENSIONS, "site_name"),
        Dimension.VO: "vo",
        Dimension.VO_GROUP: "vo_group",
        Dimension.VO_ROLE: "vo_role",
        Dimension.USER: "global_user_name",
    },
}

FILTERS = ("site", "ngi", "country", "vo", "infrastructure", "user")
"""The filter parameters, each named as the dimension it narrows."""

Month = tuple[int, int]
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A checked query: metric, rows, columns, months ``start``..``end`` and the filters."""

    metric: Metric
    rows: Dimension
    columns: Columns
    start: Month
    end: Month
    filters: Mapping[Dimension, str] = field(default_factory=dict)

    @property
    def per_user(self) -> bool:
        """Whether the answer shows users (personal data): user rows or a user filter."""
        return self.rows is Dimension.USER or Dimension.USER in self.filters


def _choice(kind: type[E], field_name: str, value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise QueryError(field_name, f"{value!r} is not one of {allowed}") from None


def parse_month(field_name: str, value: str) -> Month:
    """``YYYY-MM`` as (year, month)."""
    year, dash, month = value.partition("-")
    if not (dash and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
        raise QueryError(field_name, f"{value!r} is not a month written YYYY-MM")
    if not 1 <= int(month) <= 12:
        raise QueryError(field_name, f"{value!r}: month {month} is not between 01 and 12")
    return int(year), int(month)


def parse_query(
    *,
    metric: str,
    rows: str,
    columns: str,
    start: str,
    end: str,
    filters: Mapping[str, str | None],
) -> ReportQuery:
    """Check a query's parameters; the first problem raises :class:`QueryError` naming it.

    ``start`` and ``end`` are the parameters ``from`` and ``to``; a filter of None or "" is
    absent.
    """
    if metric not in METRICS:
        raise QueryError("metric", f"{metric!r} is not one of {', '.join(METRICS)}")
    chosen = METRICS[metric]
    row_dimension = _choice(Dimension, "rows", rows)
    known = DIMENSION_COLUMNS[chosen.family]
    if row_dimension not in known:
        raise QueryError("rows", f"{metric} is not recorded per {row_dimension}")
    column_dimension = _choice(Columns, "columns", columns)
    first, last = parse_month("from", start), parse_month("to", end)
    if first > last:
        raise QueryError("from", f"{start} is after to={end}")
    given: dict[Dimension, str] = {}
    for name, value in filters.items():
        if name not in FILTERS:
            raise QueryError(name, f"not a filter; the filters are {', '.join(FILTERS)}")
        if not value:
            continue
        dimension = Dimension(name)
        if dimension not in known:
            raise QueryError(name, f"{metric} is not recorded per {name}")
        given[dimension] = value
    return ReportQuery(chosen, row_dimension, column_dimension, first, last, given)


def period_ending(last: Month, count: int = 12) -> tuple[str, str]:
    """The ``count`` months up to ``last`` (included) as ``from`` and ``to``, ``YYYY-MM``."""
    first = last[0] * 12 + last[1] - count
    return f"{first // 12:04d}-{first % 12 + 1:02d}", f"{last[0]:04d}-{last[1]:02d}"


def months(start: Month, end: Month) -> list[Month]:
    """Every month from ``start`` to ``end``, both included."""
    first = start[0] * 12 + start[1] - 1
    last = end[0] * 12 + end[1] - 1
    return [(index // 12, index % 12 + 1) for index in range(first, last + 1)]


def column_label(columns: Columns, month: Month) -> str:
    year, number = month
    if columns is Columns.YEAR:
        return f"{year:04d}"
    if columns is Columns.QUARTER:
        return f"{year:04d}-Q{(number - 1) // 3 + 1}"
    return f"{year:04d}-{number:02d}"


def site_regions(site: str, regions: Mapping[str, tuple[str, str]], dimension: Dimension) -> str:
    """A site's row under ``dimension`` (site, ngi or country), unknown sites named so."""
    if dimension is Dimension.NGI:
        return regions[site][0] if site in regions else UNKNOWN_NGI
    if dimension is Dimension.COUNTRY:
        return regions[site][1] if site in regions else UNKNOWN_COUNTRY
    return site


Sums = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Pivot:
    """The answer: row and column labels, ``cells[row][column]`` (None where nothing was
    recorded), totals per row and per column, and the grand total, in the metric's unit."""

    rows: list[str]
    columns: list[str]
    cells: list[list[float | None]]
    row_totals: list[float | None]
    column_totals: list[float | None]
    total: float | None


def _add(a: Sums | None, b: Sums) -> Sums:
    return b if a is None else tuple(x + y for x, y in zip(a, b, strict=True))


DECIMALS = 3
"""Decimals a report's values keep (a thousandth of an hour is 3.6 s)."""


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _combine(metric: Metric, per_month: Mapping[Month, Sums]) -> float | None:
    """The value of parts given per month: summed (flows), or the busiest month (stocks);
    rounded to :data:`DECIMALS`."""
    if not per_month:
        return None
    if metric.stock:
        values = [metric.value(sums) for sums in per_month.values()]
        return _rounded(max((v for v in values if v is not None), default=None))
    total: Sums | None = None
    for sums in per_month.values():
        total = _add(total, sums)
    assert total is not None
    return _rounded(metric.value(total))


def pivot(query: ReportQuery, groups: Iterable[tuple[str, Month, Sums]]) -> Pivot:
    """Shape per-(row, month) sums into the pivot, rows by total (largest first, then name).

    ``groups`` may name a (row, month) more than once (sites merged into an NGI): their parts
    add up. Columns are every month, quarter or year of the period, recorded or not.
    """
    metric = query.metric
    period = months(query.start, query.end)
    labels = list(dict.fromkeys(column_label(query.columns, m) for m in period))
    cell: dict[tuple[str, str], dict[Month, Sums]] = defaultdict(dict)
    by_row: dict[str, dict[Month, Sums]] = defaultdict(dict)
    by_column: dict[str, dict[Month, Sums]] = defaultdict(dict)
    everything: dict[Month, Sums] = {}
    for row, month, sums in groups:
        column = column_label(query.columns, month)
        for target in (cell[row, column], by_row[row], by_column[column], everything):
            target[month] = _add(target.get(month), sums)
    row_totals = {row: _combine(metric, per_month) for row, per_month in by_row.items()}
    ordered = sorted(row_totals, key=lambda row: (-(row_totals[row] or 0), row))
    return Pivot(
        rows=ordered,
        columns=labels,
        cells=[[_combine(metric, cell.get((row, c), {})) for c in labels] for row in ordered],
        row_totals=[row_totals[row] for row in ordered],
        column_totals=[_combine(metric, by_column.get(c, {})) for c in labels],
        total=_combine(metric, everything),
    )


@dataclass(frozen=True, slots=True)
class Report:
    """A query with its answer."""

    query: ReportQuery
    pivot: Pivot

    @property
    def period(self) -> tuple[str, str]:
        """The first and last month, as ``YYYY-MM``."""
        return column_label(Columns.MONTH, self.query.start), column_label(
            Columns.MONTH, self.query.end
        )
