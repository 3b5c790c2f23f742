"""Group entitlements (AARC-G069, reference §A.7), computed from the memberships in force now.

``<namespace>:group:<vo>[:<sub>...]:role=<role>#<authority>``: one value per (group, role) of
each membership in force (:func:`memberships.roles_in_force`); a subgroup's path segments
after the VO name become ``:<sub>`` parts, the role is scoped to the right-most group. Namespace
and authority are ``FEDCORE_ENTITLEMENT_NAMESPACE`` and ``FEDCORE_ENTITLEMENT_AUTHORITY``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fedcore.aai.service import memberships
from fedcore.core.config import Settings


def _role_prefix(settings: Settings, path: str) -> str:
    """Everything before the role: ``<namespace>:group:<vo>[:<sub>...]:role=``."""
    return f"{settings.entitlement_namespace}:group:{path.replace('/', ':')}:role="


def group_entitlement(settings: Settings, path: str, role: str) -> str:
    return f"{_role_prefix(settings, path)}{role}#{settings.entitlement_authority}"


def group_entitlements(
    *, session: Session, settings: Settings, subject: str, now: datetime | None = None
) -> list[str]:
    """The subject's group entitlements at ``now`` (default: now), by group path (userinfo
    builds them on every request: each group's part of the value is made once)."""
    authority = "#" + settings.entitlement_authority
    values: list[str] = []
    for path, roles in memberships.roles_in_force(session, subject, now):
        prefix = _role_prefix(settings, path)
        values.extend(prefix + role + authority for role in roles)
    return values
