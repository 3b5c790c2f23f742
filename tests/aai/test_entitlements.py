"""Group entitlements (AARC-G069): their form, how the aarc-entitlement library (what flaat uses)
matches them (reference §A.7 table), and their release through userinfo and introspection at
request time, for persons and service accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aarc_entitlement import G069
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.enums import VoStatus
from fedcore.aai.models import Account, Group
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import entitlements, first_party, groups, memberships, tokens, vos
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.security import Principal
from tests.aai.oauth import make_client, make_person

OPERATOR = Principal(subject="operator@fedcore.test", is_admin=True)
SCOPE = "openid eduperson_entitlement"


def community(session: Session) -> tuple[Group, Group, Group]:
    """vo.example.org with cloud (roles member, vm_operator) and cloud/ops."""
    vos.register_vo(session=session, actor=OPERATOR, data=VoCreate(name="vo.example.org"))
    root = groups.get_group(session=session, path="vo.example.org")
    cloud = groups.create_group(session=session, actor=OPERATOR, path="vo.example.org/cloud")
    groups.add_role(session=session, actor=OPERATOR, group=cloud, name="vm_operator")
    ops = groups.create_group(session=session, actor=OPERATOR, path="vo.example.org/cloud/ops")
    return root, cloud, ops


def join(session: Session, subject: str, *memberships_: tuple[Group, list[str]]) -> None:
    for group, roles in memberships_:
        memberships.add_member(
            session=session, actor=OPERATOR, group=group, subject=subject, roles=roles
        )


def held(session: Session, settings: Settings, subject: str) -> list[str]:
    return entitlements.group_entitlements(session=session, settings=settings, subject=subject)


def test_one_value_per_group_and_role_in_the_g069_form(
    session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    root, cloud, ops = community(session)
    join(session, account.voperson_id, (root, ["member"]), (cloud, ["member", "vm_operator"]))
    join(session, account.voperson_id, (ops, ["member"]))
    values = held(session, settings, account.voperson_id)
    assert values == [
        "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu",
        "urn:mace:egi.eu:group:vo.example.org:cloud:role=member#aai.egi.eu",
        "urn:mace:egi.eu:group:vo.example.org:cloud:role=vm_operator#aai.egi.eu",
        "urn:mace:egi.eu:group:vo.example.org:cloud:ops:role=member#aai.egi.eu",
    ]
    parsed = [G069(value) for value in values]
    assert [(e.group, e.subgroups, e.role, e.group_authority) for e in parsed] == [
        ("vo.example.org", (), "member", "aai.egi.eu"),
        ("vo.example.org", ("cloud",), "member", "aai.egi.eu"),
        ("vo.example.org", ("cloud",), "vm_operator", "aai.egi.eu"),
        ("vo.example.org", ("cloud", "ops"), "member", "aai.egi.eu"),
    ]
    custom = settings.model_copy(
        update={"entitlement_namespace": "urn:geant:example.org", "entitlement_authority": "x.org"}
    )
    assert held(session, custom, account.voperson_id)[0] == (
        "urn:geant:example.org:group:vo.example.org:role=member#x.org"
    )
    assert G069(held(session, custom, account.voperson_id)[0]).group == "vo.example.org"


NS = "urn:mace:egi.eu:group"


@pytest.mark.parametrize(
    ("path", "role", "requirement", "satisfied"),
    [
        ("vo.example.org", "member", f"{NS}:vo.example.org:role=member#aai.egi.eu", True),
        ("vo.example.org", "member", f"{NS}:vo.example.org:role=member#other.org", True),
        ("vo.example.org/cloud", "member", f"{NS}:vo.example.org#aai.egi.eu", True),
        ("vo.example.org", "member", f"{NS}:vo.example.org#aai.egi.eu", True),
        ("vo.example.org/cloud", "vm_operator", f"{NS}:vo.example.org#aai.egi.eu", True),
        ("vo.example.org/cloud", "vm_operator", f"{NS}:vo.example.org:cloud#x.org", True),
        ("vo.example.org/cloud", "vm_operator", f"{NS}:vo.example.org:role=member#x", False),
        (
            "vo.example.org/cloud",
            "vm_operator",
            f"{NS}:vo.example.org:cloud:role=member#aai.egi.eu",
            False,
        ),
        ("vo.example.org", "member", f"{NS}:vo.example.org:cloud#aai.egi.eu", False),
        ("vo.example.org", "member", f"{NS}:other.org:role=member#aai.egi.eu", False),
    ],
)
def test_what_an_emitted_entitlement_satisfies(
    settings: Settings, path: str, role: str, requirement: str, satisfied: bool
) -> None:
    """Reference §A.7: the authority is ignored, a subgroup's membership satisfies its parent
    group, a requirement without a role is met by any role, roles are not hierarchical."""
    emitted = G069(entitlements.group_entitlement(settings, path, role))
    assert emitted.satisfies(G069(requirement)) is satisfied


def test_an_entitlement_without_a_role_does_not_satisfy_a_role_requirement() -> None:
    plain = G069(f"{NS}:vo.example.org#aai.egi.eu")
    assert not plain.satisfies(G069(f"{NS}:vo.example.org:role=member#aai.egi.eu"))


def _person_token(session: Session, settings: Settings, account: Account) -> str:
    web = first_party.web_client(session=session, settings=settings)
    grant = tokens.create_grant(
        session=session, client=web, account=account, scope=SCOPE, source="authorization_code"
    )
    access, _ = tokens.issue_access_token(
        session=session,
        settings=settings,
        client=web,
        grant=grant,
        subject=account.voperson_id,
        scope=SCOPE,
    )
    session.commit()
    return access


def test_userinfo_follows_membership_changes_without_a_new_token(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    access = _person_token(session, settings, account)
    headers = {"Authorization": f"Bearer {access}"}

    def userinfo() -> list[str]:
        response = client.get("/oidc/userinfo", headers=headers)
        assert response.status_code == 200, response.text
        values: list[str] = response.json()["eduperson_entitlement"]
        return values

    root, cloud, _ = community(session)
    session.commit()
    assert userinfo() == []
    join(session, account.voperson_id, (root, ["member"]), (cloud, ["vm_operator"]))
    session.commit()
    vm_operator = "urn:mace:egi.eu:group:vo.example.org:cloud:role=vm_operator#aai.egi.eu"
    assert userinfo() == [
        "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu",
        vm_operator,
    ]

    memberships.remove_member(
        session=session, actor=OPERATOR, group=cloud, subject=account.voperson_id
    )
    session.commit()
    assert userinfo() == ["urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu"]

    top = memberships.get_membership(session=session, group=root, subject=account.voperson_id)
    top.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert userinfo() == []

    vo = vos.get_vo(session=session, name="vo.example.org")
    memberships.extend_member(
        session=session,
        actor=OPERATOR,
        group=root,
        subject=account.voperson_id,
        expires_at=utcnow() + timedelta(days=30),
    )
    vos.decide_vo(session=session, actor=OPERATOR, name=vo.name, status=VoStatus.SUSPENDED)
    session.commit()
    assert userinfo() == []
    vos.decide_vo(session=session, actor=OPERATOR, name=vo.name, status=VoStatus.ACTIVE)
    session.commit()
    assert userinfo() == ["urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu"]


def test_service_accounts_get_assigned_and_group_entitlements(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=["client_credentials"], scopes=SCOPE)
    rs = make_client(session, settings, grants=["client_credentials"], scopes="openid", name="rs")
    assigned = "urn:mace:egi.eu:res:rcauth#aai.egi.eu"
    svc.row.entitlements = [assigned]
    root, _, _ = community(session)
    subject = svc.row.service_subject
    assert subject is not None
    join(session, subject, (root, ["member"]))
    session.commit()
    response = client.post(
        "/oidc/token", data={"grant_type": "client_credentials", "scope": SCOPE}, auth=svc.auth
    )
    access = response.json()["access_token"]
    member = "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu"
    info = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}"}).json()
    assert info["eduperson_entitlement"] == [assigned, member]
    introspected = client.post("/oidc/introspect", data={"token": access}, auth=rs.auth).json()
    assert introspected["eduperson_entitlement"] == [assigned, member]
    memberships.suspend_member(session=session, actor=OPERATOR, group=root, subject=subject)
    session.commit()
    introspected = client.post("/oidc/introspect", data={"token": access}, auth=rs.auth).json()
    assert introspected["eduperson_entitlement"] == [assigned]
