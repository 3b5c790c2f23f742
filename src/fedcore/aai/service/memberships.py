"""Memberships of groups: adding, roles, suspension, expiry, removal, and what is in force now.

One row per (group, subject). The stored ``status`` is what admins decided: ``active``,
``suspended`` or ``removed`` (housekeeping may mark lapsed ones ``expired``). What a membership
*is* at a moment (:func:`effective_status`) also depends on time and on the tree:

* ``pending`` while ``valid_from`` is in the future;
* ``expired`` once its effective expiry has passed: the earliest of its own ``expires_at`` and
  every ancestor membership's, so a subgroup membership never outlives its parent's;
* ``suspended`` when it or any ancestor membership is suspended (suspension cascades down);
* nothing is in force in a VO that is not active, nor below a parent membership that is not.

Rules (reference §A.9): a subgroup membership needs a membership of the parent group; every
member holds at least one of the group's roles; a VO root membership lasts at most 365 days
(one year from its start when no expiry is given). An admin adds members directly only where
the VO has no acceptable-use policy, because an admin cannot accept it for them; memberships in
a VO with an AUP come from enrolment (passing the AUP version the person accepted) or from an
operator. Every change is written to the audit log with actor, reason and details.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from fedcore.aai.enums import MembershipStatus, VoStatus
from fedcore.aai.models import Group, Membership, Vo
from fedcore.aai.service import groups
from fedcore.core.db import isoformat_z, utcnow
from fedcore.core.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from fedcore.core.security import Principal

ROOT_MAX_DURATION = timedelta(days=365)
MAX_REASON = 2000


# --- reading ------------------------------------------------------------------------------------


def get_membership(*, session: Session, group: Group, subject: str) -> Membership:
    membership = session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.subject == subject)
    )
    if membership is None:
        raise NotFound(f"{subject} is not a member of {group.path}")
    return membership


def list_members(*, session: Session, group: Group) -> list[Membership]:
    """Every membership row of the group (also suspended, expired and removed), by subject."""
    return list(
        session.scalars(
            select(Membership).where(Membership.group_id == group.id).order_by(Membership.subject)
        )
    )


def _chain(session: Session, membership: Membership) -> tuple[Group, list[Membership | None]]:
    """The membership's group and the subject's memberships of every ancestor (root first;
    None where there is none)."""
    group = session.get(Group, membership.group_id)
    assert group is not None
    paths = groups.ancestor_paths(group.path)
    found: dict[str, Membership] = {}
    if paths:
        rows = session.execute(
            select(Group.path, Membership)
            .join(Membership, Membership.group_id == Group.id)
            .where(Group.path.in_(paths), Membership.subject == membership.subject)
        )
        found = {path: row for path, row in rows}
    return group, [found.get(p) for p in paths]


def _earliest(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def effective_expiry(session: Session, membership: Membership) -> datetime | None:
    """The earliest expiry of the membership and of the subject's ancestor memberships."""
    _, chain = _chain(session, membership)
    return _earliest([membership.expires_at, *(m.expires_at for m in chain if m is not None)])


class _Term(Protocol):
    """What decides whether a membership is in force: a Membership, or a row of its columns."""

    @property
    def status(self) -> str: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...


_T = TypeVar("_T", bound=_Term)


_PRECEDENCE = (
    MembershipStatus.REMOVED,
    MembershipStatus.EXPIRED,
    MembershipStatus.SUSPENDED,
    MembershipStatus.PENDING,
    MembershipStatus.ACTIVE,
)
"""What a chain of memberships is: the first of these that any of them is."""


def _own_status(term: _Term, now: datetime) -> MembershipStatus:
    """What one membership is at ``now``, by itself."""
    if term.status == MembershipStatus.REMOVED:
        return MembershipStatus.REMOVED
    if term.status == MembershipStatus.EXPIRED or (
        term.expires_at is not None and term.expires_at <= now
    ):
        return MembershipStatus.EXPIRED
    if term.status == MembershipStatus.SUSPENDED:
        return MembershipStatus.SUSPENDED
    if term.valid_from > now:
        return MembershipStatus.PENDING
    return MembershipStatus.ACTIVE


