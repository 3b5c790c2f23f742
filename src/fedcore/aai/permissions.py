"""Who may do what in the AAI (actions ``aai.<entity>.<verb>``).

Anybody signed in may register an OIDC client; its owner (the subject that registered it) may
read, change, rotate the secret of and delete it. Approving, rejecting and suspending clients
and assigning entitlements to service accounts are kept to operators
(``Principal.is_admin``), who pass every check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fedcore.aai.models import Client
from fedcore.core.security import PermissionTable, Principal

permissions = PermissionTable("aai")


def _owner(_session: Session, actor: Principal, target: Any) -> bool:
    return (
        isinstance(target, Client)
        and bool(target.owner_subject)
        and (target.owner_subject == actor.subject)
    )


def _nobody(_session: Session, _actor: Principal, _target: Any) -> bool:
    return False


permissions.rule("aai.client.create")(lambda _s, actor, _t: actor.is_authenticated)
permissions.rule(
    "aai.client.read", "aai.client.update", "aai.client.delete", "aai.client.rotate_secret"
)(_owner)
permissions.rule("aai.client.decide", "aai.client.entitlements")(_nobody)
