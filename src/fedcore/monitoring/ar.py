"""Availability and reliability (A/R): daily from a timeline, then over periods and supergroups.

**Daily** (reference §8), from the seconds a timeline spends in each state over the day T:
``up = t(OK) + t(WARNING)``, ``unknown = t(unknown role) + t(missing role)``,
``down = t(down role)``; ``A = up / (T - unknown) * 100``, ``R = up / (T - unknown - down) * 100``
and the fractions ``up/T, unknown/T, down/T``. All five are rounded to 5 decimals half-up, as a
decimal rounding of the shortest decimal form of the double (Java's ``BigDecimal.valueOf``); an
undefined A or R (denominator 0) is ``-1``. CRITICAL and ``EXCLUDED`` count as none of the three,
so an all-day ``EXCLUDED`` entity gets A = R = 0 (ARGO's behaviour, kept).

**Monthly and custom periods** (reference §9.1, argo-web-api): the unweighted mean of the daily
fractions of the days stored for the entity, then ``A = avg(up) / (1.00000001 - avg(unknown))
* 100`` and ``R`` likewise with ``avg(down)`` also subtracted. The epsilon is ARGO's: a perfect
month gives 99.99999900000002 and an all-unknown one 0.

**Supergroups** (reference §9.2): per day, the mean of the member endpoint groups' daily A (and
R) weighted by ``weight + 1``, over members whose value is not -1 (None when there are none);
over a period, the plain mean of those daily values, None days left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from fedcore.monitoring.states import UP_STATES
from fedcore.monitoring.timelines import DAY_SECONDS

UNDEFINED = -1.0
EPSILON_ONE = 1.00000001
_PLACES = Decimal("0.00001")


def round_half_up(value: float) -> float:
    """``value`` to 5 decimals, half-up, on its shortest decimal representation."""
    return float(Decimal(repr(value)).quantize(_PLACES, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class DailyAR:
    availability: float
    reliability: float
    up: float
    unknown: float
    down: float


def daily_ar(
    seconds: Mapping[str, int],
    *,
    unknown_states: Iterable[str],
    down_states: Iterable[str],
    day_seconds: int = DAY_SECONDS,
) -> DailyAR:
    """The daily A/R of a timeline that spent ``seconds[state]`` in each state."""
    up = sum(seconds.get(state, 0) for state in UP_STATES)
    unknown = sum(seconds.get(state, 0) for state in set(unknown_states))
    down = sum(seconds.get(state, 0) for state in set(down_states))
    known = day_seconds - unknown
    scheduled = known - down
    return DailyAR(
        availability=round_half_up(up / known * 100) if known else UNDEFINED,
        reliability=round_half_up(up / scheduled * 100) if scheduled else UNDEFINED,
        up=round_half_up(up / day_seconds),
        unknown=round_half_up(unknown / day_seconds),
        down=round_half_up(down / day_seconds),
    )


@dataclass(frozen=True)
class PeriodAR:
    availability: float
    reliability: float
    up: float
    unknown: float
    down: float
    """The mean daily fractions, and A and R from them (unrounded)."""


def period_ar(days: Sequence[DailyAR]) -> PeriodAR:
    """A/R of an entity over the days stored for it (a month, or a custom range)."""
    if not days:
        raise ValueError("period_ar needs at least one day")
    up = sum(day.up for day in days) / len(days)
    unknown = sum(day.unknown for day in days) / len(days)
    down = sum(day.down for day in days) / len(days)
    return PeriodAR(
        availability=up / (EPSILON_ONE - unknown) * 100,
        reliability=up / (EPSILON_ONE - unknown - down) * 100,
        up=up,
        unknown=unknown,
        down=down,
    )


def monthly_ar(days: Mapping[date, DailyAR]) -> dict[str, PeriodAR]:
    """:func:`period_ar` per calendar month ``YYYY-MM`` of the stored days, in date order."""
    months: dict[str, list[DailyAR]] = {}
    for day in sorted(days):
        months.setdefault(day.strftime("%Y-%m"), []).append(days[day])
    return {month: period_ar(values) for month, values in months.items()}


def _weighted(values: Iterable[tuple[float, float]]) -> float | None:
    kept = [(value, weight + 1) for value, weight in values if value >= 0]
    if not kept:
        return None
    return sum(value * weight for value, weight in kept) / sum(weight for _, weight in kept)


def supergroup_daily(
    members: Sequence[tuple[DailyAR, float]],
) -> tuple[float | None, float | None]:
    """A and R of a supergroup on one day from its ``(group daily A/R, weight)`` members."""
    return (
        _weighted((ar.availability, weight) for ar, weight in members),
        _weighted((ar.reliability, weight) for ar, weight in members),
    )


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [value for value in values if value is not None]
    return sum(kept) / len(kept) if kept else None


def supergroup_period(
    days: Sequence[tuple[float | None, float | None]],
) -> tuple[float | None, float | None]:
    """A and R of a supergroup over a period from its daily ``(A, R)`` values."""
    return _mean(a for a, _ in days), _mean(r for _, r in days)
