"""Registry pages under ``/registry/``: lists with the same filters as the REST API, a page per
site, NGI, service, service group, downtime and user (the ``GOCDB_PORTAL_URL`` links of the PI
point here), forms for site administrators and NGI managers, and the downtime feeds.

Pages call the same service functions as the API, so the service layer enforces every rule; a
form or button is only shown to viewers the permission table allows. Forms post with a CSRF
token, redirect after success (post/redirect/get) and, on bad input, show the page again with
the message next to the field and nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.deps import AppSettings, CsrfChecked, CurrentPrincipal, DbSession
from fedcore.core.errors import FedcoreError, Forbidden, NotAuthenticated
from fedcore.core.security import Principal
from fedcore.core.templating import flash, render
from fedcore.registry import feeds
from fedcore.registry import service as registry
from fedcore.registry.enums import (
    CERTIFICATION_TRANSITIONS,
    CertificationStatus,
    Classification,
    EntityType,
    Infrastructure,
    RoleStatus,
    Severity,
)
from fedcore.registry.models import Downtime, Site
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import (
    CertificationStatusChange,
    DowntimeCreate,
    DowntimeFilter,
    NgiFilter,
    RoleFilter,
    ServiceCreate,
    SiteFilter,
)
from fedcore.registry.service import browse

TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 50
PAST_DOWNTIMES_SHOWN = 20
FEED_HISTORY = timedelta(days=31)
ENDPOINT_ROWS = 3
ENTITY_PAGES = {
    EntityType.SITE: "/registry/sites/{}",
    EntityType.NGI: "/registry/ngis/{}",
    EntityType.SERVICE_GROUP: "/registry/service-groups/{}",
}

router = APIRouter()
T = TypeVar("T")
Errors = dict[str, str]


async def _form(request: Request) -> FormData:
    return await request.form()


FormFields = Annotated[FormData, Depends(_form)]


# --- helpers ------------------------------------------------------------------------------------


def colour(value: str) -> str:
    """The page colour of a certification status or a downtime severity."""
    for vocabulary in (CertificationStatus, Severity):
        if value in vocabulary.__members__.values():
            return vocabulary(value).colour
    return "grey"


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return render(request, name, status_code=status_code, colour=colour, **context)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _validation_errors(exc: ValidationError, rename: Callable[[str], str] = str) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        name = rename(".".join(str(p) for p in error["loc"]) or "form")
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = "contains characters or a form that is not allowed here"
        errors.setdefault(name, message)
    return errors


def _attempt(
    session: Session, action: Callable[[], T], rename: Callable[[str], str] = str
) -> tuple[T | None, Errors, int]:
    """Run a change in a savepoint: its result, or the errors by field and an HTTP status with
    nothing changed. Who-may-not errors propagate to the error page (or the sign-in page)."""
    try:
        with session.begin_nested():
            return action(), {}, 200
    except ValidationError as exc:
        return None, _validation_errors(exc, rename), 422
    except (Forbidden, NotAuthenticated):
        raise
    except FedcoreError as exc:
        return None, {rename(exc.field or "form"): exc.detail}, exc.status


def _filter_values(request: Request, model: type[BaseModel]) -> dict[str, str]:
    """The non-empty query parameters named like the filter's fields (a GET form sends blanks)."""
    values = {name: request.query_params.get(name, "").strip() for name in model.model_fields}
    return {name: value for name, value in values.items() if value}


def _parse_filter(model: type[T], values: Mapping[str, Any]) -> tuple[T | None, Errors]:
    try:
        return model.model_validate(values), {}  # type: ignore[attr-defined]
    except ValidationError as exc:
        return None, _validation_errors(exc)


def _next_link(request: Request, cursor: int | None) -> str | None:
    if cursor is None:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    return f"{request.url.path}?{urlencode({**params, 'cursor': cursor})}"


