"""Users (by subject), roles with the request -> grant / reject / revoke workflow, and site API
credentials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from fedcore.core.db import utcnow
from fedcore.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from fedcore.core.security import Principal
from fedcore.registry.enums import (
    NGI_ROLES,
    SITE_ROLES,
    CredentialKind,
    EntityType,
    RoleStatus,
    RoleType,
)
from fedcore.registry.models import (
    ApiCredential,
    Ngi,
    Project,
    Role,
    RoleDecision,
    ServiceGroup,
    Site,
    User,
)
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import ApiCredentialCreate, RoleRequest, UserCreate, UserUpdate
from fedcore.registry.service.common import apply_changes, get_by_id, get_by_name

ENTITY_MODELS: dict[EntityType, type[Any]] = {
    EntityType.PROJECT: Project,
    EntityType.NGI: Ngi,
    EntityType.SITE: Site,
    EntityType.SERVICE_GROUP: ServiceGroup,
}
GRANT_ACTION = {
    EntityType.PROJECT: "registry.project.grant_role",
    EntityType.NGI: "registry.ngi.grant_role",
    EntityType.SITE: "registry.site.grant_role",
    EntityType.SERVICE_GROUP: "registry.service_group.grant_role",
}


# --- users -------------------------------------------------------------------------------------------


def get_user_by_subject(*, session: Session, subject: str) -> User | None:
    return session.scalar(select(User).where(User.subject == subject))


def get_user(*, session: Session, user_id: int) -> User:
    return get_by_id(session, User, user_id, field="user")


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.roles)).order_by(User.id)))


def _home_site(session: Session, name: str | None) -> Site | None:
    return get_by_name(session, Site, Site.short_name, name, field="home_site") if name else None


def register_user(*, session: Session, actor: Principal, data: UserCreate) -> User:
    """Register ``actor`` (or, for operators, anyone) as a registry user with contact data."""
    if not actor.is_authenticated:
        raise NotAuthenticated("registering needs an authenticated caller")
    if data.subject != actor.subject and not actor.is_admin:
        raise Forbidden("users register themselves", field="subject")
    user = User(
        **data.model_dump(exclude={"home_site"}), home_site=_home_site(session, data.home_site)
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{data.subject} is registered already", field="subject") from exc
    return user


def update_user(*, session: Session, actor: Principal, user_id: int, data: UserUpdate) -> User:
    if not actor.is_authenticated:
        raise NotAuthenticated("editing a user needs an authenticated caller")
    user = get_user(session=session, user_id=user_id)
    if user.subject != actor.subject and not actor.is_admin:
        raise Forbidden("users edit their own details", field="user")
    changes = data.model_dump(exclude_unset=True, exclude={"home_site"})
    if "home_site" in data.model_fields_set:
        user.home_site = _home_site(session, data.home_site)
    apply_changes(user, changes)
    session.flush()
    return user


# --- roles -------------------------------------------------------------------------------------------


def role_target(session: Session, entity_type: EntityType, entity_id: int) -> Any:
    target = session.get(ENTITY_MODELS[entity_type], entity_id)
    if target is None:
        raise NotFound(f"no {entity_type} with id {entity_id}", field="entity_id")
    return target


def entity_name(session: Session, entity_type: str, entity_id: int) -> str:
    target = session.get(ENTITY_MODELS[EntityType(entity_type)], entity_id)
    if target is None:
        return ""
    return str(target.short_name if isinstance(target, Site) else target.name)


def role_query(
    *,
    entity_type: EntityType | None = None,
    entity_id: int | None = None,
    status: RoleStatus | None = None,
    subject: str | None = None,
) -> Select[Role]:
    stmt = select(Role).options(selectinload(Role.user))
    if entity_type is not None:
        stmt = stmt.where(Role.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(Role.entity_id == entity_id)
    if status is not None:
        stmt = stmt.where(Role.status == status)
    if subject is not None:
        stmt = stmt.where(Role.user.has(User.subject == subject))
    return stmt


def list_roles(
    *,
    session: Session,
    entity_type: EntityType | None = None,
    entity_id: int | None = None,
    status: RoleStatus | None = None,
    subject: str | None = None,
) -> list[Role]:
    stmt = role_query(entity_type=entity_type, entity_id=entity_id, status=status, subject=subject)
    return list(session.scalars(stmt.order_by(Role.id)))


def _record(session: Session, role: Role, old: str, new: RoleStatus, by: str) -> None:
    session.add(
        RoleDecision(
            role_type=role.role_type,
            entity_type=role.entity_type,
            entity_id=role.entity_id,
            user_subject=role.user.subject,
            old_status=old,
            new_status=new,
            decided_by=by,
        )
    )


def request_role(*, session: Session, actor: Principal, data: RoleRequest) -> Role:
    """A registered user asks for a role; it waits as PENDING for someone who may grant it."""
    permissions.require("registry.role.request", session=session, actor=actor)
    if RoleType(data.role_type).entity_type != data.entity_type:
        raise ValidationFailed(
            f"{data.role_type} is held over a {RoleType(data.role_type).entity_type}, "
            f"not a {data.entity_type}",
            field="role_type",
        )
    user = get_user_by_subject(session=session, subject=actor.subject)
    if user is None:
        raise RuleViolation("register as a user before requesting a role", field="subject")
    role_target(session, data.entity_type, data.entity_id)
    existing = session.scalar(
        select(Role).where(
            Role.user_id == user.id,
            Role.role_type == data.role_type,
            Role.entity_type == data.entity_type,
            Role.entity_id == data.entity_id,
        )
    )
    if existing is not None:
        raise Conflict(f"this role is {existing.status} already", field="role_type")
    role = Role(
        user=user,
        role_type=data.role_type,
        entity_type=data.entity_type,
        entity_id=data.entity_id,
        status=RoleStatus.PENDING,
        requested_at=utcnow(),
    )
    session.add(role)
    session.flush()
    _record(session, role, "", RoleStatus.PENDING, actor.subject)
    session.flush()
    return role


def get_role(*, session: Session, role_id: int) -> Role:
    return get_by_id(session, Role, role_id, field="role")


def can_decide(session: Session, actor: Principal, role: Role) -> bool:
    target = role_target(session, EntityType(role.entity_type), role.entity_id)
    return permissions.allows(
        GRANT_ACTION[EntityType(role.entity_type)], session=session, actor=actor, target=target
    )


def _require_decider(session: Session, actor: Principal, role: Role) -> None:
    target = role_target(session, EntityType(role.entity_type), role.entity_id)
    permissions.require(
        GRANT_ACTION[EntityType(role.entity_type)], session=session, actor=actor, target=target
    )


def grant_role(*, session: Session, actor: Principal, role_id: int) -> Role:
    role = get_role(session=session, role_id=role_id)
    _require_decider(session, actor, role)
    if role.status != RoleStatus.PENDING:
        raise RuleViolation("only a pending role can be granted", field="status")
    role.status = RoleStatus.GRANTED
    role.decided_at = utcnow()
    role.decided_by = actor.subject
    _record(session, role, RoleStatus.PENDING, RoleStatus.GRANTED, actor.subject)
    session.flush()
    return role


def reject_role(*, session: Session, actor: Principal, role_id: int) -> None:
    role = get_role(session=session, role_id=role_id)
    _require_decider(session, actor, role)
    if role.status != RoleStatus.PENDING:
        raise RuleViolation("only a pending role can be rejected", field="status")
    _record(session, role, RoleStatus.PENDING, RoleStatus.REJECTED, actor.subject)
    session.delete(role)
    session.flush()


def revoke_role(*, session: Session, actor: Principal, role_id: int) -> None:
    """Holders may drop their own role; others need the grant action over the entity."""
    role = get_role(session=session, role_id=role_id)
    if role.user.subject != actor.subject:
        _require_decider(session, actor, role)
    if role.status != RoleStatus.GRANTED:
        raise RuleViolation("only a granted role can be revoked", field="status")
    _check_credentials_survive(session, role)
    _record(session, role, RoleStatus.GRANTED, RoleStatus.REVOKED, actor.subject)
    session.delete(role)
    session.flush()


def _check_credentials_survive(session: Session, role: Role) -> None:
    """GOCDB blocks a revocation that leaves API credentials owned by someone with no site/NGI role."""
    if RoleType(role.role_type) not in SITE_ROLES | NGI_ROLES:
        return
    subject = role.user.subject
    owned = session.scalar(select(ApiCredential.id).where(ApiCredential.owner_subject == subject))
    if owned is None:
        return
    others = [
        r
        for r in role.user.roles
        if r.id != role.id
        and r.status == RoleStatus.GRANTED
        and RoleType(r.role_type) in SITE_ROLES | NGI_ROLES
    ]
    if not others:
        raise RuleViolation(
            "the user owns site API credentials and would keep no site or NGI role; "
            "move or delete the credentials first",
            field="role",
        )


def list_role_decisions(*, session: Session) -> list[RoleDecision]:
    return list(session.scalars(select(RoleDecision).order_by(RoleDecision.id)))


# --- API credentials ---------------------------------------------------------------------------------


def list_api_credentials(
    *, session: Session, actor: Principal, site_id: int
) -> list[ApiCredential]:
    site = get_by_id(session, Site, site_id, field="site")
    permissions.require("registry.api_credential.manage", session=session, actor=actor, target=site)
    return list(site.api_credentials)


def add_api_credential(
    *, session: Session, actor: Principal, site_id: int, data: ApiCredentialCreate
) -> ApiCredential:
    site = get_by_id(session, Site, site_id, field="site")
    permissions.require("registry.api_credential.manage", session=session, actor=actor, target=site)
    if data.kind == CredentialKind.X509 and not data.identifier.startswith("/"):
        raise ValidationFailed("an X.509 DN looks like /DC=org/CN=host", field="identifier")
    if any(c.identifier == data.identifier for c in site.api_credentials):
        raise Conflict("the site has this credential already", field="identifier")
    credential = ApiCredential(**data.model_dump(), owner_subject=actor.subject)
    site.api_credentials.append(credential)
    session.flush()
    return credential


def delete_api_credential(
    *, session: Session, actor: Principal, site_id: int, credential_id: int
) -> None:
    site = get_by_id(session, Site, site_id, field="site")
    permissions.require("registry.api_credential.manage", session=session, actor=actor, target=site)
    credential = next((c for c in site.api_credentials if c.id == credential_id), None)
    if credential is None:
        raise NotFound(f"no credential {credential_id} at this site", field="credential_id")
    site.api_credentials.remove(credential)
    session.flush()


def site_credential(
    *, session: Session, site_id: int, identifier: str, write: bool
) -> ApiCredential | None:
    """The site's credential for ``identifier`` (that allows writing, if ``write``); marks its use."""
    stmt = select(ApiCredential).where(
        ApiCredential.site_id == site_id, ApiCredential.identifier == identifier
    )
    if write:
        stmt = stmt.where(ApiCredential.allow_write.is_(True))
    credential = session.scalar(stmt)
    if credential is not None:
        credential.last_used_at = utcnow()
    return credential


def is_known_identity(*, session: Session, identifier: str) -> bool:
    """PI level 3: a registered user, or any site's API credential."""
    if get_user_by_subject(session=session, subject=identifier) is not None:
        return True
    return (
        session.scalar(
            select(ApiCredential.id).where(ApiCredential.identifier == identifier).limit(1)
        )
        is not None
    )
