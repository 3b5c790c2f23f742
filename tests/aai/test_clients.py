"""OIDC clients and service accounts through the service layer: the registration rules with
their field names, approval, secrets, service subjects, entitlements and who may do what."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.enums import ClientStatus, GrantType
from fedcore.aai.models import Account, Client, Consent, TokenGrant
from fedcore.aai.schemas import ClientCreate, ClientUpdate
from fedcore.aai.service import clients, tokens
from fedcore.core.config import Settings
from fedcore.core.errors import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from fedcore.core.security import ANONYMOUS, Principal, hash_token, principal_for
from tests.conftest import ADMIN

OPERATOR = principal_for(ADMIN, ADMIN)
ALICE = principal_for("alice@example.org", ADMIN)
BOB = principal_for("bob@example.org", ADMIN)

WEB_APP: dict[str, Any] = {
    "name": "Web app",
    "grant_types": ["code", "refresh"],
    "redirect_uris": ["https://app.example.org/callback"],
    "scopes": "openid profile email offline_access",
}
SERVICE: dict[str, Any] = {"name": "Monitoring probe", "grant_types": ["client_credentials"]}
CLI_APP: dict[str, Any] = {"name": "Command line", "public": True, "grant_types": ["device"]}


def register(
    session: Session, settings: Settings, actor: Principal, **data: Any
) -> tuple[Client, str | None]:
    return clients.register_client(
        session=session, settings=settings, actor=actor, data=ClientCreate(**data)
    )


def errors(exc: ValidationError) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "at least 1 character"),
        ({"grant_types": ["password"]}, "grant_types", "'password' is not a grant type; use"),
        ({"grant_types": []}, "grant_types", "choose at least one grant type"),
        ({"grant_types": ["refresh"]}, "grant_types", "refresh_token needs a grant"),
        ({"redirect_uris": []}, "redirect_uris", "authorization_code grant needs at least one"),
        ({"redirect_uris": ["/callback"]}, "redirect_uris", "is not an absolute URI"),
        ({"redirect_uris": ["http://app.example.org/cb"]}, "redirect_uris", "http is only"),
        ({"redirect_uris": ["org.example.app:/cb"]}, "redirect_uris", "scheme is not allowed"),
        ({"redirect_uris": ["https://app.example.org/#x"]}, "redirect_uris", "fragment"),
        ({"redirect_uris": ["https://u:p@app.example.org/"]}, "redirect_uris", "user name"),
        ({"redirect_uris": ["https://app.example.org:99999/"]}, "redirect_uris", "port"),
        (
            {"post_logout_redirect_uris": ["http://app.example.org/bye"]},
            "post_logout_redirect_uris",
            "http is only allowed on a loopback host",
        ),
        ({"scopes": "openid groups"}, "scopes", "'groups' is not a scope of this provider"),
        ({"scopes": ""}, "scopes", "choose at least one scope"),
        (
            {"public": True, "grant_types": ["code", "client_credentials"]},
            "grant_types",
            "a public client cannot use client_credentials",
        ),
        (
            {"public": True, "grant_types": ["code", "token-exchange"]},
            "grant_types",
            "cannot use urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ({"public": True, "pkce_required": False}, "pkce_required", "always use PKCE"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_registration_rules_name_the_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        ClientCreate(**{**WEB_APP, **changes})
    found = errors(exc.value)
    assert list(found) == [field]
    assert message in found[field]


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.org/callback?x=1",
        "http://127.0.0.1:8080/cb",
        "http://[::1]:4242/",
        "http://localhost:43985/redirect",
    ],
)
def test_https_and_loopback_redirect_uris_are_accepted(uri: str) -> None:
    assert ClientCreate(**{**WEB_APP, "redirect_uris": [uri]}).redirect_uris == [uri]


def test_aliases_defaults_and_duplicates() -> None:
    data = ClientCreate(name="x", grant_types=["device", "refresh", "device"], public=True)
    assert data.grant_types == [GrantType.DEVICE_CODE, GrantType.REFRESH_TOKEN]
    assert data.scopes == ["openid", "profile", "email"]
    assert data.pkce_required is True
    assert data.redirect_uris == []


def test_a_users_client_waits_for_approval_with_a_hashed_secret(
    session: Session, settings: Settings
) -> None:
    client, secret = register(session, settings, ALICE, **WEB_APP)
    assert client.status == ClientStatus.PENDING
    assert client.decided_at is None
    assert client.owner_subject == "alice@example.org"
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", client.client_id
    )
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.scopes == ["openid", "profile", "email", "offline_access"]
    assert client.service_subject is None
    assert secret is not None
    assert len(secret) >= 43
    assert client.secret_hash == hash_token(secret)
    assert secret not in client.secret_hash
    assert clients.check_client_secret(client, secret)
    assert not clients.check_client_secret(client, secret + "x")
    assert not clients.check_client_secret(client, "")


def test_an_operators_client_is_approved_at_once(session: Session, settings: Settings) -> None:
    client, _ = register(session, settings, OPERATOR, **WEB_APP)
    assert client.status == ClientStatus.APPROVED
    assert client.decided_by == ADMIN
    assert client.decided_at is not None


def test_a_public_client_has_no_secret(session: Session, settings: Settings) -> None:
    client, secret = register(session, settings, ALICE, **CLI_APP)
    assert secret is None
    assert client.secret_hash is None
    assert not clients.check_client_secret(client, "")
    with pytest.raises(RuleViolation, match="no secret"):
        clients.rotate_client_secret(session=session, actor=ALICE, client_id=client.client_id)


def test_anonymous_cannot_register_or_list(session: Session, settings: Settings) -> None:
    with pytest.raises(NotAuthenticated):
        register(session, settings, ANONYMOUS, **WEB_APP)
    with pytest.raises(NotAuthenticated):
        clients.list_clients(session=session, actor=ANONYMOUS)


def test_service_subject_is_minted_once(session: Session, settings: Settings) -> None:
    settings = settings.model_copy(update={"aai_domain": "fedcore.test"})
    first, _ = register(session, settings, ALICE, **SERVICE)
    second, _ = register(session, settings, ALICE, **SERVICE)
    assert first.service_subject is not None
    assert re.fullmatch(r"[0-9a-f]{32}@fedcore\.test", first.service_subject)
    assert first.service_subject != second.service_subject
    subject = first.service_subject
    clients.update_client(
        session=session,
        settings=settings,
        actor=ALICE,
        client_id=first.client_id,
        data=ClientUpdate(name="Renamed", grant_types=["client_credentials", "token-exchange"]),
    )
    clients.rotate_client_secret(session=session, actor=ALICE, client_id=first.client_id)
    clients.decide_client(
        session=session, actor=OPERATOR, client_id=first.client_id, status="approved"
    )
    session.expire_all()
    assert clients.get_client(session=session, client_id=first.client_id).service_subject == subject


def test_gaining_client_credentials_makes_a_service_account(
    session: Session, settings: Settings
) -> None:
    client, _ = register(session, settings, OPERATOR, **WEB_APP)
    clients.update_client(
        session=session,
        settings=settings,
        actor=OPERATOR,
        client_id=client.client_id,
        data=ClientUpdate(grant_types=["code", "client_credentials"]),
    )
    assert client.service_subject is not None
    assert client.status == ClientStatus.APPROVED


def test_rotation_replaces_the_secret(session: Session, settings: Settings) -> None:
    client, old = register(session, settings, ALICE, **SERVICE)
    assert old is not None
    rotated, new = clients.rotate_client_secret(
        session=session, actor=ALICE, client_id=client.client_id
    )
    assert new != old
    assert clients.check_client_secret(rotated, new)
    assert not clients.check_client_secret(rotated, old)


def test_listing_shows_own_clients_and_everything_to_operators(
    session: Session, settings: Settings
) -> None:
    approved, _ = register(session, settings, OPERATOR, **SERVICE)
    mine, _ = register(session, settings, ALICE, **WEB_APP)
    theirs, _ = register(session, settings, BOB, **CLI_APP)
    assert clients.list_clients(session=session, actor=ALICE) == [mine]
    everything = clients.list_clients(session=session, actor=OPERATOR)
    assert everything[-1] == approved
    assert set(everything[:2]) == {mine, theirs}
    pending = clients.list_clients(session=session, actor=OPERATOR, status=ClientStatus.PENDING)
    assert set(pending) == {mine, theirs}
    assert clients.list_clients(session=session, actor=BOB, status=ClientStatus.APPROVED) == []


def test_only_the_owner_or_an_operator_may_touch_a_client(
    session: Session, settings: Settings
) -> None:
    client, _ = register(session, settings, ALICE, **WEB_APP)
    cid = client.client_id
    calls = [
        lambda actor: clients.show_client(session=session, actor=actor, client_id=cid),
        lambda actor: clients.update_client(
            session=session,
            settings=settings,
            actor=actor,
            client_id=cid,
            data=ClientUpdate(name="Taken"),
        ),
        lambda actor: clients.rotate_client_secret(session=session, actor=actor, client_id=cid),
        lambda actor: clients.delete_client(session=session, actor=actor, client_id=cid),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call(BOB)
    assert client.name == "Web app"
    assert clients.show_client(session=session, actor=OPERATOR, client_id=cid) is client
    assert clients.show_client(session=session, actor=ALICE, client_id=cid) is client
    with pytest.raises(Forbidden):
        clients.decide_client(session=session, actor=ALICE, client_id=cid, status="approved")
    with pytest.raises(NotFound):
        clients.show_client(session=session, actor=OPERATOR, client_id="nope")
    assert clients.find_client(session=session, client_id="nope") is None


def test_an_invalid_update_names_the_field_and_changes_nothing(
    session: Session, settings: Settings
) -> None:
    client, _ = register(session, settings, ALICE, **WEB_APP)
    with pytest.raises(ValidationError) as exc:
        clients.update_client(
            session=session,
            settings=settings,
            actor=ALICE,
            client_id=client.client_id,
            data=ClientUpdate(name="New name", redirect_uris=[]),
        )
    assert list(errors(exc.value)) == ["redirect_uris"]
    assert client.name == "Web app"
    assert client.redirect_uris == ["https://app.example.org/callback"]


def test_owner_changes_that_need_a_new_review(session: Session, settings: Settings) -> None:
    client, _ = register(session, settings, ALICE, **WEB_APP)
    cid = client.client_id
    clients.decide_client(session=session, actor=OPERATOR, client_id=cid, status="approved")

    def update(**changes: Any) -> Client:
        return clients.update_client(
            session=session,
            settings=settings,
            actor=ALICE,
            client_id=cid,
            data=ClientUpdate(**changes),
        )

    update(redirect_uris=["https://app.example.org/callback", "http://127.0.0.1:9000/cb"])
    update(scopes=["openid"], name="Web app 2")
    assert client.status == ClientStatus.APPROVED
    update(grant_types=["code", "refresh", "token-exchange"])
    assert client.status == ClientStatus.PENDING
    assert client.decided_by == ""
    clients.decide_client(
        session=session, actor=OPERATOR, client_id=cid, status="rejected", reason="why?"
    )
    assert client.decision_reason == "why?"
    update(description="We exchange tokens to call the storage API.")
    assert client.status == ClientStatus.PENDING


def test_decisions_follow_the_lifecycle(session: Session, settings: Settings) -> None:
    client, _ = register(session, settings, ALICE, **SERVICE)
    cid = client.client_id

    def decide(status: str, reason: str = "") -> Client:
        return clients.decide_client(
            session=session, actor=OPERATOR, client_id=cid, status=status, reason=reason
        )

    with pytest.raises(
        RuleViolation,
        match=r"cannot be suspended: the client is pending \(it can be approved or rejected\)",
    ):
        decide("suspended")
    for status in ("pending", "deleted"):
        with pytest.raises(ValidationFailed, match=f"'{status}' is not a decision") as exc:
            decide(status)
        assert exc.value.field == "status"
    decide("approved", "  looks fine ")
    assert (client.status, client.decided_by, client.decision_reason) == (
        "approved",
        ADMIN,
        "looks fine",
    )
    with pytest.raises(RuleViolation, match="cannot be rejected: the client is approved"):
        decide("rejected")
    grant = tokens.create_grant(
        session=session, client=client, account=None, scope="openid", source="test"
    )
    decide("suspended", "leaked secret")
    assert grant.revoked_at is not None
    assert grant.revoked_reason == "client suspended"
    decide("approved")
    assert client.status == ClientStatus.APPROVED


def test_entitlements_are_for_service_accounts_and_operators(
    session: Session, settings: Settings
) -> None:
    service, _ = register(session, settings, ALICE, **SERVICE)
    web, _ = register(session, settings, ALICE, **WEB_APP)
    wanted = [
        "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu",
        "urn:mace:egi.eu:group:vo.example.org:role=vm_operator#aai.egi.eu",
        "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu",
    ]
    with pytest.raises(Forbidden):
        clients.set_service_entitlements(
            session=session, actor=ALICE, client_id=service.client_id, entitlements=wanted
        )
    assert service.entitlements == []
    clients.set_service_entitlements(
        session=session, actor=OPERATOR, client_id=service.client_id, entitlements=wanted
    )
    assert service.entitlements == wanted[:2]
    for bad in ["vo.example.org", "urn:mace:egi.eu:group:vo example", "urn::x", "x" * 2000]:
        with pytest.raises(ValidationError) as exc:
            clients.set_service_entitlements(
                session=session, actor=OPERATOR, client_id=service.client_id, entitlements=[bad]
            )
        assert list(errors(exc.value)) == ["entitlements"]
    assert service.entitlements == wanted[:2]
    with pytest.raises(RuleViolation, match="only service accounts") as rule:
        clients.set_service_entitlements(
            session=session, actor=OPERATOR, client_id=web.client_id, entitlements=wanted
        )
    assert rule.value.field == "entitlements"


def test_deleting_removes_consents_and_revokes_grants(session: Session, settings: Settings) -> None:
    client, _ = register(session, settings, ALICE, **WEB_APP)
    account = Account(voperson_id="0123@fedcore.test")
    session.add(account)
    session.flush()
    session.add(Consent(account_id=account.id, client_id=client.client_id, scopes=["openid"]))
    grant = tokens.create_grant(
        session=session, client=client, account=account, scope="openid", source="test"
    )
    clients.delete_client(session=session, actor=ALICE, client_id=client.client_id)
    session.expire_all()
    assert clients.find_client(session=session, client_id=client.client_id) is None
    assert session.scalars(select(Consent)).all() == []
    revoked = session.get(TokenGrant, grant.id)
    assert revoked is not None
    assert revoked.revoked_reason == "client deleted"
