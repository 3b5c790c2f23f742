"""Downtime pages: the filtered list, the broadcast list of new declarations with its Atom
feed, a downtime's page, and ending or deleting one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.db import utcnow
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.forms import Errors, Posted
from fedcore.core.security import Principal
from fedcore.registry import feeds
from fedcore.registry import service as registry
from fedcore.registry.enums import Classification, Severity
from fedcore.registry.models import Downtime
from fedcore.registry.schemas import DowntimeFilter
from fedcore.registry.service import browse
from fedcore.registry.views.common import (
    PAGE_SIZE,
    absolute,
    allows,
    downtime_link,
    downtime_state,
    filter_values,
    first_link,
    next_link,
    parse_filter,
    render_page,
)

router = APIRouter()

# --- downtimes ----------------------------------------------------------------------------------

WHEN = {
    "upcoming": "ongoing and future",
    "ongoing": "ongoing now",
    "all": "all, including past",
}


@router.get("/downtimes/")
def downtime_list(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    when: str = "upcoming",
    cursor: int | None = None,
) -> Response:
    now = utcnow()
    values: dict[str, Any] = {
        k: v
        for k, v in filter_values(request, DowntimeFilter).items()
        if k in ("site", "ngi", "severity", "classification")
    }
    errors: Errors = {}
    if when not in WHEN:
        errors["when"] = f"choose one of: {', '.join(WHEN)}"
    window = {"upcoming": {"window_start": now}, "ongoing": {"ongoing_at": now}}.get(when, {})
    downtime_filter, filter_errors = parse_filter(DowntimeFilter, {**values, **window})
    errors |= filter_errors
    page = None
    if downtime_filter is not None and not errors:
        page = registry.list_downtimes(
            session=session, filter=downtime_filter, cursor=cursor, limit=PAGE_SIZE
        )
    return render_page(
        request,
        "registry/downtime_list.html",
        status_code=422 if errors else 200,
        values={**values, "when": when},
        errors=errors,
        downtimes=page.items if page else [],
        next_link=next_link(request, page.next_cursor if page else None),
        first_link=first_link(request),
        now=now,
        when_choices=list(WHEN.items()),
        site_names=browse.list_site_names(session=session),
        ngis=registry.list_ngis(session=session, limit=1000).items,
        severities=list(Severity),
        classifications=list(Classification),
    )


def _recent(session: Session, days: int) -> tuple[list[Downtime], datetime]:
    now = utcnow()
    return registry.list_recent_downtimes(session=session, since=now - timedelta(days=days)), now


BroadcastDays = Annotated[int, Query(ge=1, le=31, description="declared in the last N days")]


@router.get("/downtimes/broadcast")
def broadcast(
    request: Request, session: DbSession, principal: CurrentPrincipal, days: BroadcastDays = 1
) -> Response:
    downtimes, now = _recent(session, days)
    return render_page(
        request,
        "registry/broadcast.html",
        downtimes=sorted(downtimes, key=lambda d: (d.inserted_at, d.id), reverse=True),
        days=days,
        now=now,
    )


@router.get("/downtimes/broadcast.atom")
def broadcast_feed(session: DbSession, settings: AppSettings, days: BroadcastDays = 1) -> Response:
    downtimes, now = _recent(session, days)
    query = f"?days={days}" if days != 1 else ""
    body = feeds.downtime_atom(
        downtimes,
        title=f"Downtimes declared in the last {days} day{'s' if days > 1 else ''}",
        feed_url=absolute(settings, f"/registry/downtimes/broadcast.atom{query}"),
        page_url=absolute(settings, f"/registry/downtimes/broadcast{query}"),
        link=downtime_link(settings),
        updated=now,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _render_downtime(
    request: Request,
    session: Session,
    principal: Principal,
    downtime: Downtime,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    state = downtime_state(downtime, now)
    may = allows(session, principal, "registry.downtime.declare", downtime.site)
    endpoints_of: dict[int, list[Any]] = {}
    for endpoint in downtime.endpoints:
        endpoints_of.setdefault(endpoint.service_id, []).append(endpoint)
    return render_page(
        request,
        "registry/downtime.html",
        status_code=status_code,
        downtime=downtime,
        state=state,
        endpoints_of=endpoints_of,
        may_end=may and state == "ongoing",
        may_delete=may and browse.downtime_deletable(downtime, now),
        show_declarer=registry.can_read_personal_data(session=session, actor=principal),
        errors=errors or {},
    )


@router.get("/downtimes/{downtime_id}")
def downtime_page(
    request: Request, downtime_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    downtime = registry.get_downtime(session=session, downtime_id=downtime_id)
    return _render_downtime(request, session, principal, downtime)


@router.post("/downtimes/{downtime_id}/end")
def end_downtime(post: Posted, downtime_id: int) -> Response:
    downtime = registry.get_downtime(session=post.session, downtime_id=downtime_id)
    return post.submit(
        lambda: registry.end_downtime(
            session=post.session, actor=post.principal, downtime_id=downtime.id
        ),
        again=partial(_render_downtime, post.request, post.session, post.principal, downtime),
        done=lambda _: (
            f"Downtime {downtime.primary_key} ends within a minute.",
            f"/registry/downtimes/{downtime.id}",
        ),
    )


@router.post("/downtimes/{downtime_id}/delete")
def delete_downtime(post: Posted, downtime_id: int) -> Response:
    downtime = registry.get_downtime(session=post.session, downtime_id=downtime_id)
    site_id, key = downtime.site_id, downtime.primary_key
    return post.submit(
        lambda: registry.delete_downtime(
            session=post.session, actor=post.principal, downtime_id=downtime.id
        ),
        again=partial(_render_downtime, post.request, post.session, post.principal, downtime),
        done=lambda _: (f"Downtime {key} deleted.", f"/registry/sites/{site_id}"),
    )
