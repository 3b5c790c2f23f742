"""Groups (subgroups, roles, admins) and their members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.aai.api.schemas import (
    AdminCreate,
    EventQuery,
    GroupDetailRead,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    RoleCreate,
    RoleRead,
    SubgroupCreate,
)
from fedcore.aai.models import Group, Membership
from fedcore.aai.schemas_vo import MembershipEventRead
from fedcore.aai.service import groups, memberships
from fedcore.core.api import created, page_read, whole
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead

router = APIRouter()

# ``{path:path}`` matches slashes, so the routes with a suffix come before the group itself.


def member_read(session: DbSession, group: Group, membership: Membership) -> MemberRead:
    return MemberRead(
        subject=membership.subject,
        group=group.path,
        roles=membership.roles,
        status=membership.status,
        effective_status=memberships.effective_status(session, membership),
        valid_from=membership.valid_from,
        expires_at=membership.expires_at,
        effective_expires_at=memberships.effective_expiry(session, membership),
        updated_at=membership.updated_at,
    )


@router.get(
    "/groups/{path:path}/members",
    summary="List a group's members with their effective status and expiry (its admins)",
    response_model=PageRead[MemberRead],
)
def list_members(session: DbSession, actor: CurrentPrincipal, path: str) -> PageRead[MemberRead]:
    group = groups.get_group(session=session, path=path)
    groups.require_admin(session, actor, group, "read the members")
    rows = memberships.list_members(session=session, group=group)
    return whole(rows, lambda m: member_read(session, group, m))


@router.post(
    "/groups/{path:path}/members",
    summary="Add a member directly (its admins; only where the VO has no AUP, or operators)",
    status_code=201,
    response_model=MemberRead,
)
def add_member(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    path: str,
    data: MemberCreate,
) -> MemberRead:
    group = groups.get_group(session=session, path=path)
    membership = memberships.add_member(
        session=session,
        actor=actor,
        group=group,
        subject=data.subject,
        roles=data.roles,
        expires_at=data.expires_at,
        valid_from=data.valid_from,
        reason=data.reason,
    )
    created(request, response, "list_members", path=group.path)
    return member_read(session, group, membership)


@router.patch(
    "/groups/{path:path}/members/{subject}",
    summary="Change a membership: roles, expiry (extension), suspend or resume (its admins)",
    response_model=MemberRead,
)
def update_member(
    session: DbSession, actor: CurrentPrincipal, path: str, subject: str, data: MemberUpdate
) -> MemberRead:
    group = groups.get_group(session=session, path=path)
    membership = memberships.get_membership(session=session, group=group, subject=subject)
    reason = data.reason
    if data.roles is not None:
        membership = memberships.set_roles(
            session=session,
            actor=actor,
            group=group,
            subject=subject,
            roles=data.roles,
            reason=reason,
        )
    if "expires_at" in data.model_fields_set:
        membership = memberships.extend_member(
            session=session,
            actor=actor,
            group=group,
            subject=subject,
            expires_at=data.expires_at,
            reason=reason,
        )
    if data.status == "suspended":
        membership = memberships.suspend_member(
            session=session, actor=actor, group=group, subject=subject, reason=reason
        )
    elif data.status == "active":
        membership = memberships.resume_member(
            session=session, actor=actor, group=group, subject=subject, reason=reason
        )
    return member_read(session, group, membership)


@router.delete(
    "/groups/{path:path}/members/{subject}",
    summary="Remove a member, and from the subgroups below (its admins)",
    response_model=MemberRead,
)
def remove_member(
    session: DbSession, actor: CurrentPrincipal, path: str, subject: str, reason: str = ""
) -> MemberRead:
    group = groups.get_group(session=session, path=path)
    membership = memberships.remove_member(
        session=session, actor=actor, group=group, subject=subject, reason=reason
    )
    return member_read(session, group, membership)


@router.post(
    "/groups/{path:path}/subgroups",
    summary="Create a subgroup (admins of the group)",
    status_code=201,
    response_model=GroupDetailRead,
)
def create_subgroup(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    path: str,
    data: SubgroupCreate,
) -> GroupDetailRead:
    group = groups.create_group(
        session=session,
        actor=actor,
        path=f"{path.strip('/')}/{data.name}",
        description=data.description,
    )
    created(request, response, "get_group", path=group.path)
    return group_read(session, group)


@router.post(
    "/groups/{path:path}/roles",
    summary="Define a role in a group (its admins)",
    status_code=201,
    response_model=RoleRead,
)
def add_role(session: DbSession, actor: CurrentPrincipal, path: str, data: RoleCreate) -> RoleRead:
    group = groups.get_group(session=session, path=path)
    role = groups.add_role(
        session=session, actor=actor, group=group, name=data.name, description=data.description
    )
    return RoleRead.model_validate(role)


@router.post(
    "/groups/{path:path}/admins",
    summary="Appoint a group admin; admins of the root group are the VO's managers",
    status_code=201,
    response_model=GroupDetailRead,
)
def add_admin(
    session: DbSession, actor: CurrentPrincipal, path: str, data: AdminCreate
) -> GroupDetailRead:
    group = groups.get_group(session=session, path=path)
    groups.add_admin(
        session=session, actor=actor, group=group, subject=data.subject, reason=data.reason
    )
    return group_read(session, group)


@router.delete(
    "/groups/{path:path}/admins/{subject}",
    summary="Remove a group admin (a VO keeps at least one manager)",
    response_model=GroupDetailRead,
)
def remove_admin(
    session: DbSession, actor: CurrentPrincipal, path: str, subject: str, reason: str = ""
) -> GroupDetailRead:
    group = groups.get_group(session=session, path=path)
    groups.remove_admin(session=session, actor=actor, group=group, subject=subject, reason=reason)
    return group_read(session, group)


def group_read(session: DbSession, group: Group) -> GroupDetailRead:
    vo = groups.vo_of(session, group)
    below = groups.list_groups(session=session, vo=vo)
    return GroupDetailRead(
        path=group.path,
        name=group.name,
        description=group.description,
        created_at=group.created_at,
        vo=vo.name,
        parent=group.path.rpartition("/")[0] or None,
        roles=groups.role_names(session, group),
        admins=groups.admin_subjects(session, group),
        subgroups=[g.path for g in below if g.parent_id == group.id],
    )


@router.get(
    "/groups/{path:path}/events",
    summary="The group's audit log, oldest first: every change of its members, roles and admins "
    "with actor, time and reason (its admins)",
    response_model=PageRead[MembershipEventRead],
)
def list_events(
    session: DbSession,
    actor: CurrentPrincipal,
    path: str,
    query: Annotated[EventQuery, Query()],
) -> PageRead[MembershipEventRead]:
    group = groups.get_group(session=session, path=path)
    page = groups.page_events(
        session=session,
        actor=actor,
        group=group,
        subject=query.subject,
        cursor=query.cursor,
        limit=query.limit,
    )
    return page_read(page, MembershipEventRead.model_validate)


@router.get(
    "/groups/{path:path}",
    summary="Get a group with its roles, direct admins and subgroups",
    response_model=GroupDetailRead,
)
def get_group(session: DbSession, path: str) -> GroupDetailRead:
    return group_read(session, groups.get_group(session=session, path=path))
