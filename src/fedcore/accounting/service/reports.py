"""The §3 pivot reports read from the database (docs/accounting.md, "Reports", "Visibility").

Jobs, clouds and accelerators are read from their summary tables only, storage and public IPs
from their record tables (small: one row per volume, or per user, IP version and month). One
GROUP BY per report, by the row column, year and month, restricted to the period through the
tables' (year, month) indexes; :mod:`fedcore.accounting.reports` shapes the sums. NGI and
country come from the registry's current site map.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from sqlalchemy import ColumnElement, and_, extract, func, or_, select, tuple_
from sqlalchemy.orm import Session

from fedcore.accounting.models import (
    AcceleratorSummary,
    CloudSuperSummary,
    PublicIpRecord,
    StorageRecord,
    SuperSummary,
)
from fedcore.accounting.permissions import UserRows, permissions
from fedcore.accounting.reports import (
    DIMENSION_COLUMNS,
    SOURCE_PRECEDENCE,
    UNKNOWN_COUNTRY,
    UNKNOWN_NGI,
    Dimension,
    Family,
    Month,
    QueryError,
    Report,
    ReportQuery,
    Sums,
    parse_month,
    parse_query,
    period_ending,
    pivot,
    site_regions,
)
from fedcore.core.db import utcnow
from fedcore.core.errors import Forbidden, ValidationFailed
from fedcore.core.security import Principal
from fedcore.registry import service as registry_service


@dataclass(frozen=True, slots=True)
class _Table:
    model: Any
    year: Any
    month: Any


_TABLES: dict[Family, _Table] = {
    Family.JOBS: _Table(SuperSummary, SuperSummary.year, SuperSummary.month),
    Family.CLOUD: _Table(CloudSuperSummary, CloudSuperSummary.year, CloudSuperSummary.month),
    Family.ACCELERATOR: _Table(
        AcceleratorSummary, AcceleratorSummary.year, AcceleratorSummary.month
    ),
    Family.STORAGE: _Table(
        StorageRecord,
        extract("year", StorageRecord.end_time),
        extract("month", StorageRecord.end_time),
    ),
    Family.PUBLIC_IP: _Table(
        PublicIpRecord, PublicIpRecord.measurement_year, PublicIpRecord.measurement_month
    ),
}


def query_from(
    *,
    metric: str,
    rows: str,
    columns: str,
    start: str | None,
    end: str | None,
    filters: Mapping[str, str | None],
) -> ReportQuery:
    """The checked query of a request's parameters; a bad one is 422 naming the parameter.
    Without ``to`` the period ends this month (UTC); without ``from`` it is the twelve months
    up to ``to``."""
    try:
        first, last = period_ending(parse_month("to", end) if end else this_month())
        return parse_query(
            metric=metric,
            rows=rows,
            columns=columns,
            start=start or first,
            end=end or last,
            filters=filters,
        )
    except QueryError as error:
        raise ValidationFailed(error.reason, field=error.field) from None


def this_month() -> Month:
    """The current month (UTC)."""
    now = utcnow()
    return now.year, now.month


def own_dns(session: Session, actor: Principal) -> set[str]:
    """The user names a signed-in caller's rows carry: the subject, and the certificate DN the
    registry holds for the subject."""
    if not actor.is_authenticated:
        return set()
    user = registry_service.get_user_by_subject(session=session, subject=actor.subject)
    return {actor.subject} | ({user.certdn} if user is not None and user.certdn else set())


def check_visible(session: Session, actor: Principal, query: ReportQuery) -> None:
    """Per-user answers are personal data: operators see all; a VO's managers with ``vo=``
    their VO, a site's administrators with ``site=`` their site, and anyone signed in with
    ``user=`` one of their own names. The filter that grants it also narrows the answer."""
    if not query.per_user:
        return
    if query.filters.get(Dimension.USER) in own_dns(session, actor):
        return
    target = UserRows(site=query.filters.get(Dimension.SITE), vo=query.filters.get(Dimension.VO))
    if permissions.allows(
        "accounting.report.read_users", session=session, actor=actor, target=target
    ):
        return
    field = "rows" if query.rows is Dimension.USER else "user"
    who = actor.subject or "an anonymous caller"
    raise Forbidden(
        f"{who} may not read per-user accounting: ask with vo= a VO you manage, site= a site "
        "you administer, or user= your own name",
        field=field,
    )


def _in_period(table: _Table, query: ReportQuery) -> ColumnElement[bool]:
    (first_year, first_month), (last_year, last_month) = query.start, query.end
    return and_(
        table.year.between(first_year, last_year),
        or_(table.year > first_year, table.month >= first_month),
        or_(table.year < last_year, table.month <= last_month),
    )


def _site_filter(
    column: Any, dimension: Dimension, value: str, regions: Mapping[str, tuple[str, str]]
) -> ColumnElement[bool]:
    if dimension is Dimension.SITE:
        return column == value  # type: ignore[no-any-return]
    if value == (UNKNOWN_NGI if dimension is Dimension.NGI else UNKNOWN_COUNTRY):
        return column.not_in(list(regions))  # type: ignore[no-any-return]
    sites = [site for site in regions if site_regions(site, regions, dimension) == value]
    return column.in_(sites)  # type: ignore[no-any-return]


def _conditions(
    table: _Table, query: ReportQuery, regions: Mapping[str, tuple[str, str]]
) -> list[ColumnElement[bool]]:
    family = query.metric.family
    conditions = [_in_period(table, query)]
    for dimension, value in query.filters.items():
        column = getattr(table.model, DIMENSION_COLUMNS[family][dimension])
        if dimension in (Dimension.SITE, Dimension.NGI, Dimension.COUNTRY):
            conditions.append(_site_filter(column, dimension, value, regions))
        else:
            conditions.append(column == value)
    return conditions


def _outranked(
    session: Session, table: _Table, query: ReportQuery, precedence: Sequence[str]
) -> list[tuple[str, str, int, int]]:
    """The (source, site, year, month) of the period whose site-month also has a source of
    higher precedence: those rows do not count (docs/accounting.md, "Data model").

    Found over the whole period, before any filter, which must not change the winner. Sites
    mostly send one route, so this reads the few rows of the lower routes and the top route's
    presence for their site-months only, and the report itself stays one plain GROUP BY.
    """
    model = table.model
    site = model.site if query.metric.family is Family.JOBS else model.site_name
    period = _in_period(table, query)
    present: dict[tuple[str, int, int], set[str]] = {}
    lower = select(model.source, site, model.year, model.month).where(
        period, model.source != precedence[0]
    )
    for source, name, year, month in session.execute(lower.distinct()):
        present.setdefault((name, year, month), set()).add(source)
    if not present:
        return []
    top = select(site, model.year, model.month).where(
        period, model.source == precedence[0], site.in_(sorted({key[0] for key in present}))
    )
    for name, year, month in session.execute(top.distinct()):
        if (name, year, month) in present:
            present[name, year, month].add(precedence[0])
    rank = {source: index for index, source in enumerate(precedence)}
    outranked: list[tuple[str, str, int, int]] = []
    for (name, year, month), sources in present.items():
        best = min(sources, key=lambda source: rank.get(source, len(rank)))
        outranked.extend((source, name, year, month) for source in sources if source != best)
    return outranked


def _groups(
    session: Session, query: ReportQuery, regions: Mapping[str, tuple[str, str]]
) -> Iterator[tuple[str, Month, Sums]]:
    family = query.metric.family
    table = _TABLES[family]
    model = table.model
    row = getattr(model, DIMENSION_COLUMNS[family][query.rows])
    sums = [
        func.sum(reduce(operator.mul, [getattr(model, name) for name in part]))
        for part in query.metric.parts
    ]
    stmt = (
        select(row, table.year, table.month, *sums)
        .where(*_conditions(table, query, regions))
        .group_by(row, table.year, table.month)
    )
    precedence = SOURCE_PRECEDENCE.get(family)
    if precedence is not None:
        outranked = _outranked(session, table, query, precedence)
        if outranked:
            site = model.site if family is Family.JOBS else model.site_name
            key = tuple_(model.source, site, model.year, model.month)
            stmt = stmt.where(key.not_in(outranked))
    regional = query.rows in (Dimension.NGI, Dimension.COUNTRY)
    for value, year, month, *parts in session.execute(stmt):
        label = site_regions(value, regions, query.rows) if regional else value
        yield label, (int(year), int(month)), tuple(int(p or 0) for p in parts)


def report(*, session: Session, actor: Principal, query: ReportQuery) -> Report:
    """The pivot of ``query``; per-user answers only for those who may see them."""
    check_visible(session, actor, query)
    regions = registry_service.site_ngi_countries(session=session)
    return Report(query, pivot(query, _groups(session, query, regions)))
