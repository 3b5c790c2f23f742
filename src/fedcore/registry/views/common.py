"""What every registry page module shares: rendering with the status colours, list filters
and paging links, absolute links, and turning a time typed on a site's wall clock into UTC (form
handling is :mod:`fedcore.core.forms`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.config import Settings
from fedcore.core.forms import Errors, validation_errors
from fedcore.core.security import Principal
from fedcore.core.templating import render
from fedcore.registry import feeds
from fedcore.registry import service as registry
from fedcore.registry.enums import CertificationStatus, EntityType, RoleStatus, Severity
from fedcore.registry.models import Downtime
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import RoleFilter

PAGE_SIZE = 50
FEED_HISTORY = timedelta(days=31)

M = TypeVar("M", bound=BaseModel)


def colour(value: str) -> str:
    """The page colour of a certification status or a downtime severity."""
    for vocabulary in (CertificationStatus, Severity):
        if value in vocabulary.__members__.values():
            return vocabulary(value).colour
    return "grey"


def render_page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return render(request, name, status_code=status_code, colour=colour, **context)


def filter_values(request: Request, model: type[BaseModel]) -> dict[str, str]:
    """The non-empty query parameters named like the filter's fields (a GET form sends blanks)."""
    values = {name: request.query_params.get(name, "").strip() for name in model.model_fields}
    return {name: value for name, value in values.items() if value}


def parse_filter(model: type[M], values: Mapping[str, Any]) -> tuple[M | None, Errors]:
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        return None, validation_errors(exc)


def next_link(request: Request, cursor: int | None) -> str | None:
    if cursor is None:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    return f"{request.url.path}?{urlencode({**params, 'cursor': cursor})}"


def first_link(request: Request) -> str | None:
    if "cursor" not in request.query_params:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def absolute(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def downtime_link(settings: Settings) -> Callable[[Downtime], str]:
    return lambda d: absolute(settings, f"/registry/downtimes/{d.id}")


def allows(session: Session, principal: Principal, action: str, target: Any = None) -> bool:
    return permissions.allows(action, session=session, actor=principal, target=target)


def downtime_state(downtime: Downtime, now: datetime) -> str:
    if downtime.end_at <= now:
        return "past"
    return "ongoing" if downtime.start_at <= now else "future"


def wall_clock_to_utc(text: str, zone_name: str) -> datetime:
    """A time typed on a wall clock of ``zone_name`` as UTC; ValueError (with a message for
    people) when it is malformed, or skipped or repeated by a daylight-saving change."""
    text = text.strip()
    if not text:
        raise ValueError("enter a date and time")
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("enter a date and time as YYYY-MM-DD HH:MM") from None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    zone = ZoneInfo(zone_name)
    earlier, later = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        shown = f"{naive:%Y-%m-%d %H:%M}"
        if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise ValueError(
                f"{shown} does not exist in {zone_name}: the clocks go forward at that time"
            )
        raise ValueError(
            f"{shown} happens twice in {zone_name} (the clocks go back); enter the time in UTC"
        )
    return earlier.astimezone(UTC)


def roles_over(
    session: Session, principal: Principal, entity_type: EntityType, entity_id: int
) -> list[Any] | None:
    """Granted roles over an entity, or None when the viewer may not read personal data."""
    if not registry.can_read_personal_data(session=session, actor=principal):
        return None
    page = registry.page_roles(
        session=session,
        actor=principal,
        filter=RoleFilter(entity_type=entity_type, entity_id=entity_id, status=RoleStatus.GRANTED),
        limit=PAGE_SIZE,
    )
    return list(page.items)


def calendar_response(
    settings: Settings, name: str, file_stem: str, downtimes: list[Downtime]
) -> Response:
    body = feeds.downtime_calendar(
        downtimes,
        name=name,
        host=urlsplit(settings.base_url).hostname or "fedcore",
        link=downtime_link(settings),
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{file_stem}-downtimes.ics"'},
    )