def _status_at(chain: Sequence[_Term | None], now: datetime) -> MembershipStatus:
    """The effective status of the last membership of ``chain`` (root first); a missing
    ancestor membership counts as removed."""
    if any(m is None for m in chain):
        return MembershipStatus.REMOVED
    statuses = {_own_status(m, now) for m in chain if m is not None}
    return next(status for status in _PRECEDENCE if status in statuses)


def effective_status(
    session: Session, membership: Membership, now: datetime | None = None
) -> MembershipStatus:
    """What the membership is at ``now`` (default: now), given its ancestors (module doc)."""
    _, chain = _chain(session, membership)
    return _status_at([*chain, membership], now or utcnow())


def _in_force(by_path: dict[str, _T], now: datetime) -> list[tuple[str, _T]]:
    """The entries of one subject's memberships (by group path) in force at ``now``: active
    by themselves, and their parent's in force (each path decided once)."""
    decided: dict[str, bool] = {}

    def in_force(path: str) -> bool:
        if path not in decided:
            term = by_path.get(path)
            parent = path.rpartition("/")[0]
            decided[path] = (
                term is not None
                and _own_status(term, now) == MembershipStatus.ACTIVE
                and (not parent or in_force(parent))
            )
        return decided[path]

    return [(path, term) for path, term in by_path.items() if in_force(path)]


_OF_SUBJECT_IN_ACTIVE_VOS = (
    select(Group.path)
    .join(Membership, Membership.group_id == Group.id)
    .join(Vo, Vo.id == Group.vo_id)
    .where(Membership.subject == bindparam("subject"), Vo.status == VoStatus.ACTIVE)
    .order_by(Group.path)
)
"""The subject's memberships in active VOs by group path (columns are added per use)."""
_ACTIVE_MEMBERSHIPS = _OF_SUBJECT_IN_ACTIVE_VOS.add_columns(Group, Membership)
_ROLES_IN_FORCE = _OF_SUBJECT_IN_ACTIVE_VOS.add_columns(
    Membership.status, Membership.valid_from, Membership.expires_at, Membership.roles
)


def active_memberships(
    session: Session, subject: str, now: datetime | None = None
) -> list[tuple[Group, Membership]]:
    """The subject's memberships in force at ``now``, by group path: status active, started,
    not past the effective expiry, every ancestor membership in force too, in an active VO.

    One query: the ancestor memberships are the subject's own rows.
    """
    rows = session.execute(_ACTIVE_MEMBERSHIPS, {"subject": subject})
    found = {path: (group, membership) for path, group, membership in rows}
    terms = {path: membership for path, (_, membership) in found.items()}
    return [(found[path][0], membership) for path, membership in _in_force(terms, now or utcnow())]


def roles_in_force(
    session: Session, subject: str, now: datetime | None = None
) -> list[tuple[str, list[str]]]:
    """(group path, roles) of :func:`active_memberships`, read as plain columns (userinfo
    computes entitlements on every request)."""
    rows = session.execute(_ROLES_IN_FORCE, {"subject": subject})
    terms = {row.path: row for row in rows}
    return [(path, list(row.roles)) for path, row in _in_force(terms, now or utcnow())]


# --- checks -------------------------------------------------------------------------------------


def _check_roles(session: Session, group: Group, roles: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(r.strip() for r in roles if r.strip()))
    if not wanted:
        raise ValidationFailed("a member holds at least one role", field="roles")
    known = groups.role_names(session, group)
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise ValidationFailed(
            f"{group.path} has no role {', '.join(repr(r) for r in unknown)}; "
            f"its roles are {', '.join(known)}",
            field="roles",
        )
    return wanted


def _check_reason(reason: str) -> str:
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"at most {MAX_REASON} characters", field="reason")
    return reason


