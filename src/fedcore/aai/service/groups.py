"""The group tree of each VO: groups, their roles and their admins.

* A group's ``path`` is the VO name for the root group and ``vo/sub/...`` for subgroups; a
  subgroup needs its parent. Every group has the role ``member``; admins may define more.
* Admin rights flow down the tree: an admin of a group administers every group below it. The
  root group's admins are the VO's managers. Operators (``Principal.is_admin``) administer every
  group.
* Every change of roles or admins is written to the audit log (:func:`record_event`).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Client, Group, GroupAdmin, GroupRole, MembershipEvent, Vo
from fedcore.aai.schemas_vo import Segment
from fedcore.core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from fedcore.core.pagination import Page, paginate
from fedcore.core.security import Principal

DEFAULT_ROLE = "member"

_segment = TypeAdapter(Segment)


def check_name(value: str, field: str) -> str:
    """One path segment or role name, else ValidationFailed naming ``field``."""
    try:
        return _segment.validate_python(value)
    except ValidationError as exc:
        raise ValidationFailed(exc.errors()[0]["msg"], field=field) from None


def ancestor_paths(path: str) -> list[str]:
    """The paths above ``path``, root first: ``a/b/c`` -> ``["a", "a/b"]``."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def get_group(*, session: Session, path: str) -> Group:
    group = session.scalar(select(Group).where(Group.path == path.strip().strip("/")))
    if group is None:
        raise NotFound(f"no group {path!r}")
    return group


def ancestors(session: Session, group: Group) -> list[Group]:
    """The groups above ``group``, root first."""
    paths = ancestor_paths(group.path)
    if not paths:
        return []
    found = {g.path: g for g in session.scalars(select(Group).where(Group.path.in_(paths)))}
    return [found[p] for p in paths]


def vo_of(session: Session, group: Group) -> Vo:
    vo = session.get(Vo, group.vo_id)
    assert vo is not None  # a group cannot outlive its VO (ON DELETE CASCADE)
    return vo


def role_names(session: Session, group: Group) -> list[str]:
    return list(
        session.scalars(
            select(GroupRole.name).where(GroupRole.group_id == group.id).order_by(GroupRole.name)
        )
    )


def admin_subjects(session: Session, group: Group) -> list[str]:
    """The subjects that administer ``group`` directly (not through an ancestor)."""
    return list(
        session.scalars(
            select(GroupAdmin.subject)
            .where(GroupAdmin.group_id == group.id)
            .order_by(GroupAdmin.subject)
        )
    )


def is_admin(session: Session, actor: Principal, group: Group) -> bool:
    """Operators always; otherwise an admin of ``group`` or of any group above it."""
    if not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    ids = [group.id, *(g.id for g in ancestors(session, group))]
    return (
        session.scalar(
            select(GroupAdmin.id)
            .where(GroupAdmin.group_id.in_(ids), GroupAdmin.subject == actor.subject)
            .limit(1)
        )
        is not None
    )


def require_admin(session: Session, actor: Principal, group: Group, what: str) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated(f"{what} needs an authenticated caller")
    if not is_admin(session, actor, group):
        raise Forbidden(f"{actor.subject} is not an admin of {group.path} and may not {what}")


def check_subject(session: Session, subject: str, field: str = "subject") -> str:
    """``subject`` if it is an account's voperson_id or a service account's subject."""
    subject = subject.strip()
    if subject and (
        session.scalar(select(Account.id).where(Account.voperson_id == subject)) is not None
        or session.scalar(select(Client.id).where(Client.service_subject == subject)) is not None
    ):
        return subject
    raise ValidationFailed(
        f"{subject!r} is neither an account's voperson_id nor a service account's subject",
        field=field,
    )


