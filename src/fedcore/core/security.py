"""Authentication and authorisation in one place.

* A :class:`Principal` is who makes a call: a subject string and whether it is an operator. What
  else the subject may do (registry roles, group memberships) the subsystems look up by subject.
* Bearer tokens are resolved by a chain of verifiers. The built-in one accepts fedcore API tokens
  (``fedcore token create``), stored as SHA-256 hashes; the AAI plugs its OIDC access-token
  verifier in with :func:`register_verifier` without any subsystem noticing.
* Each subsystem declares its actions in a :class:`PermissionTable` (``<subsystem>/permissions.py``):
  action name -> predicate. Service functions call ``table.require(...)`` so that API, pages and
  CLI enforce the same rules.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import Forbidden, NotAuthenticated, ValidationFailed
from fedcore.core.models import ApiToken

TOKEN_PREFIX = "fct_"  # noqa: S105  (a prefix, not a secret)


@dataclass(frozen=True)
class Principal:
    subject: str
    is_admin: bool = False
    token_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return bool(self.subject)


ANONYMOUS = Principal(subject="")

Verifier = Callable[[Session, str, Settings], Principal | None]
"""(session, raw token, settings) -> Principal, or None if the token is not of this kind."""

_verifiers: list[Verifier] = []


def register_verifier(verifier: Verifier) -> None:
    if verifier not in _verifiers:
        _verifiers.insert(0, verifier)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(
    *, session: Session, subject: str, description: str = "", lifetime: timedelta | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``subject``; returns the row and the raw token, which is never stored."""
    subject = subject.strip()
    if not subject or len(subject) > 255 or any(c.isspace() for c in subject):
        raise ValidationFailed("must be 1-255 characters without spaces", field="subject")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=hash_token(raw),
        subject=subject,
        description=description,
        expires_at=utcnow() + lifetime if lifetime else None,
    )
    session.add(row)
    session.flush()
    return row, raw


def _valid_token(row: ApiToken | None, now: datetime) -> bool:
    return (
        row is not None
        and row.revoked_at is None
        and (row.expires_at is None or row.expires_at > now)
    )


def api_token_verifier(session: Session, raw: str, settings: Settings) -> Principal | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if row is None or not _valid_token(row, utcnow()):
        raise NotAuthenticated("the token is unknown, expired or revoked")
    return principal_for(row.subject, settings.admin_subject, token_id=row.id)


def principal_for(subject: str, admin_subject: str, *, token_id: int | None = None) -> Principal:
    return Principal(
        subject=subject,
        is_admin=bool(admin_subject) and subject == admin_subject,
        token_id=token_id,
    )


def authenticate(session: Session, raw: str, settings: Settings) -> Principal:
    """Resolve a bearer token through the verifier chain; unknown kinds are refused."""
    for verifier in [*_verifiers, api_token_verifier]:
        principal = verifier(session, raw, settings)
        if principal is not None:
            return principal
    raise NotAuthenticated("the bearer token is not one this server issued")


def principal_from_token_id(session: Session, token_id: int, admin_subject: str) -> Principal:
    """The principal behind a page session (which remembers the token row, never the token)."""
    row = session.get(ApiToken, token_id)
    if row is None or not _valid_token(row, utcnow()):
        return ANONYMOUS
    return principal_for(row.subject, admin_subject, token_id=row.id)


def revoke_api_token(*, session: Session, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


Predicate = Callable[[Session, Principal, Any], bool]


class PermissionTable:
    """Named actions of one subsystem (``"<subsystem>.<entity>.<verb>"``) and who may do them."""

    def __init__(self, subsystem: str) -> None:
        self.subsystem = subsystem
        self._rules: dict[str, Predicate] = {}

    def rule(self, *actions: str) -> Callable[[Predicate], Predicate]:
        def register(predicate: Predicate) -> Predicate:
            for action in actions:
                if not action.startswith(self.subsystem + "."):
                    raise ValueError(f"{action} is not an action of {self.subsystem}")
                self._rules[action] = predicate
            return predicate

        return register

    @property
    def actions(self) -> list[str]:
        return sorted(self._rules)

    def allows(
        self, action: str, *, session: Session, actor: Principal, target: Any = None
    ) -> bool:
        if not actor.is_authenticated:
            return False
        if actor.is_admin:
            return True
        return self._rules[action](session, actor, target)

    def require(
        self, action: str, *, session: Session, actor: Principal, target: Any = None
    ) -> None:
        if not actor.is_authenticated:
            raise NotAuthenticated(f"{action} needs an authenticated caller")
        if not self.allows(action, session=session, actor=actor, target=target):
            raise Forbidden(f"{actor.subject} may not {action}")
