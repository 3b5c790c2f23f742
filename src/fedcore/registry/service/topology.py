"""Scopes, projects, NGIs and sites, with GOCDB's certification-status rules."""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from fedcore.core.db import utcnow
from fedcore.core.errors import RuleViolation
from fedcore.core.pagination import Page, paginate
from fedcore.core.security import Principal
from fedcore.registry.enums import CERTIFICATION_TRANSITIONS, CertificationStatus, EntityType
from fedcore.registry.models import (
    CertificationChange,
    Country,
    Ngi,
    Project,
    Scope,
    Service,
    Site,
    site_scope,
)
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import (
    CertificationStatusChange,
    NgiCreate,
    NgiFilter,
    NgiUpdate,
    ProjectCreate,
    ProjectUpdate,
    ScopeCreate,
    ScopeUpdate,
    SiteCreate,
    SiteFilter,
    SiteUpdate,
)
from fedcore.registry.service.common import (
    allocate_primary_key,
    apply_changes,
    country_for_code,
    delete_roles_of,
    flush_unique,
    get_by_id,
    get_by_name,
    like,
    resolve_scopes,
)

# --- scopes ---------------------------------------------------------------------------------------


def list_scopes(*, session: Session) -> list[Scope]:
    return list(session.scalars(select(Scope).order_by(Scope.name)))


def get_scope(*, session: Session, scope_id: int) -> Scope:
    return get_by_id(session, Scope, scope_id, field="scope")


def create_scope(*, session: Session, actor: Principal, data: ScopeCreate) -> Scope:
    permissions.require("registry.scope.create", session=session, actor=actor)
    scope = Scope(**data.model_dump())
    session.add(scope)
    flush_unique(session, "scope", data.name)
    return scope


def update_scope(*, session: Session, actor: Principal, scope_id: int, data: ScopeUpdate) -> Scope:
    permissions.require("registry.scope.update", session=session, actor=actor)
    scope = get_scope(session=session, scope_id=scope_id)
    apply_changes(scope, data.model_dump(exclude_unset=True))
    session.flush()
    return scope


def delete_scope(*, session: Session, actor: Principal, scope_id: int) -> None:
    permissions.require("registry.scope.delete", session=session, actor=actor)
    session.delete(get_scope(session=session, scope_id=scope_id))
    session.flush()


# --- projects -------------------------------------------------------------------------------------


def list_projects(*, session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.id)))


def get_project(*, session: Session, project_id: int) -> Project:
    return get_by_id(session, Project, project_id, field="project")


def create_project(*, session: Session, actor: Principal, data: ProjectCreate) -> Project:
    permissions.require("registry.project.create", session=session, actor=actor)
    project = Project(**data.model_dump())
    session.add(project)
    flush_unique(session, "project", data.name)
    return project


def update_project(
    *, session: Session, actor: Principal, project_id: int, data: ProjectUpdate
) -> Project:
    project = get_project(session=session, project_id=project_id)
    permissions.require("registry.project.edit", session=session, actor=actor, target=project)
    apply_changes(project, data.model_dump(exclude_unset=True))
    session.flush()
    return project


def delete_project(*, session: Session, actor: Principal, project_id: int) -> None:
    permissions.require("registry.project.delete", session=session, actor=actor)
    project = get_project(session=session, project_id=project_id)
    delete_roles_of(session, EntityType.PROJECT, project.id)
    session.delete(project)
    session.flush()


# --- NGIs -----------------------------------------------------------------------------------------


def _projects(session: Session, names: list[str]) -> list[Project]:
    return [get_by_name(session, Project, Project.name, n, field="projects") for n in names]


def ngi_query(filter: NgiFilter | None = None) -> Select[Ngi]:
    stmt = select(Ngi).options(selectinload(Ngi.projects), selectinload(Ngi.scopes))
    if filter is None:
        return stmt
    if filter.name:
        stmt = stmt.where(like(Ngi.name, filter.name))
    if filter.project:
        stmt = stmt.where(Ngi.projects.any(Project.name == filter.project))
    if filter.scope:
        stmt = stmt.where(Ngi.scopes.any(Scope.name == filter.scope))
    return stmt