def record_event(
    session: Session,
    *,
    group: Group,
    subject: str,
    action: str,
    actor: Principal,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> MembershipEvent:
    event = MembershipEvent(
        group_id=group.id,
        subject=subject,
        action=action,
        actor=actor.subject,
        reason=reason,
        details=details or {},
    )
    session.add(event)
    return event


def page_events(
    *,
    session: Session,
    actor: Principal,
    group: Group,
    subject: str | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> Page[MembershipEvent]:
    """The group's audit log, oldest first (its admins); only ``subject``'s events if given."""
    require_admin(session, actor, group, "read the audit log")
    stmt = select(MembershipEvent).where(MembershipEvent.group_id == group.id)
    if subject is not None:
        stmt = stmt.where(MembershipEvent.subject == subject)
    return paginate(session, stmt, MembershipEvent.id, cursor=cursor, limit=limit)


def make_group(
    session: Session, *, vo: Vo, parent: Group | None, name: str, description: str = ""
) -> Group:
    """A new group with the role ``member``, no permission check (VO registration, below)."""
    path = f"{parent.path}/{name}" if parent is not None else name
    if session.scalar(select(Group.id).where(Group.path == path)) is not None:
        raise Conflict(f"group {path!r} already exists")
    group = Group(
        vo_id=vo.id,
        parent_id=parent.id if parent is not None else None,
        name=name,
        path=path,
        description=description,
    )
    session.add(group)
    session.flush()
    session.add(GroupRole(group_id=group.id, name=DEFAULT_ROLE))
    session.flush()
    return group


def create_group(*, session: Session, actor: Principal, path: str, description: str = "") -> Group:
    """A subgroup at ``path`` (``vo/.../name``), for an admin of its parent."""
    path = path.strip().strip("/")
    if "/" not in path:
        raise ValidationFailed(
            f"{path!r} is not a subgroup path; use VO/NAME (a VO's root group comes with the VO)",
            field="path",
        )
    parent_path, _, name = path.rpartition("/")
    check_name(name, "path")
    if len(description) > 2000:
        raise ValidationFailed("at most 2000 characters", field="description")
    parent = get_group(session=session, path=parent_path)
    require_admin(session, actor, parent, "create groups")
    group = make_group(
        session, vo=vo_of(session, parent), parent=parent, name=name, description=description
    )
    record_event(session, group=group, subject="", action="group_created", actor=actor)
    return group


def list_groups(*, session: Session, vo: Vo) -> list[Group]:
    """The VO's groups, the root first, then by path."""
    return list(session.scalars(select(Group).where(Group.vo_id == vo.id).order_by(Group.path)))


def add_role(
    *, session: Session, actor: Principal, group: Group, name: str, description: str = ""
) -> GroupRole:
    require_admin(session, actor, group, "define roles")
    name = check_name(name.strip(), "name")
    if len(description) > 2000:
        raise ValidationFailed("at most 2000 characters", field="description")
    if name in role_names(session, group):
        raise Conflict(f"{group.path} already has the role {name!r}")
    role = GroupRole(group_id=group.id, name=name, description=description)
    session.add(role)
    record_event(
        session, group=group, subject="", action="role_added", actor=actor, details={"role": name}
    )
    session.flush()
    return role


def add_admin(
    *, session: Session, actor: Principal, group: Group, subject: str, reason: str = ""
) -> GroupAdmin:
    require_admin(session, actor, group, "appoint admins")
    subject = check_subject(session, subject)
    if subject in admin_subjects(session, group):
        raise Conflict(f"{subject} is already an admin of {group.path}")
    admin = GroupAdmin(group_id=group.id, subject=subject)
    session.add(admin)
    record_event(
        session, group=group, subject=subject, action="admin_added", actor=actor, reason=reason
    )
    session.flush()
    return admin


def remove_admin(
    *, session: Session, actor: Principal, group: Group, subject: str, reason: str = ""
) -> None:
    """Remove a direct admin; a VO keeps at least one manager."""
    require_admin(session, actor, group, "remove admins")
    admin = session.scalar(
        select(GroupAdmin).where(GroupAdmin.group_id == group.id, GroupAdmin.subject == subject)
    )
    if admin is None:
        raise NotFound(f"{subject} is not an admin of {group.path}")
    if group.parent_id is None and len(admin_subjects(session, group)) == 1:
        raise Conflict(f"{subject} is the last manager of {group.path}; appoint another first")
    session.delete(admin)
    record_event(
        session, group=group, subject=subject, action="admin_removed", actor=actor, reason=reason
    )
    session.flush()
