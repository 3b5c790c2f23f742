"""The registry overview and the pages of NGIs (with their iCalendar feed), services, service
groups and users.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from fedcore.core.db import utcnow
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.registry import service as registry
from fedcore.registry.enums import CertificationStatus, EntityType
from fedcore.registry.schemas import DowntimeFilter, NgiFilter
from fedcore.registry.service import browse
from fedcore.registry.views.common import (
    FEED_HISTORY,
    PAGE_SIZE,
    allows,
    calendar_response,
    filter_values,
    first_link,
    next_link,
    parse_filter,
    render_page,
    roles_over,
)

ENTITY_PAGES = {
    EntityType.SITE: "/registry/sites/{}",
    EntityType.NGI: "/registry/ngis/{}",
    EntityType.SERVICE_GROUP: "/registry/service-groups/{}",
}

router = APIRouter()


# --- overview -----------------------------------------------------------------------------------


@router.get("/")
def overview(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    now = utcnow()
    ongoing = registry.list_downtimes(
        session=session, filter=DowntimeFilter(ongoing_at=now), limit=PAGE_SIZE
    )
    return render_page(
        request,
        "registry/overview.html",
        counts=browse.overview_counts(session=session, now=now),
        ongoing=ongoing.items,
        statuses=list(CertificationStatus),
    )


# --- NGIs ---------------------------------------------------------------------------------------


@router.get("/ngis/")
def ngi_list(
    request: Request, session: DbSession, principal: CurrentPrincipal, cursor: int | None = None
) -> Response:
    values = filter_values(request, NgiFilter)
    ngi_filter, errors = parse_filter(NgiFilter, values)
    page = registry.list_ngis(session=session, filter=ngi_filter, cursor=cursor, limit=PAGE_SIZE)
    return render_page(
        request,
        "registry/ngi_list.html",
        values=values,
        errors=errors,
        ngis=page.items,
        next_link=next_link(request, page.next_cursor),
        first_link=first_link(request),
    )


@router.get("/ngis/{ngi_id}")
def ngi_page(
    request: Request, ngi_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    ngi = registry.get_ngi(session=session, ngi_id=ngi_id)
    now = utcnow()
    downtimes = browse.list_ngi_downtimes(session=session, ngi_id=ngi.id, ending_after=now)
    return render_page(
        request,
        "registry/ngi.html",
        ngi=ngi,
        downtimes=sorted(downtimes, key=lambda d: d.start_at),
        now=now,
        roles=roles_over(session, principal, EntityType.NGI, ngi.id),
    )


@router.get("/ngis/{ngi_id}/downtimes.ics")
def ngi_calendar(ngi_id: int, session: DbSession, settings: AppSettings) -> Response:
    ngi = registry.get_ngi(session=session, ngi_id=ngi_id)
    downtimes = browse.list_ngi_downtimes(
        session=session, ngi_id=ngi.id, ending_after=utcnow() - FEED_HISTORY
    )
    return calendar_response(settings, f"Downtimes of the sites of {ngi.name}", ngi.name, downtimes)


# --- services and service groups ----------------------------------------------------------------


@router.get("/services/{service_id}")
def service_page(
    request: Request, service_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    service = registry.get_service(session=session, service_id=service_id)
    return render_page(
        request,
        "registry/service.html",
        service=service,
        downtimes=browse.list_service_downtimes(session=session, service_id=service.id),
        groups=browse.list_service_groups_of(session=session, service_id=service.id),
        now=utcnow(),
        may_declare=allows(session, principal, "registry.downtime.declare", service.site),
    )


@router.get("/service-groups/")
def service_group_list(
    request: Request, session: DbSession, principal: CurrentPrincipal, cursor: int | None = None
) -> Response:
    page = registry.list_service_groups(session=session, cursor=cursor, limit=PAGE_SIZE)
    return render_page(
        request,
        "registry/service_group_list.html",
        groups=page.items,
        next_link=next_link(request, page.next_cursor),
        first_link=first_link(request),
    )


@router.get("/service-groups/{service_group_id}")
def service_group_page(
    request: Request, service_group_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    group = registry.get_service_group(session=session, service_group_id=service_group_id)
    return render_page(
        request,
        "registry/service_group.html",
        group=group,
        roles=roles_over(session, principal, EntityType.SERVICE_GROUP, group.id),
    )


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
    return render_page(
        request, "registry/user.html", user=user, roles=roles, entity_pages=ENTITY_PAGES
    )