def list_ngis(
    *,
    session: Session,
    filter: NgiFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Ngi]:
    return paginate(session, ngi_query(filter), Ngi.id, cursor=cursor, limit=limit)


def get_ngi(*, session: Session, ngi_id: int) -> Ngi:
    return get_by_id(session, Ngi, ngi_id, field="ngi")


def get_ngi_by_name(*, session: Session, name: str) -> Ngi:
    return get_by_name(session, Ngi, Ngi.name, name, field="ngi")


def create_ngi(*, session: Session, actor: Principal, data: NgiCreate) -> Ngi:
    permissions.require("registry.ngi.create", session=session, actor=actor)
    ngi = Ngi(
        **data.model_dump(exclude={"projects", "scopes"}),
        projects=_projects(session, data.projects),
        scopes=resolve_scopes(session, actor, data.scopes),
    )
    session.add(ngi)
    flush_unique(session, "NGI", data.name)
    return ngi


def update_ngi(*, session: Session, actor: Principal, ngi_id: int, data: NgiUpdate) -> Ngi:
    ngi = get_ngi(session=session, ngi_id=ngi_id)
    permissions.require("registry.ngi.edit", session=session, actor=actor, target=ngi)
    changes = data.model_dump(exclude_unset=True, exclude={"projects", "scopes"})
    if data.projects is not None:
        permissions.require("registry.ngi.create", session=session, actor=actor)
        ngi.projects = _projects(session, data.projects)
    if data.scopes is not None:
        ngi.scopes = resolve_scopes(session, actor, data.scopes, current=ngi.scopes)
    apply_changes(ngi, changes)
    session.flush()
    return ngi


def delete_ngi(*, session: Session, actor: Principal, ngi_id: int) -> None:
    permissions.require("registry.ngi.delete", session=session, actor=actor)
    ngi = get_ngi(session=session, ngi_id=ngi_id)
    if session.scalar(select(exists().where(Site.ngi_id == ngi.id))):
        raise RuleViolation("the NGI still has sites; move or delete them first", field="ngi")
    delete_roles_of(session, EntityType.NGI, ngi.id)
    session.delete(ngi)
    session.flush()


# --- sites ----------------------------------------------------------------------------------------


def site_query(filter: SiteFilter | None = None) -> Select[Site]:
    stmt = select(Site).options(
        selectinload(Site.ngi),
        selectinload(Site.country),
        selectinload(Site.scopes),
        selectinload(Site.properties),
    )
    if filter is None:
        return stmt
    if filter.short_name:
        stmt = stmt.where(like(Site.short_name, filter.short_name))
    if filter.ngi:
        stmt = stmt.where(Site.ngi.has(like(Ngi.name, filter.ngi)))
    if filter.country_code:
        stmt = stmt.where(Site.country.has(Country.code == filter.country_code.upper()))
    if filter.certification_status:
        stmt = stmt.where(Site.certification_status == filter.certification_status)
    if filter.infrastructure:
        stmt = stmt.where(Site.infrastructure == filter.infrastructure)
    if filter.scope:
        stmt = stmt.where(
            exists().where(
                site_scope.c.site_id == Site.id,
                site_scope.c.scope_id == Scope.id,
                Scope.name == filter.scope,
            )
        )
    if filter.q:
        pattern = f"%{filter.q.lower()}%"
        stmt = stmt.where(or_(Site.short_name.ilike(pattern), Site.official_name.ilike(pattern)))
    return stmt


def list_sites(
    *,
    session: Session,
    filter: SiteFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Site]:
    return paginate(session, site_query(filter), Site.id, cursor=cursor, limit=limit)


def get_site(*, session: Session, site_id: int) -> Site:
    return get_by_id(session, Site, site_id, field="site")


def get_site_by_name(*, session: Session, short_name: str) -> Site:
    return get_by_name(session, Site, Site.short_name, short_name, field="site")


