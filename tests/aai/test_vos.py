"""VOs, groups and memberships through the service layer: registration and decisions, the ID
card, admin rights down the tree, membership rules, effective status and expiry, the audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.enums import MembershipStatus, VoStatus
from fedcore.aai.models import Account, GroupRole, Membership, MembershipEvent, Vo
from fedcore.aai.schemas_vo import VoCreate, VoUpdate
from fedcore.aai.service import groups, memberships, vos
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from fedcore.core.security import Principal
from tests.aai.oauth import make_client, make_person

OPERATOR = Principal(subject="operator@fedcore.test", is_admin=True)


def person(session: Session, settings: Settings, email: str) -> tuple[Account, Principal]:
    account, _ = make_person(session, settings, email=email)
    return account, Principal(subject=account.voperson_id)


def active_vo(
    session: Session, manager: Principal, name: str = "vo.example.org", **card: Any
) -> Vo:
    vo = vos.register_vo(session=session, actor=manager, data=VoCreate(name=name, **card))
    vos.decide_vo(session=session, actor=OPERATOR, name=name, status=VoStatus.ACTIVE)
    return vo


def test_registration_makes_a_pending_vo_with_a_root_group_and_its_manager(
    session: Session, settings: Settings
) -> None:
    _, ada = person(session, settings, "ada@example.org")
    vo = vos.register_vo(
        session=session,
        actor=ada,
        data=VoCreate(name=" VO.Example.org ", description="d", contacts=["Ops@Example.org"]),
    )
    assert (vo.name, vo.status, vo.registered_by, vo.aup_version) == (
        "vo.example.org",
        "pending",
        ada.subject,
        1,
    )
    assert vo.contacts == ["ops@example.org"]
    root = groups.get_group(session=session, path="vo.example.org")
    assert root.parent_id is None
    assert groups.role_names(session, root) == ["member"]
    assert vos.managers(session, vo) == [ada.subject]
    assert groups.is_admin(session, ada, root)
    assert vos.list_vos(session=session) == []
    assert vos.list_vos(session=session, include_hidden=True) == [vo]
    with pytest.raises(Forbidden):
        vos.decide_vo(session=session, actor=ada, name=vo.name, status=VoStatus.ACTIVE)
    vos.decide_vo(session=session, actor=OPERATOR, name=vo.name, status=VoStatus.ACTIVE)
    assert vos.list_vos(session=session) == [vo]
    assert vo.decided_by == OPERATOR.subject
    with pytest.raises(RuleViolation, match="is active and cannot become active"):
        vos.decide_vo(session=session, actor=OPERATOR, name=vo.name, status=VoStatus.ACTIVE)
    with pytest.raises(Conflict) as clash:
        vos.register_vo(session=session, actor=ada, data=VoCreate(name="vo.example.org"))
    assert clash.value.field == "name"
    with pytest.raises(NotFound, match=re.escape("no VO 'nope.org'")):
        vos.get_vo(session=session, name="nope.org")


@pytest.mark.parametrize(
    "name", ["Bad_Name", "-vo.org", "vo..org", "vo.org-", "vo/sub", "", "a" * 64 + ".org"]
)
def test_vo_names_are_dns_style(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        VoCreate(name=name)
    [error] = refused.value.errors()
    assert error["loc"] == ("name",)


def test_id_card_fields_are_checked() -> None:
    with pytest.raises(ValidationError) as refused:
        VoCreate(name="vo.org", homepage="ftp://x.org", contacts=["not an address"])
    assert {e["loc"] for e in refused.value.errors()} == {("homepage",), ("contacts",)}


def test_only_managers_and_operators_edit_the_card_and_a_new_aup_is_a_new_version(
    session: Session, settings: Settings
) -> None:
    _, ada = person(session, settings, "ada@example.org")
    _, bob = person(session, settings, "bob@example.org")
    vo = active_vo(session, ada, aup_url="https://vo.example.org/aup")
    with pytest.raises(Forbidden):
        vos.update_vo(session=session, actor=bob, name=vo.name, data=VoUpdate(description="x"))
    vos.update_vo(session=session, actor=ada, name=vo.name, data=VoUpdate(description="new"))
    assert (vo.description, vo.aup_version) == ("new", 1)
    vos.update_vo(
        session=session,
        actor=ada,
        name=vo.name,
        data=VoUpdate(aup_url="https://vo.example.org/aup"),
    )
    assert vo.aup_version == 1
    vos.update_vo(session=session, actor=OPERATOR, name=vo.name, data=VoUpdate(aup_text="Be nice"))
    assert (vo.aup_text, vo.aup_version) == ("Be nice", 2)


def test_groups_form_a_tree_and_admin_rights_flow_down(
    session: Session, settings: Settings
) -> None:
    _, ada = person(session, settings, "ada@example.org")
    _, bob = person(session, settings, "bob@example.org")
    active_vo(session, ada)
    with pytest.raises(NotFound, match=re.escape("no group 'vo.example.org/nope'")):
        groups.create_group(session=session, actor=ada, path="vo.example.org/nope/deeper")
    cloud = groups.create_group(session=session, actor=ada, path="vo.example.org/cloud")
    with pytest.raises(Forbidden):
        groups.create_group(session=session, actor=bob, path="vo.example.org/cloud/x")
    groups.add_admin(session=session, actor=ada, group=cloud, subject=bob.subject)
    ops = groups.create_group(session=session, actor=bob, path="vo.example.org/cloud/ops")
    assert ops.path == "vo.example.org/cloud/ops"
    assert [g.path for g in groups.ancestors(session, ops)] == [
        "vo.example.org",
        "vo.example.org/cloud",
    ]
    root = groups.get_group(session=session, path="vo.example.org")
    assert groups.is_admin(session, bob, ops)
    assert not groups.is_admin(session, bob, root)
    assert groups.is_admin(session, ada, ops)
    assert groups.is_admin(session, OPERATOR, ops)
    with pytest.raises(Conflict):
        groups.create_group(session=session, actor=ada, path="vo.example.org/cloud")
    with pytest.raises(ValidationFailed) as bad:
        groups.create_group(session=session, actor=ada, path="vo.example.org/a:b")
    assert bad.value.field == "path"
    role = groups.add_role(session=session, actor=bob, group=ops, name="vm_operator")
    assert isinstance(role, GroupRole)
    assert groups.role_names(session, ops) == ["member", "vm_operator"]
    with pytest.raises(Conflict, match="last manager"):
        groups.remove_admin(session=session, actor=ada, group=root, subject=ada.subject)
    groups.remove_admin(session=session, actor=ada, group=cloud, subject=bob.subject)
    assert not groups.is_admin(session, bob, ops)


def test_membership_rules(session: Session, settings: Settings) -> None:
    _, ada = person(session, settings, "ada@example.org")
    bob, _ = person(session, settings, "bob@example.org")
    vo = active_vo(session, ada)
    root = vos.root_group(session, vo)
    cloud = groups.create_group(session=session, actor=ada, path=f"{vo.name}/cloud")

    def add(**kwargs: Any) -> Membership:
        return memberships.add_member(session=session, actor=ada, **kwargs)

    with pytest.raises(ValidationFailed) as unknown_role:
        add(group=root, subject=bob.voperson_id, roles=["member", "vm_operator", "boss"])
    assert unknown_role.value.field == "roles"
    assert "'vm_operator', 'boss'" in unknown_role.value.detail
    with pytest.raises(ValidationFailed) as nobody:
        add(group=root, subject="nobody@example.org")
    assert nobody.value.field == "subject"
    with pytest.raises(
        RuleViolation, match=re.escape("not a member of vo.example.org; add them there")
    ):
        add(group=cloud, subject=bob.voperson_id)
    with pytest.raises(ValidationFailed) as too_long:
        add(group=root, subject=bob.voperson_id, expires_at=utcnow() + timedelta(days=366))
    assert too_long.value.field == "expires_at"
    assert session.scalars(select(Membership)).all() == []

    membership = add(group=root, subject=bob.voperson_id, reason="welcome")
    assert membership.roles == ["member"]
    assert membership.expires_at is not None
    assert timedelta(days=364) < membership.expires_at - utcnow() <= timedelta(days=365)
    with pytest.raises(Conflict):
        add(group=root, subject=bob.voperson_id)
    below = add(group=cloud, subject=bob.voperson_id, expires_at=None)
    assert below.expires_at is None
    assert memberships.effective_expiry(session, below) == membership.expires_at
    [event] = session.scalars(
        select(MembershipEvent).where(
            MembershipEvent.subject == bob.voperson_id,
            MembershipEvent.group_id == root.id,
        )
    ).all()
    assert (event.action, event.actor, event.reason) == ("added", ada.subject, "welcome")
    assert event.details["roles"] == ["member"]


def test_direct_add_only_where_the_vo_has_no_aup(session: Session, settings: Settings) -> None:
    _, ada = person(session, settings, "ada@example.org")
    bob, _ = person(session, settings, "bob@example.org")
    carol, _ = person(session, settings, "carol@example.org")
    vo = active_vo(session, ada, aup_text="Use it for research only.")
    root = vos.root_group(session, vo)
    with pytest.raises(RuleViolation, match="acceptable-use policy") as refused:
        memberships.add_member(session=session, actor=ada, group=root, subject=bob.voperson_id)
    assert refused.value.field == "subject"
    accepted = memberships.add_member(
        session=session, actor=ada, group=root, subject=bob.voperson_id, aup_version=1
    )
    assert accepted.status == MembershipStatus.ACTIVE
    by_operator = memberships.add_member(
        session=session, actor=OPERATOR, group=root, subject=carol.voperson_id
    )
    assert by_operator.status == MembershipStatus.ACTIVE


def test_suspension_and_expiry_cascade_down_and_removal_takes_the_subtree(
    session: Session, settings: Settings
) -> None:
    _, ada = person(session, settings, "ada@example.org")
    bob, _ = person(session, settings, "bob@example.org")
    vo = active_vo(session, ada)
    root = vos.root_group(session, vo)
    cloud = groups.create_group(session=session, actor=ada, path=f"{vo.name}/cloud")
    subject = bob.voperson_id
    top = memberships.add_member(session=session, actor=ada, group=root, subject=subject)
    below = memberships.add_member(session=session, actor=ada, group=cloud, subject=subject)

    def in_force() -> list[str]:
        return [g.path for g, _ in memberships.active_memberships(session, subject)]

    assert in_force() == [vo.name, f"{vo.name}/cloud"]
    memberships.suspend_member(session=session, actor=ada, group=root, subject=subject)
    assert in_force() == []
    assert memberships.effective_status(session, below) == MembershipStatus.SUSPENDED
    memberships.resume_member(session=session, actor=ada, group=root, subject=subject)
    assert in_force() == [vo.name, f"{vo.name}/cloud"]

    assert top.expires_at is not None
    later = top.expires_at + timedelta(seconds=1)
    assert memberships.active_memberships(session, subject, later) == []
    assert memberships.effective_status(session, below, later) == MembershipStatus.EXPIRED
    memberships.extend_member(
        session=session,
        actor=ada,
        group=cloud,
        subject=subject,
        expires_at=utcnow() + timedelta(days=30),
    )
    assert memberships.effective_expiry(session, below) == below.expires_at
    with pytest.raises(ValidationFailed) as too_long:
        memberships.extend_member(
            session=session,
            actor=ada,
            group=root,
            subject=subject,
            expires_at=utcnow() + timedelta(days=400),
        )
    assert too_long.value.field == "expires_at"

    future = memberships.set_roles(
        session=session, actor=ada, group=cloud, subject=subject, roles=["member"]
    )
    future.valid_from = utcnow() + timedelta(days=1)
    assert memberships.effective_status(session, future) == MembershipStatus.PENDING
    assert in_force() == [vo.name]

    vos.decide_vo(session=session, actor=OPERATOR, name=vo.name, status=VoStatus.SUSPENDED)
    assert in_force() == []
    vos.decide_vo(session=session, actor=OPERATOR, name=vo.name, status=VoStatus.ACTIVE)

    memberships.remove_member(session=session, actor=ada, group=root, subject=subject, reason="x")
    assert (top.status, below.status) == (MembershipStatus.REMOVED, MembershipStatus.REMOVED)
    assert in_force() == []
    actions = session.scalars(
        select(MembershipEvent.action)
        .where(MembershipEvent.subject == subject)
        .order_by(MembershipEvent.id)
    ).all()
    assert actions == [
        "added",
        "added",
        "suspended",
        "resumed",
        "expiry_shortened",
        "removed",
        "removed",
    ]
    again = memberships.add_member(session=session, actor=ada, group=root, subject=subject)
    assert again.id == top.id
    assert again.status == MembershipStatus.ACTIVE


def test_a_service_account_can_be_a_member(session: Session, settings: Settings) -> None:
    _, ada = person(session, settings, "ada@example.org")
    svc = make_client(session, settings, grants=["client_credentials"], scopes="openid")
    vo = active_vo(session, ada)
    subject = svc.row.service_subject
    assert subject is not None
    memberships.add_member(
        session=session, actor=ada, group=vos.root_group(session, vo), subject=subject
    )
    assert [g.path for g, _ in memberships.active_memberships(session, subject)] == [vo.name]


def test_operators_register_active_vos_for_a_named_manager(
    session: Session, settings: Settings
) -> None:
    bob, _ = person(session, settings, "bob@example.org")
    vo = vos.register_vo(
        session=session, actor=OPERATOR, data=VoCreate(name="ops.org"), manager=bob.voperson_id
    )
    assert vo.status == VoStatus.ACTIVE
    assert vos.managers(session, vo) == [bob.voperson_id]
    with pytest.raises(ValidationFailed) as unknown:
        vos.register_vo(
            session=session, actor=OPERATOR, data=VoCreate(name="x.org"), manager="ghost"
        )
    assert unknown.value.field == "manager"


def test_a_subgroup_membership_is_in_force_only_while_its_parent_is(
    session: Session, settings: Settings
) -> None:
    _, ada = person(session, settings, "ada@example.org")
    bob, _ = person(session, settings, "bob@example.org")
    vo = active_vo(session, ada)
    cloud = groups.create_group(session=session, actor=ada, path=f"{vo.name}/cloud")
    ops = groups.create_group(session=session, actor=ada, path=f"{vo.name}/cloud/ops")
    subject = bob.voperson_id
    rows = [
        memberships.add_member(session=session, actor=ada, group=group, subject=subject)
        for group in (vos.root_group(session, vo), cloud, ops)
    ]
    now = utcnow()

    def in_force() -> list[str]:
        return [path for path, _ in memberships.roles_in_force(session, subject, now)]

    assert in_force() == [vo.name, f"{vo.name}/cloud", f"{vo.name}/cloud/ops"]
    rows[1].valid_from = now + timedelta(hours=1)
    assert in_force() == [vo.name]
    assert memberships.effective_status(session, rows[2], now) == MembershipStatus.PENDING
    rows[1].valid_from = now - timedelta(hours=1)
    rows[1].status = MembershipStatus.EXPIRED
    assert in_force() == [vo.name]
    assert memberships.effective_status(session, rows[2], now) == MembershipStatus.EXPIRED
    rows[1].status = MembershipStatus.ACTIVE
    rows[2].expires_at = now
    assert in_force() == [vo.name, f"{vo.name}/cloud"]
    assert [g.path for g, _ in memberships.active_memberships(session, subject, now)] == in_force()
