"""Virtual organisations: registration, the operators' decision, the ID card, the catalogue.

* Anybody signed in registers a VO (reference §A.9); it waits as ``pending`` until an operator
  makes it ``active`` (it may later be ``suspended`` and made active again, or ``deleted``).
  An operator's registration is active at once.
* Registration creates the VO's root group (path = the VO name, role ``member``) and makes the
  registrant a root admin, that is a VO manager.
* Managers and operators edit the ID card. Changing the AUP (text or URL) makes a new AUP
  version, which enrolments ask members to accept.
* The public catalogue lists active VOs. Only an active VO releases entitlements.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.enums import VoStatus
from fedcore.aai.models import Group, GroupAdmin, Vo
from fedcore.aai.schemas_vo import VoCreate, VoUpdate
from fedcore.aai.service import groups
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

DECISIONS: dict[VoStatus, frozenset[VoStatus]] = {
    VoStatus.ACTIVE: frozenset({VoStatus.PENDING, VoStatus.SUSPENDED}),
    VoStatus.SUSPENDED: frozenset({VoStatus.ACTIVE}),
    VoStatus.DELETED: frozenset({VoStatus.PENDING, VoStatus.ACTIVE, VoStatus.SUSPENDED}),
}
"""An operator's decision -> the statuses a VO may have before it."""

MAX_REASON = 2000


def get_vo(*, session: Session, name: str) -> Vo:
    vo = session.scalar(select(Vo).where(Vo.name == name.strip().lower()))
    if vo is None:
        raise NotFound(f"no VO {name!r}")
    return vo


def root_group(session: Session, vo: Vo) -> Group:
    return groups.get_group(session=session, path=vo.name)


def register_vo(
    *, session: Session, actor: Principal, data: VoCreate, manager: str | None = None
) -> Vo:
    """Register a VO; pending unless ``actor`` is an operator. Its first manager is ``actor``,
    or for an operator registering on someone's behalf, ``manager`` (an account's or a service
    account's subject)."""
    if not actor.is_authenticated:
        raise NotAuthenticated("registering a VO needs an authenticated caller")
    if manager is not None and not actor.is_admin:
        raise Forbidden("only operators register a VO on behalf of another manager")
    first_manager = (
        groups.check_subject(session, manager, "manager") if manager is not None else actor.subject
    )
    if session.scalar(select(Vo.id).where(Vo.name == data.name)) is not None:
        raise Conflict(f"a VO named {data.name!r} already exists", field="name")
    now = utcnow()
    vo = Vo(
        name=data.name,
        description=data.description,
        discipline=data.discipline,
        homepage=data.homepage,
        aup_text=data.aup_text,
        aup_url=data.aup_url,
        aup_version=1,
        contacts=data.contacts,
        status=VoStatus.ACTIVE if actor.is_admin else VoStatus.PENDING,
        registered_by=actor.subject,
        created_at=now,
        decided_at=now if actor.is_admin else None,
        decided_by=actor.subject if actor.is_admin else "",
    )
    session.add(vo)
    session.flush()
    root = groups.make_group(
        session, vo=vo, parent=None, name=vo.name, description=data.description
    )
    session.add(GroupAdmin(group_id=root.id, subject=first_manager))
    groups.record_event(session, group=root, subject="", action="vo_registered", actor=actor)
    groups.record_event(
        session, group=root, subject=first_manager, action="admin_added", actor=actor
    )
    session.flush()
    return vo


def add_manager(*, session: Session, actor: Principal, vo: Vo, subject: str) -> GroupAdmin:
    """Make ``subject`` (an account or a service account) a manager of the VO."""
    return groups.add_admin(
        session=session, actor=actor, group=root_group(session, vo), subject=subject
    )


def managers(session: Session, vo: Vo) -> list[str]:
    return groups.admin_subjects(session, root_group(session, vo))


def decide_vo(
    *, session: Session, actor: Principal, name: str, status: VoStatus, reason: str = ""
) -> Vo:
    """An operator activates, suspends or deletes a VO."""
    if not actor.is_authenticated:
        raise NotAuthenticated("deciding on a VO needs an authenticated caller")
    if not actor.is_admin:
        raise Forbidden(f"{actor.subject} is not an operator and may not decide on VOs")
    if status not in DECISIONS:
        raise ValidationFailed(
            f"{status!r} is not a decision; use {', '.join(DECISIONS)}", field="status"
        )
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"at most {MAX_REASON} characters", field="reason")
    vo = get_vo(session=session, name=name)
    if VoStatus(vo.status) not in DECISIONS[status]:
        raise RuleViolation(f"VO {vo.name} is {vo.status} and cannot become {status}")
    vo.status = status
    vo.decided_at = utcnow()
    vo.decided_by = actor.subject
    groups.record_event(
        session,
        group=root_group(session, vo),
        subject="",
        action=f"vo_{status}",
        actor=actor,
        reason=reason,
    )
    session.flush()
    return vo


def list_vos(*, session: Session, include_hidden: bool = False) -> list[Vo]:
    """The catalogue: active VOs by name; with ``include_hidden`` every VO (for operators)."""
    query = select(Vo).order_by(Vo.name)
    if not include_hidden:
        query = query.where(Vo.status == VoStatus.ACTIVE)
    return list(session.scalars(query))


def update_vo(*, session: Session, actor: Principal, name: str, data: VoUpdate) -> Vo:
    """A manager or an operator changes the ID card; a changed AUP gets the next version."""
    vo = get_vo(session=session, name=name)
    groups.require_admin(session, actor, root_group(session, vo), "change the VO's ID card")
    if vo.status == VoStatus.DELETED:
        raise RuleViolation(f"VO {vo.name} is deleted")
    changes = data.model_dump(exclude_none=True)
    aup_changed = any(
        key in changes and changes[key] != getattr(vo, key) for key in ("aup_text", "aup_url")
    )
    for key, value in changes.items():
        setattr(vo, key, value)
    if aup_changed:
        vo.aup_version += 1
    session.flush()
    return vo


def has_aup(vo: Vo) -> bool:
    return bool(vo.aup_text or vo.aup_url)
