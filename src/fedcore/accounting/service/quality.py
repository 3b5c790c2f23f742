"""Data quality (docs/accounting.md, "REST API"): what in the stored records and messages needs
an operator's eye.

* records whose site the registry does not know (loaded by operators, e.g. from a history);
* records naming a VO the AAI does not know (``'None'``, no VO, is not counted);
* site-months whose jobs arrived by more than one route (jobs, summaries, normalised
  summaries): reports count them once, APEL would silently overwrite one with the other (§2.4);
* summary groups still dirty (the ``accounting.summarise-dirty`` job has not run yet);
* messages rejected over the last 30 days, per publisher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from fedcore.aai.service import vos as aai_vos
from fedcore.accounting.enums import MessageStatus
from fedcore.accounting.formats.records import SITE_COLUMN, RecordKind
from fedcore.accounting.models import (
    RECORD_TABLES,
    AcceleratorSummary,
    CloudSuperSummary,
    Message,
    SuperSummary,
)
from fedcore.accounting.permissions import permissions
from fedcore.core.db import utcnow
from fedcore.core.security import Principal
from fedcore.registry.service import browse as registry_browse

REJECTED_WINDOW = timedelta(days=30)
"""How far back rejected messages are counted."""


@dataclass(frozen=True, slots=True)
class UnknownName:
    """A site or VO name that records of one kind carry and the registry or AAI does not know."""

    kind: RecordKind
    name: str
    records: int


@dataclass(frozen=True, slots=True)
class MixedRoutes:
    """A site-month whose jobs came by more than one route (super-summary sources)."""

    site: str
    year: int
    month: int
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DataQuality:
    unknown_sites: list[UnknownName]
    unknown_vos: list[UnknownName]
    mixed_routes: list[MixedRoutes]
    dirty_groups: int
    rejected_messages: dict[str, int]


def data_quality(*, session: Session, actor: Principal) -> DataQuality:
    """The data-quality findings over every stored record (operators)."""
    permissions.require("accounting.data_quality.read", session=session, actor=actor)
    sites = set(registry_browse.list_site_names(session=session))
    known_vos = {vo.name for vo in aai_vos.list_vos(session=session, include_hidden=True)}
    known_vos.add("None")
    return DataQuality(
        unknown_sites=_unknown(session, lambda kind: SITE_COLUMN[kind], sites),
        unknown_vos=_unknown(session, lambda _kind: "vo", known_vos),
        mixed_routes=_mixed_routes(session),
        dirty_groups=_dirty_groups(session),
        rejected_messages=_rejected_messages(session),
    )


def _unknown(
    session: Session, column_of: Callable[[RecordKind], str], known: set[str]
) -> list[UnknownName]:
    found: list[UnknownName] = []
    for kind, model in RECORD_TABLES.items():
        table: Table = model.__table__  # type: ignore[assignment]
        name = column_of(kind)
        if name not in table.c:
            continue
        column = table.c[name]
        query = select(column, func.count()).group_by(column).order_by(column)
        found.extend(
            UnknownName(kind, value, count)
            for value, count in session.execute(query)
            if value not in known
        )
    return found


def _mixed_routes(session: Session) -> list[MixedRoutes]:
    month = (SuperSummary.site, SuperSummary.year, SuperSummary.month)
    mixed = (
        select(*month)
        .group_by(*month)
        .having(func.count(SuperSummary.source.distinct()) > 1)
        .subquery()
    )
    query = (
        select(*month, SuperSummary.source)
        .join(
            mixed,
            (mixed.c.site == SuperSummary.site)
            & (mixed.c.year == SuperSummary.year)
            & (mixed.c.month == SuperSummary.month),
        )
        .distinct()
        .order_by(*month, SuperSummary.source)
    )
    routes: dict[tuple[str, int, int], list[str]] = {}
    for site, year, month_number, source in session.execute(query):
        routes.setdefault((site, year, month_number), []).append(source)
    return [MixedRoutes(*where, tuple(sources)) for where, sources in routes.items()]


def _dirty_groups(session: Session) -> int:
    return sum(
        session.scalar(select(func.count()).select_from(model).where(model.dirty.is_(True))) or 0
        for model in (SuperSummary, CloudSuperSummary, AcceleratorSummary)
    )


def _rejected_messages(session: Session) -> dict[str, int]:
    query = (
        select(Message.publisher, func.count())
        .where(
            Message.status == MessageStatus.REJECTED,
            Message.last_received_at >= utcnow() - REJECTED_WINDOW,
        )
        .group_by(Message.publisher)
        .order_by(Message.publisher)
    )
    return {publisher: count for publisher, count in session.execute(query)}


__all__ = ["REJECTED_WINDOW", "DataQuality", "MixedRoutes", "UnknownName", "data_quality"]
