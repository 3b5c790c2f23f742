"""Recomputations (reference §5.2): corrections of a report's period, with ARGO's workflow.

Anyone signed in requests one (``pending``); an operator approves or rejects it
(:data:`DECISIONS`); the computation job then recomputes every past day it touches
(``running``) and marks it ``done`` (:func:`computation.apply_approved`). Approved, running and
done recomputations apply whenever a day they touch is computed; pending and rejected ones
never. Rejecting or deleting an applied one (approved, running or done) computes again, in the
same transaction, every day it touches that fedcore computed (:func:`computation.touched_days`,
today up to now included): they are few, and the change is then visible at once, as the
operator's decision is; a day that cannot be computed refuses the decision. Their documents
are argo-web-api recomputation objects; one is stored only if the engine loads it with the
report's operations profile (states named in ``applied_status_changes`` must be declared there,
or ``EXCLUDED``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.db import isoformat_z, utcnow
from fedcore.core.errors import NotFound, RuleViolation, ValidationFailed
from fedcore.core.security import Principal
from fedcore.monitoring.enums import ProfileKind, RecomputationStatus
from fedcore.monitoring.models import Recomputation
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.recomputations import load_recomputations
from fedcore.monitoring.schemas import RecomputationCreate, RecomputationDecision
from fedcore.monitoring.service.profiles import profile_on
from fedcore.monitoring.service.reports import get_report, profile_names, report_on
from fedcore.monitoring.states import InputError, load_operations_profile

SELECTIONS = ("exclude", "exclude_monitoring_source", "exclude_metrics", "applied_status_changes")

DECISIONS: dict[str, tuple[RecomputationStatus, ...]] = {
    RecomputationStatus.PENDING: (RecomputationStatus.APPROVED, RecomputationStatus.REJECTED),
    RecomputationStatus.APPROVED: (RecomputationStatus.REJECTED,),
    RecomputationStatus.RUNNING: (RecomputationStatus.REJECTED,),
    RecomputationStatus.DONE: (RecomputationStatus.REJECTED,),
}
"""What an operator may move a recomputation to, by its status (``running`` and ``done`` are
the computation's)."""

APPLIED = (RecomputationStatus.APPROVED, RecomputationStatus.RUNNING, RecomputationStatus.DONE)
"""The statuses of a recomputation that changes the days it touches when they are computed."""


def argo_document(row: Recomputation) -> dict[str, Any]:
    """The recomputation as argo-web-api shows it (the engine reads this shape too)."""
    return {
        "id": row.uuid,
        "report": row.report.name,
        "start_time": isoformat_z(row.start_time),
        "end_time": isoformat_z(row.end_time),
        "reason": row.reason,
        "requester_name": row.requester_name,
        "requester_email": row.requester_email,
        "status": row.status,
        "timestamp": isoformat_z(row.created_at),
        **{key: row.document.get(key, []) for key in SELECTIONS},
    }


def shown_document(row: Recomputation, viewer: Principal) -> dict[str, Any]:
    """:func:`argo_document` as ``viewer`` may see it: the requester's e-mail address only for
    operators and the requester (empty for everyone else)."""
    document = argo_document(row)
    if not (viewer.is_admin or (viewer.is_authenticated and viewer.subject == row.requested_by)):
        document["requester_email"] = ""
    return document


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed("a time zone is required (use Z for UTC)", field=field)
    return value.astimezone(UTC).replace(microsecond=0)


def create_recomputation(
    *, session: Session, actor: Principal, data: RecomputationCreate
) -> Recomputation:
    permissions.require("monitoring.recomputation.request", session=session, actor=actor)
    start = _utc(data.start_time, "start_time")
    end = _utc(data.end_time, "end_time")
    if end < start:
        raise ValidationFailed("before start_time", field="end_time")
    current = report_on(session=session, name=data.report, day=start.date())
    operations = profile_on(
        session=session,
        kind=ProfileKind.OPERATIONS,
        name=profile_names(current.version.document)[ProfileKind.OPERATIONS],
        day=start.date(),
    )
    row = Recomputation(
        uuid=str(uuid.uuid4()),
        report=current.report,
        start_time=start,
        end_time=end,
        reason=data.reason,
        requester_name=data.requester_name,
        requester_email=data.requester_email,
        requested_by=actor.subject,
        status="pending",
        created_at=utcnow(),
        updated_at=utcnow(),
        document=data.model_dump(mode="json", include=set(SELECTIONS)),
    )
    try:
        load_recomputations(
            [{**argo_document(row), "status": "approved"}],
            load_operations_profile(operations.version.document),
        )
    except InputError as exc:
        field, _, reason = str(exc).partition(": ")
        raise ValidationFailed(reason, field=field.removeprefix("recomputations[0].")) from None
    session.add(row)
    session.flush()
    return row


def list_recomputations(*, session: Session, report: str | None = None) -> list[Recomputation]:
    stmt = select(Recomputation).order_by(Recomputation.id)
    if report is not None:
        stmt = stmt.where(Recomputation.report_id == get_report(session=session, name=report).id)
    return list(session.scalars(stmt))


def get_recomputation(*, session: Session, recomputation_id: str) -> Recomputation:
    row = session.scalar(select(Recomputation).where(Recomputation.uuid == recomputation_id))
    if row is None:
        raise NotFound(f"no recomputation {recomputation_id!r}", field="id")
    return row


def _applied_days(session: Session, row: Recomputation) -> list[date]:
    """The computed days ``row`` changed (none unless it is applied), to compute again once it
    is rejected or deleted."""
    from fedcore.monitoring.service import computation  # it reads recomputations: no cycle

    if row.status not in APPLIED:
        return []
    return computation.touched_days(session=session, recomputation=row, last=utcnow().date())


def _compute_again(session: Session, report: str, days: list[date]) -> None:
    from fedcore.monitoring.service import computation  # it reads recomputations: no cycle

    session.flush()
    now = utcnow()
    for day in days:
        computation.compute(session=session, report=report, day=day, now=now)


def decide_recomputation(
    *, session: Session, actor: Principal, recomputation_id: str, data: RecomputationDecision
) -> Recomputation:
    """An operator's decision (:data:`DECISIONS`); an approved recomputation is applied by the
    next run of the computation job (or ``fedcore monitoring compute`` per day), a rejected one
    that was applied is taken back from its days at once."""
    permissions.require("monitoring.recomputation.write", session=session, actor=actor)
    row = get_recomputation(session=session, recomputation_id=recomputation_id)
    allowed = DECISIONS.get(row.status, ())
    if data.status not in allowed:
        choices = " or ".join(allowed) if allowed else "nothing (it is decided)"
        raise RuleViolation(
            f"a {row.status} recomputation can become {choices}, not {data.status}",
            field="status",
        )
    days = _applied_days(session, row) if data.status == RecomputationStatus.REJECTED else []
    row.status = data.status
    row.updated_at = utcnow()
    _compute_again(session, row.report.name, days)
    return row


def delete_recomputation(*, session: Session, actor: Principal, recomputation_id: str) -> None:
    """Delete a recomputation; one that was applied is taken back from its days at once."""
    permissions.require("monitoring.recomputation.write", session=session, actor=actor)
    row = get_recomputation(session=session, recomputation_id=recomputation_id)
    days = _applied_days(session, row)
    report = row.report.name
    session.delete(row)
    _compute_again(session, report, days)
