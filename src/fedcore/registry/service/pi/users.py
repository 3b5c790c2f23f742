"""PI query over users and their roles: get_user."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fedcore.registry.enums import EntityType, RoleStatus
from fedcore.registry.models import Ngi, Project, Role, ServiceGroup, Site, User, project_ngi
from fedcore.registry.service.common import like
from fedcore.registry.service.pi.base import (
    UNPAGED,
    AnyRow,
    AnySelect,
    Paging,
    PiPage,
    group_by_parent,
    keys_for,
    like_filter,
    paged,
    present,
    run,
    where,
    within,
)


@dataclass(frozen=True)
class UserQuery:
    dns: tuple[str, ...] = ()
    """LIKE patterns each user's certificate DN or login subject must match."""
    forename: str | None = None
    surname: str | None = None
    roletypes: tuple[str, ...] = ()


@dataclass
class UserListing:
    """Users; their GRANTED roles ``(user_id, role_type, entity_type, entity_id)`` by user id;
    the names and primary keys of the entities those roles are held over; and the projects each
    role is recognised in (site -> NGI -> projects)."""

    page: PiPage
    roles: dict[int, list[AnyRow]] = field(default_factory=dict)
    entities: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    projects: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=dict)


def _user_filters(stmt: AnySelect, query: UserQuery) -> AnySelect:
    has_role = None
    if query.roletypes:
        has_role = User.id.in_(
            select(Role.user_id).where(
                Role.role_type.in_(query.roletypes), Role.status == RoleStatus.GRANTED
            )
        )
    return where(
        stmt,
        *(or_(like(User.subject, dn), like(User.certdn, dn)) for dn in query.dns),
        like_filter(User.forename, query.forename),
        like_filter(User.surname, query.surname),
        has_role,
    )


def pi_users(*, session: Session, query: UserQuery, paging: Paging = UNPAGED) -> UserListing:
    """get_user: users with their granted roles (``roletypes``: users holding one of them,
    showing only those)."""
    columns = (
        User.id,
        User.subject,
        User.forename,
        User.surname,
        User.title,
        User.email,
        User.telephone,
        User.working_hours_start,
        User.working_hours_end,
        User.certdn,
        Site.short_name.label("home_site"),
    )
    stmt = _user_filters(select(*columns).outerjoin(Site, Site.id == User.home_site_id), query)
    _, page = paged(session, stmt, User.id, paging)
    listing = UserListing(page)
    if not page.rows:
        return listing
    keys = keys_for([r.id for r in page.rows])
    roles_stmt = (
        select(Role.user_id, Role.role_type, Role.entity_type, Role.entity_id)
        .where(Role.status == RoleStatus.GRANTED, *present(within(session, Role.user_id, keys)))
        .order_by(Role.user_id, Role.id)
    )
    if query.roletypes:
        roles_stmt = roles_stmt.where(Role.role_type.in_(query.roletypes))
    listing.roles = group_by_parent(run(session, roles_stmt))
    held: dict[str, set[int]] = defaultdict(set)
    for rows in listing.roles.values():
        for role in rows:
            held[role.entity_type].add(role.entity_id)
    listing.entities, listing.projects = _role_entities(session, held)
    return listing


def _role_entities(
    session: Session, held: dict[str, set[int]]
) -> tuple[dict[tuple[str, int], tuple[str, str]], dict[tuple[str, int], list[tuple[int, str]]]]:
    """Name and PI primary key of each entity roles are held over, and the projects a role on
    it is recognised in (GOCDB's reachable projects: site -> NGI -> projects)."""
    entities: dict[tuple[str, int], tuple[str, str]] = {}
    ngi_of_site: dict[int, int] = {}
    sites = held.get(EntityType.SITE, set())
    for ident, name, pk, ngi_id in run(
        session,
        select(Site.id, Site.short_name, Site.primary_key, Site.ngi_id).where(Site.id.in_(sites)),
    ):
        entities[(EntityType.SITE, ident)] = (name, pk)
        ngi_of_site[ident] = ngi_id
    ngis = held.get(EntityType.NGI, set()) | set(ngi_of_site.values())
    for ident, name in run(session, select(Ngi.id, Ngi.name).where(Ngi.id.in_(ngis))):
        entities[(EntityType.NGI, ident)] = (name, str(ident))
    groups = held.get(EntityType.SERVICE_GROUP, set())
    for ident, name in run(
        session, select(ServiceGroup.id, ServiceGroup.name).where(ServiceGroup.id.in_(groups))
    ):
        entities[(EntityType.SERVICE_GROUP, ident)] = (name, f"{ident}G0")
    projects_of_ngi: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ngi_id, project_id, name in run(
        session,
        select(project_ngi.c.ngi_id, Project.id, Project.name)
        .join(Project, Project.id == project_ngi.c.project_id)
        .where(project_ngi.c.ngi_id.in_(ngis))
        .order_by(project_ngi.c.ngi_id, Project.id),
    ):
        projects_of_ngi[ngi_id].append((project_id, name))
    projects = held.get(EntityType.PROJECT, set())
    for ident, name in run(
        session, select(Project.id, Project.name).where(Project.id.in_(projects))
    ):
        entities[(EntityType.PROJECT, ident)] = (name, str(ident))
    reachable: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for entity_type, ident in entities:
        if entity_type == EntityType.SITE:
            reachable[(entity_type, ident)] = projects_of_ngi[ngi_of_site[ident]]
        elif entity_type == EntityType.NGI:
            reachable[(entity_type, ident)] = projects_of_ngi[ident]
        elif entity_type == EntityType.PROJECT:
            reachable[(entity_type, ident)] = [(ident, entities[(entity_type, ident)][0])]
        else:
            reachable[(entity_type, ident)] = []
    return entities, reachable
