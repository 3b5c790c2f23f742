"""GOCDB read Programmatic Interface at ``/gocdbpi/public/`` and ``/gocdbpi/private/``
(GOCDB ``htdocs/PI/index.php``; reference/registry.md §2).

``?method=<name>&<params>`` answers GOCDB's XML. Both paths serve every method; what a caller
may read depends on its credential (a fedcore bearer token): level 1 methods are public,
level 2 need any valid credential, level 3 a registered registry user or a site API credential,
and personal data (contacts, users) a role holder, an operator or a site API credential.

Errors keep GOCDB's bodies: an unknown method is answered in plain text, bad parameters with
``<error>…</error>`` and HTTP 200 (clients detect errors by content, as with GOCDB); missing
authorisation with ``<error>`` and HTTP 403. A forged, expired or revoked token is refused with
401 before any method runs, as on every fedcore route.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import Response

from fedcore.core.db import utcnow
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.registry.compat import pi_render as render
from fedcore.registry.compat.pi_request import Call, PiError
from fedcore.registry.compat.pi_xml import PageLinks, error_document
from fedcore.registry.service import pi
from fedcore.registry.service.pi import PiAccess

router = APIRouter()

XML = "application/xml; charset=UTF-8"
FORBIDDEN_IN_VALUES = frozenset("\"'`")


# --- the methods -------------------------------------------------------------------------------------


def _site_query(call: Call) -> pi.SiteQuery:
    return pi.SiteQuery(
        sitename=call.text("sitename"),
        roc=call.text("roc"),
        country=call.text("country"),
        certification_status=call.text("certification_status"),
        exclude_certification_status=call.text("exclude_certification_status"),
        production_status=call.text("production_status"),
        scope=call.scope(),
        extensions=call.extensions("extensions"),
        roletype=call.text("roletype"),
    )


def get_site(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_sites(session=call.session, query=_site_query(call), paging=paging)
    return render.render_sites(listing, call.ctx)


def get_site_list(call: Call) -> str:
    listing = pi.pi_sites(session=call.session, query=_site_query(call), details=False)
    return render.render_site_list(listing, call.ctx)


def get_site_security_info(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_sites(
        session=call.session, query=_site_query(call), paging=paging, details=False
    )
    return render.render_site_security_info(listing, call.ctx)


def get_site_contacts(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_site_contacts(session=call.session, query=_site_query(call), paging=paging)
    return render.render_site_contacts(listing, call.ctx)


def get_site_count_per_country(call: Call) -> str:
    counts = pi.pi_site_count_per_country(
        session=call.session,
        certification_status=call.text("certification_status"),
        production_status=call.text("production_status"),
        scope=call.scope(default=False),
    )
    return render.render_site_count_per_country(counts, call.ctx)


def get_roc_list(call: Call) -> str:
    listing = pi.pi_ngis(session=call.session, roc=call.text("roc"), details=False)
    return render.render_roc_list(listing, call.ctx)


def get_ngi(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_ngis(
        session=call.session, roc=call.text("roc"), scope=call.scope(), paging=paging
    )
    return render.render_ngis(listing, call.ctx)


def get_roc_contacts(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_ngi_contacts(
        session=call.session, roc=call.text("roc"), roletype=call.text("roletype"), paging=paging
    )
    return render.render_roc_contacts(listing, call.ctx)


def get_subgrid_list(call: Call) -> str:
    rows = pi.pi_subgrids(session=call.session, subgrid=call.text("subgrid"))
    return render.render_subgrids(rows, call.ctx)


def get_service(call: Call) -> str:
    paging = call.paging()
    query = pi.ServiceQuery(
        hostname=call.text("hostname"),
        sitename=call.text("sitename"),
        roc=call.text("roc"),
        country=call.text("country"),
        service_type=call.text("service_type"),
        monitored=call.flag("monitored"),
        scope=call.scope(),
        extensions=call.extensions("extensions"),
    )
    listing = pi.pi_services(session=call.session, query=query, paging=paging)
    return render.render_services(listing, call.ctx)


def get_service_types(call: Call) -> str:
    return render.render_service_types(pi.pi_service_types(session=call.session), call.ctx)


def get_service_group(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_service_groups(
        session=call.session,
        name=call.text("service_group_name"),
        scope=call.scope(),
        extensions=call.extensions("extensions"),
        paging=paging,
    )
    return render.render_service_groups(listing, call.ctx)


def get_service_group_role(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_service_groups(
        session=call.session,
        name=call.text("service_group_name"),
        scope=call.scope(),
        paging=paging,
        members=False,
    )
    return render.render_service_group_roles(listing, call.ctx)


DATE_PARAMETERS = ("ongoing_only", "startdate", "enddate", "windowstart", "windowend")


def _month_before(value: datetime) -> datetime:
    year, month = (value.year, value.month - 1) if value.month > 1 else (value.year - 1, 12)
    return value.replace(year=year, month=month, day=min(value.day, monthrange(year, month)[1]))


def _downtime_query(call: Call) -> pi.DowntimeQuery:
    """GOCDB's GetDowntime filters: ``windowend`` includes the whole day it names."""
    now = utcnow()
    ongoing = call.params.get("ongoing_only")
    if ongoing not in (None, "yes", "no"):
        raise PiError("Invalid ongoing_only value - must be 'yes' or 'no'")
    if ongoing == "yes" and ("startdate" in call.params or "enddate" in call.params):
        raise PiError(
            "Invalid parameter combination - do not specify startdate or enddate with ongoing_only"
        )
    started_after = call.date("startdate")
    if "all_lastmonth" in call.params:
        if any(name in call.params for name in DATE_PARAMETERS):
            raise PiError(
                "Invalid parameters - only scope, scope_match, topentity params allowed "
                "when specifying all_lastmonth"
            )
        started_after = _month_before(now) - timedelta(days=1)
    window_end = call.date("windowend")
    return pi.DowntimeQuery(
        id=call.integer("id"),
        topentity=call.text("topentity"),
        ongoing_at=now if ongoing == "yes" else None,
        start_after=started_after,
        end_before=call.date("enddate"),
        end_after=call.date("windowstart"),
        start_before=None if window_end is None else window_end + timedelta(days=1),
        scope=call.scope(),
        site_extensions=call.extensions("site_extensions"),
        service_extensions=call.extensions("service_extensions"),
        sites=call.names("sitelist"),
        ngis=call.names("ngilist"),
        service_types=call.names("service_type_list"),
        severity=call.text("severity"),
        classification=call.text("classification"),
        production=call.flag("production"),
        monitored=call.flag("monitored"),
        certification_status=call.text("certification_status"),
    )