def _check_expiry(group: Group, start: datetime, expires_at: datetime | None) -> datetime | None:
    """The expiry to store: after the start; for a VO root at most 365 days after it (and
    that, when none is given)."""
    if expires_at is not None and expires_at <= start:
        raise ValidationFailed(
            f"{isoformat_z(expires_at)} is not after the start {isoformat_z(start)}",
            field="expires_at",
        )
    if group.parent_id is not None:
        return expires_at
    if expires_at is None:
        return start + ROOT_MAX_DURATION
    if expires_at - start > ROOT_MAX_DURATION:
        raise ValidationFailed(
            f"a VO membership lasts at most {ROOT_MAX_DURATION.days} days from "
            f"{isoformat_z(start)}, so until {isoformat_z(start + ROOT_MAX_DURATION)} at the latest",
            field="expires_at",
        )
    return expires_at


def _utc(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed("give a time zone (UTC: a trailing Z)", field=field)
    return value


# --- changes ------------------------------------------------------------------------------------


def add_member(
    *,
    session: Session,
    actor: Principal,
    group: Group,
    subject: str,
    roles: Sequence[str] = (groups.DEFAULT_ROLE,),
    expires_at: datetime | None = None,
    valid_from: datetime | None = None,
    reason: str = "",
    aup_version: int | None = None,
) -> Membership:
    """Make ``subject`` a member of ``group`` (again, if it was removed or expired).

    ``aup_version`` is the version of the VO's AUP the subject accepted (enrolment, invitation);
    without the current one, only an operator may add a member to a VO that has an AUP.
    """
    groups.require_admin(session, actor, group, "add members")
    reason = _check_reason(reason)
    subject = groups.check_subject(session, subject)
    wanted = _check_roles(session, group, roles)
    now = utcnow()
    start = _utc(valid_from, "valid_from") or now
    expiry = _check_expiry(group, max(start, now), _utc(expires_at, "expires_at"))
    vo = groups.vo_of(session, group)
    if vo.status != VoStatus.ACTIVE:
        raise RuleViolation(f"VO {vo.name} is {vo.status}; members are added to active VOs")
    if (vo.aup_text or vo.aup_url) and aup_version != vo.aup_version and not actor.is_admin:
        raise RuleViolation(
            f"VO {vo.name} has an acceptable-use policy, which members accept themselves: "
            "invite them or let them apply through an enrolment",
            field="subject",
        )
    parent = session.get(Group, group.parent_id) if group.parent_id is not None else None
    if parent is not None:
        above = session.scalar(
            select(Membership).where(
                Membership.group_id == parent.id, Membership.subject == subject
            )
        )
        if above is None or above.status == MembershipStatus.REMOVED:
            raise RuleViolation(
                f"{subject} is not a member of {parent.path}; add them there first",
                field="subject",
            )
    membership = session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.subject == subject)
    )
    if membership is not None and _status_at([membership], now) not in (
        MembershipStatus.REMOVED,
        MembershipStatus.EXPIRED,
    ):
        raise Conflict(f"{subject} is already a member of {group.path}", field="subject")
    if membership is None:
        membership = Membership(group_id=group.id, subject=subject, created_at=now)
        session.add(membership)
    membership.roles = wanted
    membership.status = MembershipStatus.ACTIVE
    membership.valid_from = start
    membership.expires_at = expiry
    membership.reminded_at = None
    membership.updated_at = now
    details: dict[str, object] = {
        "roles": wanted,
        "valid_from": isoformat_z(start),
        "expires_at": isoformat_z(expiry) if expiry else None,
    }
    if aup_version is not None:
        details["aup_version"] = aup_version
    groups.record_event(
        session,
        group=group,
        subject=subject,
        action="added",
        actor=actor,
        reason=reason,
        details=details,
    )
    session.flush()
    return membership


def _descendant_memberships(session: Session, group: Group, subject: str) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .join(Group, Group.id == Membership.group_id)
            .where(
                Group.path.startswith(group.path + "/", autoescape=True),
                Membership.subject == subject,
            )
        )
    )


