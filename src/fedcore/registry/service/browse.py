"""Read-only queries behind the registry pages and the downtime feeds: counts for overviews, the
choices offered by list filters, and the downtimes of one site, NGI or service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import RuleViolation
from fedcore.registry.enums import CertificationStatus
from fedcore.registry.models import (
    Country,
    Downtime,
    Ngi,
    Service,
    ServiceGroup,
    Site,
    downtime_service,
)
from fedcore.registry.schemas import SiteFilter
from fedcore.registry.service.common import count
from fedcore.registry.service.downtimes import check_changeable, downtime_query
from fedcore.registry.service.topology import site_query


def overview_counts(*, session: Session, now: datetime | None = None) -> dict[str, int]:
    """How big the federation is: NGIs, sites (all and certified), services, service groups and
    downtimes running now."""
    now = now or utcnow()
    return {
        "ngis": count(session, select(Ngi.id)),
        "sites": count(session, select(Site.id)),
        "certified_sites": count(
            session,
            select(Site.id).where(Site.certification_status == CertificationStatus.CERTIFIED),
        ),
        "services": count(session, select(Service.id)),
        "service_groups": count(session, select(ServiceGroup.id)),
        "ongoing_downtimes": count(
            session, select(Downtime.id).where(Downtime.start_at <= now, Downtime.end_at > now)
        ),
    }


def count_sites(*, session: Session, filter: SiteFilter | None = None) -> int:
    """How many sites the list filter matches (the list itself pages)."""
    return count(session, site_query(filter))


def downtime_deletable(downtime: Downtime, now: datetime) -> bool:
    """Whether ``delete_downtime`` would accept it now: not started, and not a SCHEDULED one
    within 24 h of its start (the rule itself lives in the downtimes module)."""
    if downtime.start_at <= now:
        return False
    try:
        check_changeable(downtime, now, "deleted")
    except RuleViolation:
        return False
    return True


def list_countries_in_use(*, session: Session) -> list[Country]:
    """Countries that have at least one site, by name (the country filter of the site list)."""
    stmt = select(Country).where(Country.id.in_(select(Site.country_id))).order_by(Country.name)
    return list(session.scalars(stmt))


def list_site_names(*, session: Session) -> list[str]:
    return list(session.scalars(select(Site.short_name).order_by(Site.short_name)))


def list_site_downtimes(
    *, session: Session, site_id: int, ending_after: datetime | None = None
) -> list[Downtime]:
    """A site's downtimes, latest start first; only those ending after ``ending_after`` if given."""
    stmt = downtime_query().where(Downtime.site_id == site_id)
    if ending_after is not None:
        stmt = stmt.where(Downtime.end_at > ending_after)
    return list(session.scalars(stmt.order_by(Downtime.start_at.desc(), Downtime.id.desc())))


def list_ngi_downtimes(
    *, session: Session, ngi_id: int, ending_after: datetime | None = None
) -> list[Downtime]:
    """Downtimes of every site of an NGI, latest start first."""
    stmt = downtime_query().where(
        Downtime.site_id.in_(select(Site.id).where(Site.ngi_id == ngi_id))
    )
    if ending_after is not None:
        stmt = stmt.where(Downtime.end_at > ending_after)
    return list(session.scalars(stmt.order_by(Downtime.start_at.desc(), Downtime.id.desc())))


def list_service_downtimes(*, session: Session, service_id: int) -> list[Downtime]:
    """Downtimes that affect a service, latest start first."""
    stmt = downtime_query().where(
        Downtime.id.in_(
            select(downtime_service.c.downtime_id).where(
                downtime_service.c.service_id == service_id
            )
        )
    )
    return list(session.scalars(stmt.order_by(Downtime.start_at.desc(), Downtime.id.desc())))


def list_service_groups_of(*, session: Session, service_id: int) -> list[ServiceGroup]:
    """The service groups a service belongs to."""
    stmt = (
        select(ServiceGroup)
        .where(ServiceGroup.services.any(Service.id == service_id))
        .order_by(ServiceGroup.name)
    )
    return list(session.scalars(stmt))
