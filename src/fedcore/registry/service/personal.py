"""Reading personal data: users' contact details, who holds or asks for which role, the audit of
role decisions, and site API credentials.

GOCDB's ``ACTION_READ_PERSONAL_DATA``: operators, anyone holding a granted role
(``registry.personal_data.read``) and the person themselves may read it; anonymous callers may
not. The role-decision audit is for operators only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.errors import NotFound
from fedcore.core.pagination import Page, paginate
from fedcore.core.security import Principal
from fedcore.registry.models import ApiCredential, Role, RoleDecision, User
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import RoleFilter
from fedcore.registry.service.people import get_role, get_user, list_api_credentials, role_query


def can_read_personal_data(*, session: Session, actor: Principal) -> bool:
    return permissions.allows("registry.personal_data.read", session=session, actor=actor)


def _require_personal_data(session: Session, actor: Principal, subject: str) -> None:
    if actor.is_authenticated and subject == actor.subject:
        return
    permissions.require("registry.personal_data.read", session=session, actor=actor)


def read_user(*, session: Session, actor: Principal, user_id: int) -> User:
    """A user's record, for the user themselves or someone who may read personal data."""
    user = get_user(session=session, user_id=user_id)
    _require_personal_data(session, actor, user.subject)
    return user


def read_role(*, session: Session, actor: Principal, role_id: int) -> Role:
    role = get_role(session=session, role_id=role_id)
    _require_personal_data(session, actor, role.user.subject)
    return role


def page_roles(
    *,
    session: Session,
    actor: Principal,
    filter: RoleFilter | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[Role]:
    """Roles matching ``filter``; a caller who may not read personal data sees only their own."""
    filter = filter or RoleFilter()
    subject = filter.subject
    if not can_read_personal_data(session=session, actor=actor):
        _require_personal_data(session, actor, subject or actor.subject)
        subject = actor.subject
    stmt = role_query(
        entity_type=filter.entity_type,
        entity_id=filter.entity_id,
        status=filter.status,
        subject=subject,
    )
    return paginate(session, stmt, Role.id, cursor=cursor, limit=limit)


def page_role_decisions(
    *, session: Session, actor: Principal, cursor: int | None = None, limit: int = 100
) -> Page[RoleDecision]:
    """The audit of role requests, grants, rejections and revocations, oldest first."""
    permissions.require("registry.role_decision.read", session=session, actor=actor)
    return paginate(session, select(RoleDecision), RoleDecision.id, cursor=cursor, limit=limit)


def get_api_credential(
    *, session: Session, actor: Principal, site_id: int, credential_id: int
) -> ApiCredential:
    """One of a site's API credentials, for those who may manage the site's credentials."""
    credentials = list_api_credentials(session=session, actor=actor, site_id=site_id)
    credential = next((c for c in credentials if c.id == credential_id), None)
    if credential is None:
        raise NotFound(f"no credential {credential_id} at this site", field="credential_id")
    return credential
