"""Paged, filtered lists of the small catalogues (scopes, projects, service types) and of a
site's certification history, for the REST API and the pages.

The plain ``list_scopes``-style functions return everything, sorted by name, for choosers; these
page by ascending id like every other registry list (:mod:`fedcore.core.pagination`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from fedcore.core.pagination import Page, paginate
from fedcore.registry.models import CertificationChange, Project, Scope, ServiceType
from fedcore.registry.schemas import NameFilter
from fedcore.registry.service.common import like
from fedcore.registry.service.topology import get_site


def _page_by_name(
    session: Session,
    model: type[Any],
    name_column: InstrumentedAttribute[str],
    filter: NameFilter | None,
    cursor: int | None,
    limit: int,
) -> Page[Any]:
    stmt = select(model)
    if filter is not None and filter.name:
        stmt = stmt.where(like(name_column, filter.name))
    return paginate(session, stmt, model.id, cursor=cursor, limit=limit)


def page_scopes(
    *,
    session: Session,
    filter: NameFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Scope]:
    return _page_by_name(session, Scope, Scope.name, filter, cursor, limit)


def page_projects(
    *,
    session: Session,
    filter: NameFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Project]:
    return _page_by_name(session, Project, Project.name, filter, cursor, limit)


def page_service_types(
    *,
    session: Session,
    filter: NameFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[ServiceType]:
    return _page_by_name(session, ServiceType, ServiceType.name, filter, cursor, limit)


def page_certification_changes(
    *, session: Session, site_id: int, cursor: int | None = None, limit: int = 100
) -> Page[CertificationChange]:
    """A site's certification history, oldest first (404 for an unknown site)."""
    site = get_site(session=session, site_id=site_id)
    stmt = select(CertificationChange).where(CertificationChange.site_id == site.id)
    return paginate(session, stmt, CertificationChange.id, cursor=cursor, limit=limit)