def _first_link(request: Request) -> str | None:
    if "cursor" not in request.query_params:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def _absolute(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def _downtime_link(settings: Settings) -> Callable[[Downtime], str]:
    return lambda d: _absolute(settings, f"/registry/downtimes/{d.id}")


def _allows(session: Session, principal: Principal, action: str, target: Any = None) -> bool:
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


def _transitions(session: Session, principal: Principal, site: Site) -> list[CertificationStatus]:
    """The statuses this viewer may move the site to (operators: any other status)."""
    current = CertificationStatus(site.certification_status)
    if _allows(session, principal, "registry.certification.any_transition"):
        return [s for s in CertificationStatus if s != current]
    return [s for s in CertificationStatus if s in CERTIFICATION_TRANSITIONS[current]]


def _roles_over(
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


# --- overview -----------------------------------------------------------------------------------


@router.get("/")
def overview(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    now = utcnow()
    ongoing = registry.list_downtimes(
        session=session, filter=DowntimeFilter(ongoing_at=now), limit=PAGE_SIZE
    )
    return _page(
        request,
        "registry/overview.html",
        counts=browse.overview_counts(session=session, now=now),
        ongoing=ongoing.items,
        statuses=list(CertificationStatus),
    )


# --- sites --------------------------------------------------------------------------------------


@router.get("/sites/")
def site_list(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    cursor: int | None = None,
) -> Response:
    values = _filter_values(request, SiteFilter)
    site_filter, errors = _parse_filter(SiteFilter, values)
    page = total = None
    if site_filter is not None:
        page = registry.list_sites(
            session=session, filter=site_filter, cursor=cursor, limit=PAGE_SIZE
        )
        total = browse.count_sites(session=session, filter=site_filter)
    return _page(
        request,
        "registry/site_list.html",
        status_code=422 if errors else 200,
        values=values,
        errors=errors,
        sites=page.items if page else [],
        total=total,
        next_link=_next_link(request, page.next_cursor if page else None),
        first_link=_first_link(request),
        ngis=registry.list_ngis(session=session, limit=1000).items,
        countries=browse.list_countries_in_use(session=session),
        scopes=registry.list_scopes(session=session),
        statuses=list(CertificationStatus),
        infrastructures=list(Infrastructure),
    )


def _render_site(
    request: Request,
    session: Session,
    principal: Principal,
    site: Site,
    *,
    status_code: int = 200,
    cert_errors: Errors | None = None,
    cert_values: Mapping[str, str] | None = None,
) -> Response:
    now = utcnow()
    downtimes = browse.list_site_downtimes(session=session, site_id=site.id)
    by_state: dict[str, list[Downtime]] = {"ongoing": [], "future": [], "past": []}
    for downtime in downtimes:
        by_state[downtime_state(downtime, now)].append(downtime)
    return _page(
        request,
        "registry/site.html",
        status_code=status_code,
        site=site,
        ongoing=by_state["ongoing"],
        future=sorted(by_state["future"], key=lambda d: d.start_at),
        past=by_state["past"][:PAST_DOWNTIMES_SHOWN],
        more_past=len(by_state["past"]) > PAST_DOWNTIMES_SHOWN,
        contacts=_roles_over(session, principal, EntityType.SITE, site.id),
        history=registry.list_certification_changes(session=session, site_id=site.id),
        may_add_service=_allows(session, principal, "registry.site.add_service", site),
        may_declare=_allows(session, principal, "registry.downtime.declare", site),
        may_certify=_allows(session, principal, "registry.site.edit_cert_status", site),
        transitions=[(s.value, s.value) for s in _transitions(session, principal, site)],
        cert_errors=cert_errors or {},
        cert_values=cert_values or {},
    )


@router.get("/sites/{site_id}")
def site_page(
    request: Request, site_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    return _render_site(request, session, principal, site)


@router.post("/sites/{site_id}/certification")
def change_certification(
    request: Request,
    site_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    values = {"status": str(form.get("status", "")), "reason": str(form.get("reason", ""))}
    _, errors, status = _attempt(
        session,
        lambda: registry.change_certification_status(
            session=session,
            actor=principal,
            site_id=site.id,
            data=CertificationStatusChange.model_validate(values),
        ),
    )
    if errors:
        return _render_site(
            request,
            session,
            principal,
            site,
            status_code=status,
            cert_errors=errors,
            cert_values=values,
        )
    flash(request, f"{site.short_name} is now {site.certification_status}.")
    return _redirect(f"/registry/sites/{site.id}")


@router.get("/sites/{site_id}/downtimes.ics")
def site_calendar(site_id: int, session: DbSession, settings: AppSettings) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    downtimes = browse.list_site_downtimes(
        session=session, site_id=site.id, ending_after=utcnow() - FEED_HISTORY
    )
    return _calendar(settings, f"Downtimes of {site.short_name}", site.short_name, downtimes)


def _calendar(settings: Settings, name: str, file_stem: str, downtimes: list[Downtime]) -> Response:
    body = feeds.downtime_calendar(
        downtimes,
        name=name,
        host=urlsplit(settings.base_url).hostname or "fedcore",
        link=_downtime_link(settings),
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{file_stem}-downtimes.ics"'},
    )


# --- site forms: add a service, declare a downtime ------------------------------------------------


def _service_form_page(
    request: Request,
    session: Session,
    principal: Principal,
    site: Site,
    *,
    values: Mapping[str, Any],
    errors: Errors,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        "registry/service_form.html",
        status_code=status_code,
        site=site,
        values=values,
        errors=errors,
        service_types=[(t.name, t.name) for t in registry.list_service_types(session=session)],
        scopes=registry.list_scopes(session=session),
        may_apply_reserved=_allows(session, principal, "registry.scope.apply_reserved"),
        endpoint_rows=range(ENDPOINT_ROWS),
    )


@router.get("/sites/{site_id}/services/new")
def service_form(
    request: Request, site_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    permissions.require("registry.site.add_service", session=session, actor=principal, target=site)
    values = {"production": True, "monitored": True, "scopes": [s.name for s in site.scopes]}
    return _service_form_page(request, session, principal, site, values=values, errors={})


ENDPOINT_FIELDS = ("name", "url", "interface_name", "description")
SERVICE_TEXT_FIELDS = (
    "hostname",
    "service_type",
    "description",
    "url",
    "host_dn",
    "host_ip",
    "host_ipv6",
    "host_os",
    "host_arch",
    "email",
)
SERVICE_FLAGS = ("production", "monitored", "beta", "notify")


@router.post("/sites/{site_id}/services")
def add_service(
    request: Request,
    site_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in SERVICE_TEXT_FIELDS}
    values |= {flag: flag in form for flag in SERVICE_FLAGS}
    values["scopes"] = [str(s) for s in form.getlist("scopes")]
    rows: list[int] = []
    endpoints: list[dict[str, Any]] = []
    for i in range(ENDPOINT_ROWS):
        row: dict[str, Any] = {
            f: str(form.get(f"endpoints.{i}.{f}", "")).strip() for f in ENDPOINT_FIELDS
        }
        row["monitored"] = f"endpoints.{i}.monitored" in form
        values |= {f"endpoints.{i}.{f}": v for f, v in row.items()}
        if any(row[f] for f in ENDPOINT_FIELDS):
            rows.append(i)
            endpoints.append(row)

    def rename(name: str) -> str:
        parts = name.split(".")
        if parts[0] == "endpoints" and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(rows[int(parts[1])])
        return ".".join(parts)

    service, errors, status = _attempt(
        session,
        lambda: registry.create_service(
            session=session,
            actor=principal,
            data=ServiceCreate.model_validate(
                {
                    **{k: values[k] for k in (*SERVICE_TEXT_FIELDS, *SERVICE_FLAGS, "scopes")},
                    "site": site.short_name,
                    "endpoints": endpoints,
                }
            ),
        ),
        rename,
    )
    if service is None:
        return _service_form_page(
            request, session, principal, site, values=values, errors=errors, status_code=status
        )
    flash(request, f"Service {service.hostname} ({service.service_type.name}) added.")
    return _redirect(f"/registry/services/{service.id}")


def _downtime_form_page(
    request: Request,
    site: Site,
    *,
    values: Mapping[str, Any],
    errors: Errors,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    return _page(
        request,
        "registry/downtime_form.html",
        status_code=status_code,
        site=site,
        values=values,
        errors=errors,
        now=now,
        severities=list(Severity),
    )


@router.get("/sites/{site_id}/downtimes/new")
def downtime_form(
    request: Request,
    site_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    service: Annotated[list[int] | None, Query()] = None,
) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    permissions.require("registry.downtime.declare", session=session, actor=principal, target=site)
    values = {
        "severity": Severity.OUTAGE,
        "zone": site.timezone,
        "services": [str(i) for i in service or []],
        "endpoints": [],
    }
    return _downtime_form_page(request, site, values=values, errors={})


@router.post("/sites/{site_id}/downtimes")
def declare_downtime(
    request: Request,
    site_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    values: dict[str, Any] = {
        name: str(form.get(name, ""))
        for name in ("severity", "description", "zone", "start", "end")
    }
    values["services"] = [str(v) for v in form.getlist("services")]
    values["endpoints"] = [str(v) for v in form.getlist("endpoints")]
    errors: Errors = {}
    zone = values["zone"] if values["zone"] in {"UTC", site.timezone} else ""
    if not zone:
        errors["zone"] = "choose UTC or the site's time zone"
    times: dict[str, datetime] = {}
    for name in ("start", "end"):
        try:
            times[name] = wall_clock_to_utc(values[name], zone or "UTC")
        except ValueError as exc:
            errors[name] = str(exc)
    own_services = {str(s.id) for s in site.services}
    own_endpoints = {str(e.id) for s in site.services for e in s.endpoints}
    if not set(values["services"]) <= own_services:
        errors["services"] = "choose services of this site"
    if not set(values["endpoints"]) <= own_endpoints:
        errors["endpoints"] = "choose endpoints of this site's services"
    if not errors:
        data = {
            "severity": values["severity"],
            "description": values["description"],
            "services": values["services"],
            "endpoints": values["endpoints"],
            **times,
        }
        downtime, errors, status = _attempt(
            session,
            lambda: registry.create_downtime(
                session=session, actor=principal, data=DowntimeCreate.model_validate(data)
            ),
        )
        if downtime is not None:
            flash(
                request,
                f"Downtime {downtime.primary_key} declared ({downtime.classification}).",
            )
            return _redirect(f"/registry/downtimes/{downtime.id}")
    else:
        status = 422
    return _downtime_form_page(request, site, values=values, errors=errors, status_code=status)


# --- NGIs ---------------------------------------------------------------------------------------


@router.get("/ngis/")
def ngi_list(
    request: Request, session: DbSession, principal: CurrentPrincipal, cursor: int | None = None
) -> Response:
    values = _filter_values(request, NgiFilter)
    ngi_filter, errors = _parse_filter(NgiFilter, values)
    page = registry.list_ngis(session=session, filter=ngi_filter, cursor=cursor, limit=PAGE_SIZE)
    return _page(
        request,
        "registry/ngi_list.html",
        values=values,
        errors=errors,
        ngis=page.items,
        next_link=_next_link(request, page.next_cursor),
        first_link=_first_link(request),
    )


@router.get("/ngis/{ngi_id}")
def ngi_page(
    request: Request, ngi_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    ngi = registry.get_ngi(session=session, ngi_id=ngi_id)
    now = utcnow()
    downtimes = browse.list_ngi_downtimes(session=session, ngi_id=ngi.id, ending_after=now)
    return _page(
        request,
        "registry/ngi.html",
        ngi=ngi,
        downtimes=sorted(downtimes, key=lambda d: d.start_at),
        now=now,
        roles=_roles_over(session, principal, EntityType.NGI, ngi.id),
    )


@router.get("/ngis/{ngi_id}/downtimes.ics")
def ngi_calendar(ngi_id: int, session: DbSession, settings: AppSettings) -> Response:
    ngi = registry.get_ngi(session=session, ngi_id=ngi_id)
    downtimes = browse.list_ngi_downtimes(
        session=session, ngi_id=ngi.id, ending_after=utcnow() - FEED_HISTORY
    )
    return _calendar(settings, f"Downtimes of the sites of {ngi.name}", ngi.name, downtimes)


# --- services and service groups ----------------------------------------------------------------


@router.get("/services/{service_id}")
def service_page(
    request: Request, service_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    service = registry.get_service(session=session, service_id=service_id)
    return _page(
        request,
        "registry/service.html",
        service=service,
        downtimes=browse.list_service_downtimes(session=session, service_id=service.id),
        groups=browse.list_service_groups_of(session=session, service_id=service.id),
        now=utcnow(),
        may_declare=_allows(session, principal, "registry.downtime.declare", service.site),
    )


@router.get("/service-groups/")
def service_group_list(
    request: Request, session: DbSession, principal: CurrentPrincipal, cursor: int | None = None
) -> Response:
    page = registry.list_service_groups(session=session, cursor=cursor, limit=PAGE_SIZE)
    return _page(
        request,
        "registry/service_group_list.html",
        groups=page.items,
        next_link=_next_link(request, page.next_cursor),
        first_link=_first_link(request),
    )


@router.get("/service-groups/{service_group_id}")
def service_group_page(
    request: Request, service_group_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    group = registry.get_service_group(session=session, service_group_id=service_group_id)
    return _page(
        request,
        "registry/service_group.html",
        group=group,
        roles=_roles_over(session, principal, EntityType.SERVICE_GROUP, group.id),
    )


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
        for k, v in _filter_values(request, DowntimeFilter).items()
        if k in ("site", "ngi", "severity", "classification")
    }
    errors: Errors = {}
    if when not in WHEN:
        errors["when"] = f"choose one of: {', '.join(WHEN)}"
    window = {"upcoming": {"window_start": now}, "ongoing": {"ongoing_at": now}}.get(when, {})
    downtime_filter, filter_errors = _parse_filter(DowntimeFilter, {**values, **window})
    errors |= filter_errors
    page = None
    if downtime_filter is not None and not errors:
        page = registry.list_downtimes(
            session=session, filter=downtime_filter, cursor=cursor, limit=PAGE_SIZE
        )
    return _page(
        request,
        "registry/downtime_list.html",
        status_code=422 if errors else 200,
        values={**values, "when": when},
        errors=errors,
        downtimes=page.items if page else [],
        next_link=_next_link(request, page.next_cursor if page else None),
        first_link=_first_link(request),
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
    return _page(
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
        feed_url=_absolute(settings, f"/registry/downtimes/broadcast.atom{query}"),
        page_url=_absolute(settings, f"/registry/downtimes/broadcast{query}"),
        link=_downtime_link(settings),
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
    may = _allows(session, principal, "registry.downtime.declare", downtime.site)
    endpoints_of: dict[int, list[Any]] = {}
    for endpoint in downtime.endpoints:
        endpoints_of.setdefault(endpoint.service_id, []).append(endpoint)
    return _page(
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
def end_downtime(
    request: Request,
    downtime_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
) -> Response:
    downtime = registry.get_downtime(session=session, downtime_id=downtime_id)
    _, errors, status = _attempt(
        session,
        lambda: registry.end_downtime(session=session, actor=principal, downtime_id=downtime.id),
    )
    if errors:
        return _render_downtime(
            request, session, principal, downtime, errors=errors, status_code=status
        )
    flash(request, f"Downtime {downtime.primary_key} ends within a minute.")
    return _redirect(f"/registry/downtimes/{downtime.id}")


@router.post("/downtimes/{downtime_id}/delete")
def delete_downtime(
    request: Request,
    downtime_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
) -> Response:
    downtime = registry.get_downtime(session=session, downtime_id=downtime_id)
    site_id, key = downtime.site_id, downtime.primary_key
    _, errors, status = _attempt(
        session,
        lambda: registry.delete_downtime(session=session, actor=principal, downtime_id=downtime.id),
    )
    if errors:
        return _render_downtime(
            request, session, principal, downtime, errors=errors, status_code=status
        )
    flash(request, f"Downtime {key} deleted.")
    return _redirect(f"/registry/sites/{site_id}")


# --- users --------------------------------------------------------------------------------------


@router.get("/users/{user_id}")
def user_page(
    request: Request, user_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user = registry.read_user(session=session, actor=principal, user_id=user_id)
    roles = [
        (role, registry.entity_name(session, role.entity_type, role.entity_id))
        for role in registry.list_roles(session=session, subject=user.subject)
    ]
    return _page(request, "registry/user.html", user=user, roles=roles, entity_pages=ENTITY_PAGES)
