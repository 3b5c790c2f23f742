"""Entitlements in the access token, per client setting (issue 5 §5): a client with
``entitlements_in_token`` gets the subject's current entitlements as ``eduperson_entitlement`` in
the JWT when the scope asks for them; other clients and other scopes do not; introspection stays
the live answer. Only operators switch the setting."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.enums import ClientStatus
from fedcore.aai.schemas import ClientCreate, ClientUpdate
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import clients, groups, memberships, tokens, vos
from fedcore.core.config import Settings
from fedcore.core.errors import Forbidden
from fedcore.core.security import Principal
from tests.aai.oauth import make_client, make_person

OPERATOR = Principal(subject="operator@fedcore.test", is_admin=True)
OWNER = Principal(subject="owner@fedcore.test")
MEMBER = "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu"
ASSIGNED = "urn:mace:egi.eu:res:rcauth#aai.egi.eu"


def _member(session: Session, subject: str) -> None:
    vos.register_vo(session=session, actor=OPERATOR, data=VoCreate(name="vo.example.org"))
    root = groups.get_group(session=session, path="vo.example.org")
    memberships.add_member(session=session, actor=OPERATOR, group=root, subject=subject)


def _claims(session: Session, access: str) -> dict[str, Any]:
    return tokens.decode_signed(session=session, token=access, typ=tokens.ACCESS_TOKEN_TYPE)


def _cc_token(client: TestClient, auth: tuple[str, str], scope: str) -> str:
    response = client.post(
        "/oidc/token", data={"grant_type": "client_credentials", "scope": scope}, auth=auth
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_a_client_that_asks_gets_the_current_entitlements_in_its_tokens(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(
        session, settings, grants=["client_credentials"], scopes="eduperson_entitlement openid"
    )
    rs = make_client(session, settings, grants=["client_credentials"], scopes="openid", name="rs")
    svc.row.entitlements = [ASSIGNED]
    assert svc.row.service_subject is not None
    _member(session, svc.row.service_subject)
    session.commit()
    plain = _cc_token(client, svc.auth, "eduperson_entitlement")
    assert "eduperson_entitlement" not in _claims(session, plain)  # the default: not in tokens

    clients.update_client(
        session=session,
        settings=settings,
        actor=OPERATOR,
        client_id=svc.client_id,
        data=ClientUpdate(entitlements_in_token=True),
    )
    session.commit()
    access = _cc_token(client, svc.auth, "eduperson_entitlement")
    assert _claims(session, access)["eduperson_entitlement"] == [ASSIGNED, MEMBER]
    without_scope = _cc_token(client, svc.auth, "openid")
    assert "eduperson_entitlement" not in _claims(session, without_scope)

    svc.row.entitlements = []
    session.commit()
    introspected = client.post("/oidc/introspect", data={"token": access}, auth=rs.auth).json()
    assert introspected["active"] is True
    assert introspected["eduperson_entitlement"] == [MEMBER]  # live, not the token's snapshot


def test_a_persons_token_carries_entitlements_for_the_entitlements_scope(
    session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    _member(session, account.voperson_id)
    rp = make_client(session, settings, grants=["authorization_code"], scopes="openid entitlements")
    rp.row.entitlements_in_token = True
    grant = tokens.create_grant(
        session=session,
        client=rp.row,
        account=account,
        scope="openid entitlements",
        source="authorization_code",
    )
    access, _ = tokens.issue_access_token(
        session=session,
        settings=settings,
        client=rp.row,
        grant=grant,
        subject=account.voperson_id,
        scope="openid entitlements",
    )
    assert _claims(session, access)["eduperson_entitlement"] == [MEMBER]


def test_only_operators_switch_entitlements_in_token(session: Session, settings: Settings) -> None:
    data = ClientCreate(
        name="portal",
        grant_types=["client_credentials"],
        scopes=["openid", "eduperson_entitlement"],
        entitlements_in_token=True,
    )
    with pytest.raises(Forbidden) as refused:
        clients.register_client(session=session, settings=settings, actor=OWNER, data=data)
    assert refused.value.field == "entitlements_in_token"
    assert "only operators" in refused.value.detail

    owned, _ = clients.register_client(
        session=session,
        settings=settings,
        actor=OWNER,
        data=data.model_copy(update={"entitlements_in_token": False}),
    )
    with pytest.raises(Forbidden) as refused:
        clients.update_client(
            session=session,
            settings=settings,
            actor=OWNER,
            client_id=owned.client_id,
            data=ClientUpdate(entitlements_in_token=True),
        )
    assert refused.value.field == "entitlements_in_token"
    assert owned.entitlements_in_token is False

    clients.update_client(
        session=session,
        settings=settings,
        actor=OPERATOR,
        client_id=owned.client_id,
        data=ClientUpdate(entitlements_in_token=True),
    )
    clients.decide_client(
        session=session, actor=OPERATOR, client_id=owned.client_id, status=ClientStatus.APPROVED
    )
    renamed = clients.update_client(
        session=session,
        settings=settings,
        actor=OWNER,
        client_id=owned.client_id,
        data=ClientUpdate(name="portal 2", entitlements_in_token=True),
    )
    assert (renamed.name, renamed.entitlements_in_token) == ("portal 2", True)
    assert renamed.status == ClientStatus.APPROVED
