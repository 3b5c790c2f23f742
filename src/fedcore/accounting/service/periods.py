"""Periods of months as the accounting reads take them: ``from`` and ``to`` as ``YYYY-MM``,
both included, either open. Months are parsed by the report arithmetic
(:func:`fedcore.accounting.reports.parse_month`); a bad one is refused naming its parameter."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, tuple_

from fedcore.accounting.reports import Month, QueryError, parse_month
from fedcore.core.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Period:
    """Months from ``first`` to ``last`` inclusive, as (year, month); ``None`` is open."""

    first: Month | None
    last: Month | None


def _month(field: str, value: str | None) -> Month | None:
    if value is None:
        return None
    try:
        return parse_month(field, value)
    except QueryError as exc:
        raise ValidationFailed(exc.reason, field=exc.field) from None


def parse_period(from_month: str | None, to_month: str | None) -> Period:
    """The period ``from_month``..``to_month``; :class:`ValidationFailed` names ``from`` or
    ``to`` for a month not written ``YYYY-MM``, and ``from`` when it is after ``to``."""
    period = Period(_month("from", from_month), _month("to", to_month))
    if period.first and period.last and period.first > period.last:
        raise ValidationFailed(f"{from_month} is after {to_month}", field="from")
    return period


def in_period(
    year: ColumnElement[int], month: ColumnElement[int], period: Period
) -> list[ColumnElement[bool]]:
    """The conditions that put a (year, month) pair of columns inside ``period``."""
    conditions = []
    if period.first:
        conditions.append(tuple_(year, month) >= tuple_(*period.first))
    if period.last:
        conditions.append(tuple_(year, month) <= tuple_(*period.last))
    return conditions
