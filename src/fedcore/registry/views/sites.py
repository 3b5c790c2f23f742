"""Site pages: the filtered site list, a site's page with its downtimes, services, contacts and
certification history, and the forms of site administrators (add a service, declare a
downtime) and NGI managers (change the certification status); the site's iCalendar feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.db import utcnow
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.forms import Errors, Posted
from fedcore.core.security import Principal
from fedcore.registry import service as registry
from fedcore.registry.enums import (
    CERTIFICATION_TRANSITIONS,
    CertificationStatus,
    EntityType,
    Infrastructure,
    Severity,
)
from fedcore.registry.models import Downtime, Site
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import (
    CertificationStatusChange,
    DowntimeCreate,
    ServiceCreate,
    SiteFilter,
)
from fedcore.registry.service import browse
from fedcore.registry.views.common import (
    FEED_HISTORY,
    PAGE_SIZE,
    allows,
    calendar_response,
    downtime_state,
    filter_values,
    first_link,
    next_link,
    parse_filter,
    render_page,
    roles_over,
    wall_clock_to_utc,
)

PAST_DOWNTIMES_SHOWN = 20
ENDPOINT_ROWS = 3

router = APIRouter()


def _transitions(session: Session, principal: Principal, site: Site) -> list[CertificationStatus]:
    """The statuses this viewer may move the site to (operators: any other status)."""
    current = CertificationStatus(site.certification_status)
    if allows(session, principal, "registry.certification.any_transition"):
        return [s for s in CertificationStatus if s != current]
    return [s for s in CertificationStatus if s in CERTIFICATION_TRANSITIONS[current]]


# --- sites --------------------------------------------------------------------------------------


@router.get("/sites/")
def site_list(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    cursor: int | None = None,
) -> Response:
    values = filter_values(request, SiteFilter)
    site_filter, errors = parse_filter(SiteFilter, values)
    page = total = None
    if site_filter is not None:
        page = registry.list_sites(
            session=session, filter=site_filter, cursor=cursor, limit=PAGE_SIZE
        )
        total = browse.count_sites(session=session, filter=site_filter)
    return render_page(
        request,
        "registry/site_list.html",
        status_code=422 if errors else 200,
        values=values,
        errors=errors,
        sites=page.items if page else [],
        total=total,
        next_link=next_link(request, page.next_cursor if page else None),
        first_link=first_link(request),
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
    return render_page(
        request,
        "registry/site.html",
        status_code=status_code,
        site=site,
        ongoing=by_state["ongoing"],
        future=sorted(by_state["future"], key=lambda d: d.start_at),
        past=by_state["past"][:PAST_DOWNTIMES_SHOWN],
        more_past=len(by_state["past"]) > PAST_DOWNTIMES_SHOWN,
        contacts=roles_over(session, principal, EntityType.SITE, site.id),
        history=registry.list_certification_changes(session=session, site_id=site.id),
        may_add_service=allows(session, principal, "registry.site.add_service", site),
        may_declare=allows(session, principal, "registry.downtime.declare", site),
        may_certify=allows(session, principal, "registry.site.edit_cert_status", site),
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
def change_certification(post: Posted, site_id: int) -> Response:
    site = registry.get_site(session=post.session, site_id=site_id)
    values = post.values("status", "reason")
    return post.submit(
        lambda: registry.change_certification_status(
            session=post.session,
            actor=post.principal,
            site_id=site.id,
            data=CertificationStatusChange.model_validate(values),
        ),
        again=lambda errors, status_code: _render_site(
            post.request,
            post.session,
            post.principal,
            site,
            status_code=status_code,
            cert_errors=errors,
            cert_values=values,
        ),
        done=lambda _: (
            f"{site.short_name} is now {site.certification_status}.",
            f"/registry/sites/{site.id}",
        ),
    )


@router.get("/sites/{site_id}/downtimes.ics")
def site_calendar(site_id: int, session: DbSession, settings: AppSettings) -> Response:
    site = registry.get_site(session=session, site_id=site_id)
    downtimes = browse.list_site_downtimes(
        session=session, site_id=site.id, ending_after=utcnow() - FEED_HISTORY
    )
    return calendar_response(
        settings, f"Downtimes of {site.short_name}", site.short_name, downtimes
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
    return render_page(
        request,
        "registry/service_form.html",
        status_code=status_code,
        site=site,
        values=values,
        errors=errors,
        service_types=[(t.name, t.name) for t in registry.list_service_types(session=session)],
        scopes=registry.list_scopes(session=session),
        may_apply_reserved=allows(session, principal, "registry.scope.apply_reserved"),
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
def add_service(post: Posted, site_id: int) -> Response:
    site = registry.get_site(session=post.session, site_id=site_id)
    form = post.form
    values: dict[str, Any] = {**post.values(*SERVICE_TEXT_FIELDS)}
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

    return post.submit(
        lambda: registry.create_service(
            session=post.session,
            actor=post.principal,
            data=ServiceCreate.model_validate(
                {
                    **{k: values[k] for k in (*SERVICE_TEXT_FIELDS, *SERVICE_FLAGS, "scopes")},
                    "site": site.short_name,
                    "endpoints": endpoints,
                }
            ),
        ),
        again=partial(
            _service_form_page, post.request, post.session, post.principal, site, values=values
        ),
        done=lambda service: (
            f"Service {service.hostname} ({service.service_type.name}) added.",
            f"/registry/services/{service.id}",
        ),
        fields=rename,
    )


def _downtime_form_page(
    request: Request,
    site: Site,
    *,
    values: Mapping[str, Any],
    errors: Errors,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    return render_page(
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
def declare_downtime(post: Posted, site_id: int) -> Response:
    site = registry.get_site(session=post.session, site_id=site_id)
    values: dict[str, Any] = {**post.values("severity", "description", "zone", "start", "end")}
    values["services"] = [str(v) for v in post.form.getlist("services")]
    values["endpoints"] = [str(v) for v in post.form.getlist("endpoints")]
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
    if errors:
        return _downtime_form_page(
            post.request, site, values=values, errors=errors, status_code=422
        )
    data = {
        "severity": values["severity"],
        "description": values["description"],
        "services": values["services"],
        "endpoints": values["endpoints"],
        **times,
    }
    return post.submit(
        lambda: registry.create_downtime(
            session=post.session, actor=post.principal, data=DowntimeCreate.model_validate(data)
        ),
        again=partial(_downtime_form_page, post.request, site, values=values),
        done=lambda downtime: (
            f"Downtime {downtime.primary_key} declared ({downtime.classification}).",
            f"/registry/downtimes/{downtime.id}",
        ),
    )
