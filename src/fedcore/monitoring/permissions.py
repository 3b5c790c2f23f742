"""Who may do what in monitoring (actions ``monitoring.<entity>.<verb>``).

Everybody, anonymous callers included, reads profiles, reports, recomputations and results.
Any signed-in person may request a recomputation (site and NGI staff ask for corrections, as in
ARGO). Operators (``Principal.is_admin``) pass every check: they write profiles and reports,
decide recomputations, and compute days. Metric results are published by operators and by
subjects holding the entitlement :data:`PUBLISHER_ENTITLEMENT`: a service account an operator
gave it (``fedcore aai client entitlements``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fedcore.aai.service import claims
from fedcore.core.config import get_settings
from fedcore.core.security import PermissionTable, Principal

PUBLISHER_ENTITLEMENT = "urn:fedcore:monitoring:metric-publisher"
"""The entitlement that lets its holder publish metric results (probes' publishers)."""

permissions = PermissionTable("monitoring")


def _publisher(session: Session, actor: Principal, _target: Any) -> bool:
    held = claims.subject_claims(
        session=session,
        settings=get_settings(),
        subject=actor.subject,
        scopes=["eduperson_entitlement"],
    )
    return held is not None and PUBLISHER_ENTITLEMENT in held.get("eduperson_entitlement", [])


def _operators(_session: Session, _actor: Principal, _target: Any) -> bool:
    return False


def _signed_in(_session: Session, _actor: Principal, _target: Any) -> bool:
    return True  # anonymous callers never reach a rule (PermissionTable.allows)


permissions.rule("monitoring.metric_data.publish")(_publisher)
permissions.rule("monitoring.recomputation.request")(_signed_in)
permissions.rule(
    "monitoring.profile.write",
    "monitoring.report.write",
    "monitoring.recomputation.write",
    "monitoring.day.compute",
)(_operators)
