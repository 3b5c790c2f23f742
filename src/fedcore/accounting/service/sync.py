"""Sync status (reference §1.7): what a site says it holds against what the federation received.

A sync record gives the number of jobs a site's own database holds per submit host and month.
It is compared on read with Σ ``number_of_jobs`` of the super-summary's ``jobs`` groups of the
same site, submit host and month (the individual job records received), nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from fedcore.accounting.enums import SummarySource
from fedcore.accounting.models import SuperSummary, SyncRecord
from fedcore.accounting.permissions import permissions
from fedcore.accounting.service.periods import in_period, parse_period
from fedcore.core.errors import NotAuthenticated
from fedcore.core.security import Principal

OK = "ok"
MISSING = "missing"
EXCESS = "excess"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """One sync record against the jobs received: ``gap`` = ``sync_count - received``, and
    ``status`` ``ok`` (no gap), ``missing`` (jobs not received) or ``excess`` (more received
    than the site counts)."""

    site: str
    submit_host: str
    year: int
    month: int
    sync_count: int
    received: int
    gap: int
    status: str


def _period(year: Any, month: Any, from_month: str | None, to_month: str | None) -> list[Any]:
    return in_period(year, month, parse_period(from_month, to_month))


def sync_status(
    *,
    session: Session,
    actor: Principal,
    site: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
) -> list[SyncStatus]:
    """Every sync record of ``site`` (or of every site the actor may read) in the months
    ``from_month``..``to_month`` (``YYYY-MM``, both included), by site, submit host and month.

    Operators and the administrators of a site read its status; with no ``site`` given, a
    site administrator gets the sites they administer.
    """
    if not actor.is_authenticated:
        raise NotAuthenticated("accounting.sync.read needs an authenticated caller")
    if site is not None:
        permissions.require("accounting.sync.read", session=session, actor=actor, target=site)
    period = _period(SyncRecord.year, SyncRecord.month, from_month, to_month)
    query = select(SyncRecord).where(*period)
    if site is not None:
        query = query.where(SyncRecord.site == site)
    records = list(session.scalars(query))
    if not actor.is_admin and site is None:
        readable = {
            name
            for name in {record.site for record in records}
            if permissions.allows("accounting.sync.read", session=session, actor=actor, target=name)
        }
        records = [record for record in records if record.site in readable]
    received = _received(session, {record.site for record in records}, from_month, to_month)
    statuses = []
    for record in records:
        count = record.number_of_jobs or 0
        got = received.get((record.site, record.submit_host, record.year, record.month), 0)
        gap = count - got
        status = OK if gap == 0 else MISSING if gap > 0 else EXCESS
        statuses.append(
            SyncStatus(
                record.site, record.submit_host, record.year, record.month, count, got, gap, status
            )
        )
    return sorted(statuses, key=lambda s: (s.site, s.submit_host, s.year, s.month))


def _received(
    session: Session, sites: set[str], from_month: str | None, to_month: str | None
) -> dict[tuple[str, str, int, int], int]:
    if not sites:
        return {}
    columns = (SuperSummary.site, SuperSummary.submit_host, SuperSummary.year, SuperSummary.month)
    query = (
        select(*columns, func.sum(SuperSummary.number_of_jobs))
        .where(
            and_(
                SuperSummary.source == SummarySource.JOBS,
                SuperSummary.site.in_(sorted(sites)),
                *_period(SuperSummary.year, SuperSummary.month, from_month, to_month),
            )
        )
        .group_by(*columns)
    )
    return {(s, h, y, m): int(total) for s, h, y, m, total in session.execute(query)}


__all__ = ["EXCESS", "MISSING", "OK", "SyncStatus", "sync_status"]
