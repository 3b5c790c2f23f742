"""A report's recomputations (``/monitoring/reports/{report}/recomputations``): the list with
their status, the request form (anyone signed in), and the operators' approve and reject buttons
(``service.DECISIONS``; the computation job then runs an approved one and marks it done),
through the same service functions as the REST API."""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.forms import Errors, Posted
from fedcore.core.security import Principal
from fedcore.core.templating import render
from fedcore.monitoring import service
from fedcore.monitoring.enums import RecomputationStatus
from fedcore.monitoring.models import Recomputation
from fedcore.monitoring.schemas import RecomputationCreate, RecomputationDecision
from fedcore.monitoring.views.editing import form_field, may_write, parse_json

router = APIRouter()

ACTIONS = {RecomputationStatus.APPROVED: "Approve", RecomputationStatus.REJECTED: "Reject"}
COLOURS = {
    RecomputationStatus.PENDING: "amber",
    RecomputationStatus.APPROVED: "green",
    RecomputationStatus.REJECTED: "red",
    RecomputationStatus.RUNNING: "blue",
    RecomputationStatus.DONE: "grey",
}
SELECTIONS = ("exclude_monitoring_source", "exclude_metrics", "applied_status_changes")
WALL_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


def recomputations_path(report: str) -> str:
    return f"/monitoring/reports/{quote(report)}/recomputations"


def utc_text(text: str) -> str:
    """A time from a ``datetime-local`` input (no zone) read as UTC."""
    return f"{text}Z" if WALL_CLOCK.fullmatch(text) else text


def _render(
    request: Request,
    session: Session,
    principal: Principal,
    report: str,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    decision_errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    found = service.get_report(session=session, name=report)
    rows = service.list_recomputations(session=session, report=found.name)
    return render(
        request,
        "monitoring/recomputations.html",
        status_code=status_code,
        report=found,
        recomputations=[service.shown_document(row, principal) for row in reversed(rows)],
        next_steps=service.DECISIONS,
        actions=ACTIONS,
        colours=COLOURS,
        may_decide=may_write(session, principal, "monitoring.recomputation.write"),
        may_request=may_write(session, principal, "monitoring.recomputation.request"),
        values=values or {selection: "[]" for selection in SELECTIONS},
        errors=errors or {},
        decision_errors=decision_errors or {},
    )


@router.get("/reports/{report}/recomputations")
def recomputation_list(
    request: Request, report: str, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _render(request, session, principal, report)


@router.post("/reports/{report}/recomputations")
def recomputation_request(post: Posted, report: str) -> Response:
    values = post.texts(
        "start_time",
        "end_time",
        "reason",
        "requester_name",
        "requester_email",
        "exclude",
        *SELECTIONS,
    )

    def change() -> Recomputation:
        selections: dict[str, Any] = {
            name: parse_json(values[name] or "[]", name) for name in SELECTIONS
        }
        data = RecomputationCreate.model_validate(
            {
                "report": report,
                "start_time": utc_text(values["start_time"]),
                "end_time": utc_text(values["end_time"]),
                "reason": values["reason"],
                "requester_name": values["requester_name"],
                "requester_email": values["requester_email"],
                "exclude": values["exclude"].replace(",", " ").split(),
                **selections,
            }
        )
        return service.create_recomputation(session=post.session, actor=post.principal, data=data)

    return post.submit(
        change,
        again=partial(_render, post.request, post.session, post.principal, report, values=values),
        done=lambda row: (
            f"Recomputation {row.uuid} is requested; it is pending until an operator approves it.",
            recomputations_path(row.report.name),
        ),
        fields=form_field(),
    )


@router.post("/recomputations/{recomputation_id}/status")
def recomputation_decide(post: Posted, recomputation_id: str) -> Response:
    row = service.get_recomputation(session=post.session, recomputation_id=recomputation_id)
    report = row.report.name
    status = post.text("status")
    return post.submit(
        lambda: service.decide_recomputation(
            session=post.session,
            actor=post.principal,
            recomputation_id=recomputation_id,
            data=RecomputationDecision.model_validate({"status": status}),
        ),
        again=lambda errors, status_code: _render(
            post.request,
            post.session,
            post.principal,
            report,
            decision_errors=errors,
            status_code=status_code,
        ),
        done=lambda changed: (
            f"Recomputation {changed.uuid} is {changed.status}.",
            recomputations_path(report),
        ),
        fields=form_field(),
    )