def _change(
    session: Session,
    actor: Principal,
    group: Group,
    subject: str,
    what: str,
    reason: str,
) -> Membership:
    groups.require_admin(session, actor, group, what)
    _check_reason(reason)
    membership = get_membership(session=session, group=group, subject=subject)
    if membership.status == MembershipStatus.REMOVED:
        raise RuleViolation(f"{subject} was removed from {group.path}; add them again")
    return membership


def _record(
    session: Session,
    actor: Principal,
    group: Group,
    membership: Membership,
    action: str,
    reason: str,
    details: dict[str, object] | None = None,
) -> Membership:
    membership.updated_at = utcnow()
    groups.record_event(
        session,
        group=group,
        subject=membership.subject,
        action=action,
        actor=actor,
        reason=reason,
        details=details,
    )
    session.flush()
    return membership


def remove_member(
    *, session: Session, actor: Principal, group: Group, subject: str, reason: str = ""
) -> Membership:
    """Remove ``subject`` from the group and every group below it; they must re-enrol."""
    membership = _change(session, actor, group, subject, "remove members", reason)
    for below in _descendant_memberships(session, group, subject):
        if below.status != MembershipStatus.REMOVED:
            below.status = MembershipStatus.REMOVED
            below_group = session.get(Group, below.group_id)
            assert below_group is not None
            _record(session, actor, below_group, below, "removed", reason, {"with": group.path})
    membership.status = MembershipStatus.REMOVED
    return _record(session, actor, group, membership, "removed", reason)


def set_roles(
    *,
    session: Session,
    actor: Principal,
    group: Group,
    subject: str,
    roles: Sequence[str],
    reason: str = "",
) -> Membership:
    """New roles for a membership; the same roles again change (and record) nothing."""
    membership = _change(session, actor, group, subject, "change roles", reason)
    wanted = _check_roles(session, group, roles)
    before = list(membership.roles)
    if wanted == before:
        return membership
    membership.roles = wanted
    return _record(
        session, actor, group, membership, "roles_changed", reason, {"from": before, "to": wanted}
    )


def suspend_member(
    *, session: Session, actor: Principal, group: Group, subject: str, reason: str = ""
) -> Membership:
    """Suspend a membership: it and every membership below it release nothing until resumed."""
    membership = _change(session, actor, group, subject, "suspend members", reason)
    if membership.status == MembershipStatus.SUSPENDED:
        raise Conflict(f"{subject} is already suspended in {group.path}")
    membership.status = MembershipStatus.SUSPENDED
    return _record(session, actor, group, membership, "suspended", reason)


def resume_member(
    *, session: Session, actor: Principal, group: Group, subject: str, reason: str = ""
) -> Membership:
    membership = _change(session, actor, group, subject, "resume members", reason)
    if membership.status != MembershipStatus.SUSPENDED:
        raise Conflict(f"{subject} is not suspended in {group.path}")
    membership.status = MembershipStatus.ACTIVE
    return _record(session, actor, group, membership, "resumed", reason)


def extend_member(
    *,
    session: Session,
    actor: Principal,
    group: Group,
    subject: str,
    expires_at: datetime | None,
    reason: str = "",
) -> Membership:
    """A new direct expiry (None: none, below the root); an expired membership is active again.
    A VO root membership runs at most 365 days from now. Recorded as ``extended``, or
    ``expiry_shortened`` when the new expiry comes earlier."""
    membership = _change(session, actor, group, subject, "extend memberships", reason)
    now = utcnow()
    start = max(membership.valid_from, now)
    expiry = _check_expiry(group, start, _utc(expires_at, "expires_at"))
    before = membership.expires_at
    membership.expires_at = expiry
    membership.reminded_at = None
    if membership.status == MembershipStatus.EXPIRED:
        membership.status = MembershipStatus.ACTIVE
    shortened = expiry is not None and (before is None or expiry < before)
    return _record(
        session,
        actor,
        group,
        membership,
        "expiry_shortened" if shortened else "extended",
        reason,
        {
            "from": isoformat_z(before) if before else None,
            "to": isoformat_z(expiry) if expiry else None,
        },
    )