def get_downtime(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_downtimes(session=call.session, query=_downtime_query(call), paging=paging)
    return render.render_downtimes(listing, call.ctx)


def get_downtime_nested_services(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_downtimes(session=call.session, query=_downtime_query(call), paging=paging)
    return render.render_downtimes_nested(listing, call.ctx)


def get_downtime_to_broadcast(call: Call) -> str:
    paging = call.paging()
    raw = call.params.get("interval", "1")
    if not raw.isdigit():
        raise PiError("interval is not a number")
    query = pi.DowntimeQuery(
        id=call.integer("id"),
        inserted_after=utcnow() - timedelta(days=int(raw)),
        scope=call.scope(),
    )
    listing = pi.pi_downtimes(session=call.session, query=query, paging=paging)
    return render.render_downtimes_to_broadcast(listing, call.ctx)


def get_user(call: Call) -> str:
    paging = call.paging()
    query = pi.UserQuery(
        dns=tuple(v for v in (call.text("dn"), call.text("dnlike")) if v is not None),
        forename=call.text("forename"),
        surname=call.text("surname"),
        roletypes=call.names("roletype"),
    )
    listing = pi.pi_users(session=call.session, query=query, paging=paging)
    return render.render_users(listing, call.ctx)


def get_project_contacts(call: Call) -> str:
    paging = call.paging()
    listing = pi.pi_project_contacts(
        session=call.session, project=call.text("project"), paging=paging
    )
    return render.render_project_contacts(listing, call.ctx)


def get_cert_status_changes(call: Call) -> str:
    paging = call.paging()
    page = pi.pi_cert_status_changes(
        session=call.session,
        site=call.text("site"),
        after=call.date("startdate"),
        before=call.date("enddate"),
        paging=paging,
    )
    return render.render_cert_status_changes(page, call.ctx)


def get_cert_status_date(call: Call) -> str:
    paging = call.paging()
    query = pi.SiteQuery(
        certification_status=call.text("certification_status"), roc=call.text("roc")
    )
    page = pi.pi_cert_status_dates(session=call.session, query=query, paging=paging)
    return render.render_cert_status_dates(page, call.ctx)


def access_test(call: Call) -> str:
    return render.render_access_test(call.principal.subject)


@dataclass(frozen=True)
class Method:
    level: PiAccess
    parameters: frozenset[str]
    run: Callable[[Call], str]


CURSORS = ("next_cursor", "prev_cursor")
SITE_FILTERS = (
    "sitename",
    "roc",
    "country",
    "certification_status",
    "exclude_certification_status",
    "production_status",
    "scope",
    "scope_match",
)
SERVICE_FILTERS = ("hostname", "sitename", "roc", "country", "service_type", "monitored")
DOWNTIME_FILTERS = (
    "topentity",
    *DATE_PARAMETERS,
    "scope",
    "scope_match",
    "all_lastmonth",
    "site_extensions",
    "service_extensions",
    "id",
    "sitelist",
    "servicelist",
    "ngilist",
    "severity",
    "classification",
    "production",
    "monitored",
    "certification_status",
    "service_type_list",
)


def _method(level: PiAccess, run: Callable[[Call], str], *parameters: str) -> Method:
    return Method(level, frozenset(parameters), run)


METHODS: dict[str, Method] = {
    "get_site": _method(PiAccess.REGISTERED, get_site, *SITE_FILTERS, "extensions", *CURSORS),
    "get_site_list": _method(PiAccess.PUBLIC, get_site_list, *SITE_FILTERS, "extensions"),
    "get_site_contacts": _method(
        PiAccess.PERSONAL_DATA,
        get_site_contacts,
        *("sitename", "roc", "country", "roletype", "scope", "scope_match"),
        *CURSORS,
    ),
    "get_site_security_info": _method(
        PiAccess.REGISTERED, get_site_security_info, *SITE_FILTERS, *CURSORS
    ),
    "get_site_count_per_country": _method(
        PiAccess.PUBLIC,
        get_site_count_per_country,
        *("certification_status", "production_status", "scope"),
    ),
    "get_roc_list": _method(PiAccess.PUBLIC, get_roc_list, "roc"),
    "get_roc_contacts": _method(
        PiAccess.PERSONAL_DATA, get_roc_contacts, "roc", "roletype", *CURSORS
    ),
    "get_ngi": _method(PiAccess.REGISTERED, get_ngi, "roc", "scope", "scope_match", *CURSORS),
    "get_subgrid_list": _method(PiAccess.PUBLIC, get_subgrid_list, "subgrid"),
    "get_service": _method(
        PiAccess.PUBLIC,
        get_service,
        *SERVICE_FILTERS,
        *("scope", "scope_match", "extensions"),
        *CURSORS,
    ),
    "get_service_types": _method(PiAccess.PUBLIC, get_service_types),
    "get_service_group": _method(
        PiAccess.REGISTERED,
        get_service_group,
        *("service_group_name", "scope", "scope_match", "extensions"),
        *CURSORS,
    ),
    "get_service_group_role": _method(
        PiAccess.PERSONAL_DATA,
        get_service_group_role,
        *("service_group_name", "scope", "scope_match"),
        *CURSORS,
    ),
    "get_downtime": _method(PiAccess.PUBLIC, get_downtime, *DOWNTIME_FILTERS, *CURSORS),
    "get_downtime_nested_services": _method(
        PiAccess.PUBLIC, get_downtime_nested_services, *DOWNTIME_FILTERS, *CURSORS
    ),
    "get_downtime_to_broadcast": _method(
        PiAccess.PUBLIC,
        get_downtime_to_broadcast,
        *("interval", "scope", "scope_match", "id"),
        *CURSORS,
    ),
    "get_user": _method(
        PiAccess.PERSONAL_DATA,
        get_user,
        *("dn", "dnlike", "forename", "surname", "roletype"),
        *CURSORS,
    ),
    "get_project_contacts": _method(
        PiAccess.PERSONAL_DATA, get_project_contacts, "project", *CURSORS
    ),
    "get_cert_status_changes": _method(
        PiAccess.REGISTERED, get_cert_status_changes, "site", "startdate", "enddate", *CURSORS
    ),
    "get_cert_status_date": _method(
        PiAccess.AUTHENTICATED,
        get_cert_status_date,
        "certification_status",
        "roc",
        *CURSORS,
    ),
    "access_test": _method(PiAccess.PERSONAL_DATA, access_test),
}
METHODS["get_service_endpoint"] = METHODS["get_service"]

DENIED = {
    PiAccess.AUTHENTICATED: "No valid identifier found. Try accessing the resource with a "
    "credential (a bearer token) through the private interface.",
    PiAccess.REGISTERED: "Authorisation required: {subject} is neither a registered registry "
    "user nor a site API credential.",
    PiAccess.PERSONAL_DATA: "Authorisation required to read personal data: {subject} holds no "
    "registry role and is not a site API credential.",
}


def _check_parameters(method: Method, params: dict[str, str]) -> None:
    """GOCDB's ``Helpers::validateParams``: known names first, then no quotes in values."""
    for name in params:
        if name not in method.parameters:
            raise PiError(f"Unsupported parameter: {name}")
    for value in params.values():
        if FORBIDDEN_IN_VALUES.intersection(value):
            raise PiError(f"Unsuported chracter in value: {value}")


def _answer(call: Call, method: Method) -> str:
    if method.level > PiAccess.PUBLIC:
        access = pi.pi_access(session=call.session, actor=call.principal)
        if access < method.level:
            needed = PiAccess.AUTHENTICATED if access == PiAccess.PUBLIC else method.level
            raise PiError(DENIED[needed].format(subject=call.principal.subject), status=403)
    _check_parameters(method, call.params)
    return method.run(call)


def _xml(body: str, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type=XML)


@router.get("/public/", summary="GOCDB read PI", response_class=Response)
@router.get("/private/", summary="GOCDB read PI (credentials)", response_class=Response)
def read_pi(
    request: Request, session: DbSession, settings: AppSettings, principal: CurrentPrincipal
) -> Response:
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    params = dict(pairs)
    name = params.pop("method", "")
    params.pop("output", None)  # GOCDB's dispatcher drops it before validating parameters
    method = METHODS.get(name)
    if method is None:
        return Response(f"Unable to find method: {name}", media_type="text/plain; charset=UTF-8")
    base_url = settings.base_url.rstrip("/")
    links = PageLinks(f"{base_url}{request.url.path}", request.url.query, pairs)
    ctx = render.Context(base_url, links, settings.pi_page_size)
    call = Call(session, settings, principal, params, ctx)
    try:
        return _xml(_answer(call, method))
    except PiError as exc:
        return _xml(error_document(exc.message), exc.status)