def site_ngi_countries(*, session: Session) -> dict[str, tuple[str, str]]:
    """Every site's short name with its NGI's name and its country's name, as they are now."""
    rows = session.execute(
        select(Site.short_name, Ngi.name, Country.name)
        .join(Ngi, Site.ngi_id == Ngi.id)
        .join(Country, Site.country_id == Country.id)
    )
    return {site: (ngi, country) for site, ngi, country in rows}


def can_edit_site(*, session: Session, actor: Principal, site: Site) -> bool:
    """Whether ``actor`` administers ``site``: an operator, or a holder of a site role over it
    or of an NGI role over its NGI (``registry.site.edit``)."""
    return permissions.allows("registry.site.edit", session=session, actor=actor, target=site)


def create_site(*, session: Session, actor: Principal, data: SiteCreate) -> Site:
    """A new site starts as a Candidate (EGI's procedure); its NGI's managers may add it."""
    ngi = get_ngi_by_name(session=session, name=data.ngi)
    permissions.require("registry.ngi.add_site", session=session, actor=actor, target=ngi)
    scopes = resolve_scopes(session, actor, data.scopes)
    country = country_for_code(session, data.country_code)
    site = Site(
        **data.model_dump(exclude={"ngi", "country_code", "scopes"}),
        primary_key=allocate_primary_key(session),
        ngi=ngi,
        country=country,
        scopes=scopes,
        certification_status=CertificationStatus.CANDIDATE,
        certification_changed_at=utcnow(),
    )
    session.add(site)
    flush_unique(session, "site", data.short_name)
    return site


def update_site(*, session: Session, actor: Principal, site_id: int, data: SiteUpdate) -> Site:
    """Edit a site's fields; its short name never changes (APEL and ARGO key on it)."""
    site = get_site(session=session, site_id=site_id)
    permissions.require("registry.site.edit", session=session, actor=actor, target=site)
    changes = data.model_dump(exclude_unset=True, exclude={"country_code", "scopes"})
    if data.country_code is not None:
        site.country = country_for_code(session, data.country_code)
    if data.scopes is not None:
        site.scopes = resolve_scopes(session, actor, data.scopes, current=site.scopes)
    apply_changes(site, changes)
    session.flush()
    return site


def delete_site(*, session: Session, actor: Principal, site_id: int) -> None:
    site = get_site(session=session, site_id=site_id)
    permissions.require("registry.site.delete", session=session, actor=actor, target=site)
    if session.scalar(select(exists().where(Service.site_id == site.id))):
        raise RuleViolation("the site still has services; delete them first", field="site")
    delete_roles_of(session, EntityType.SITE, site.id)
    session.delete(site)
    session.flush()


def change_certification_status(
    *, session: Session, actor: Principal, site_id: int, data: CertificationStatusChange
) -> Site:
    """Move a site along GOCDB's certification graph, logging who, when and why."""
    site = get_site(session=session, site_id=site_id)
    permissions.require("registry.site.edit_cert_status", session=session, actor=actor, target=site)
    old = CertificationStatus(site.certification_status)
    new = data.status
    if new == old:
        raise RuleViolation(f"the site is {old} already", field="status")
    if new not in CERTIFICATION_TRANSITIONS[old] and not permissions.allows(
        "registry.certification.any_transition", session=session, actor=actor
    ):
        allowed = ", ".join(sorted(CERTIFICATION_TRANSITIONS[old])) or "none (Closed is final)"
        raise RuleViolation(
            f"a site cannot go from {old} to {new}; allowed: {allowed}", field="status"
        )
    now = utcnow()
    site.certification_log.append(
        CertificationChange(
            old_status=old,
            new_status=new,
            changed_by=actor.subject,
            changed_at=now,
            reason=data.reason,
        )
    )
    site.certification_status = new
    site.certification_changed_at = now
    session.flush()
    return site


def list_certification_changes(
    *, session: Session, site_id: int | None = None
) -> list[CertificationChange]:
    stmt = select(CertificationChange).order_by(CertificationChange.id)
    if site_id is not None:
        stmt = stmt.where(CertificationChange.site_id == site_id)
    return list(session.scalars(stmt))
