"""Who may do what in the registry: GOCDB's role-action matrix (``RoleActionMappings.xml``).

A user's GRANTED roles over the target entity and over all its ancestors (site -> NGI ->
projects) count. Operators (``Principal.is_admin``) pass every check. Actions that GOCDB keeps to
its administrators (service types, scopes, projects, NGIs, any certification transition) have
no rule here, so only operators pass them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.security import PermissionTable, Principal
from fedcore.registry.enums import NGI_ROLES, PROJECT_ROLES, SITE_ROLES, EntityType, RoleStatus
from fedcore.registry.enums import RoleType as R
from fedcore.registry.models import Ngi, Project, Role, ServiceGroup, Site, User

permissions = PermissionTable("registry")

NGI_MANAGERS = frozenset(
    {R.NGI_OPERATIONS_MANAGER, R.NGI_OPERATIONS_DEPUTY_MANAGER, R.NGI_SECURITY_OFFICER}
)
SITE_MANAGERS = frozenset(
    {R.SITE_SECURITY_OFFICER, R.SITE_OPERATIONS_MANAGER, R.SITE_OPERATIONS_DEPUTY_MANAGER}
)

OPERATOR_ONLY = (
    "registry.project.create",
    "registry.project.delete",
    "registry.ngi.create",
    "registry.ngi.delete",
    "registry.site.delete",
    "registry.service_type.create",
    "registry.service_type.update",
    "registry.service_type.delete",
    "registry.scope.create",
    "registry.scope.update",
    "registry.scope.delete",
    "registry.scope.apply_reserved",
    "registry.certification.any_transition",
    "registry.service_group.create",
    "registry.role_decision.read",
    "registry.import",
)


def ancestors(session: Session, target: Any) -> list[tuple[EntityType, int]]:
    """The entity itself and everything above it that roles cascade down from."""
    if isinstance(target, Site):
        return [(EntityType.SITE, target.id), *ancestors(session, target.ngi)]
    if isinstance(target, Ngi):
        return [(EntityType.NGI, target.id)] + [(EntityType.PROJECT, p.id) for p in target.projects]
    if isinstance(target, Project):
        return [(EntityType.PROJECT, target.id)]
    if isinstance(target, ServiceGroup):
        return [(EntityType.SERVICE_GROUP, target.id)]
    raise TypeError(f"roles are not held over {type(target).__name__}")


def granted_roles(session: Session, subject: str) -> set[tuple[str, str, int]]:
    """(role type, entity type, entity id) of every role granted to ``subject``."""
    rows = session.execute(
        select(Role.role_type, Role.entity_type, Role.entity_id)
        .join(User, Role.user_id == User.id)
        .where(User.subject == subject, Role.status == RoleStatus.GRANTED)
    )
    return {(r, e, i) for r, e, i in rows}


def holds_any(session: Session, actor: Principal, target: Any, role_types: frozenset[R]) -> bool:
    held = granted_roles(session, actor.subject)
    scope = {(str(kind), ident) for kind, ident in ancestors(session, target)}
    return any(r in role_types and (e, i) in scope for r, e, i in held)


def _holders(*role_sets: frozenset[R]) -> Any:
    wanted = frozenset().union(*role_sets)

    def predicate(session: Session, actor: Principal, target: Any) -> bool:
        return holds_any(session, actor, target, wanted)

    return predicate


for _action in OPERATOR_ONLY:
    permissions.rule(_action)(lambda _s, _a, _t: False)

permissions.rule(
    "registry.site.edit",
    "registry.site.add_service",
    "registry.site.delete_service",
    "registry.downtime.declare",
    "registry.api_credential.manage",
)(_holders(SITE_ROLES, NGI_ROLES))
permissions.rule("registry.site.grant_role")(_holders(SITE_MANAGERS, NGI_MANAGERS))
permissions.rule("registry.site.edit_cert_status")(_holders(NGI_MANAGERS, PROJECT_ROLES))
permissions.rule("registry.ngi.edit")(_holders(NGI_ROLES, PROJECT_ROLES))
permissions.rule("registry.ngi.add_site", "registry.ngi.grant_role")(
    _holders(NGI_MANAGERS, PROJECT_ROLES)
)
permissions.rule("registry.project.edit", "registry.project.grant_role")(_holders(PROJECT_ROLES))
permissions.rule("registry.service_group.edit", "registry.service_group.grant_role")(
    _holders(frozenset({R.SERVICE_GROUP_ADMINISTRATOR}))
)
permissions.rule("registry.personal_data.read")(
    lambda session, actor, _t: bool(granted_roles(session, actor.subject))
)
permissions.rule("registry.role.request")(lambda _s, actor, _t: actor.is_authenticated)
