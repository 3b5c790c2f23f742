"""Assurance reflects how the person signed in (reference §A.10): userinfo and introspection
release ``LoA#Substantial`` for a token whose grant came from a sign-in with a second factor or
through an upstream provider configured as institutional (``"assurance": "substantial"``, which
also gives ``IAP/medium`` and the Cappuccino profile), ``LoA#Low`` for a password-only sign-in
or a low provider, always the REFEDS RAF values, and pass through what upstream IdPs
asserted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, LoginSession
from fedcore.aai.service import sessions, tokens
from fedcore.core.config import Settings
from tests.aai.oauth import make_client, make_person

SCOPE = "openid eduperson_assurance"
REFEDS = "https://refeds.org/assurance"
CAPPUCCINO = f"{REFEDS}/profile/cappuccino"
UNIVERSITY = "https://idp.university.example.org"
SOCIAL = "https://social.example.com"


def _provider(name: str, issuer: str, **changes: str) -> dict[str, str]:
    return {
        "name": name,
        "display_name": name.title(),
        "issuer": issuer,
        "client_id": "fedcore",
        "client_secret": "secret",
        **changes,
    }


def _token(
    session: Session, settings: Settings, account: Account, login: LoginSession | None
) -> tuple[str, tuple[str, str]]:
    rp = make_client(session, settings, grants=["authorization_code"], scopes=SCOPE)
    rs = make_client(session, settings, grants=["client_credentials"], scopes="openid", name="rs")
    grant = tokens.create_grant(
        session=session,
        client=rp.row,
        account=account,
        scope=SCOPE,
        source="authorization_code",
        login_session_id=login.id if login is not None else None,
    )
    access, _ = tokens.issue_access_token(
        session=session,
        settings=settings,
        client=rp.row,
        grant=grant,
        subject=account.voperson_id,
        scope=SCOPE,
    )
    session.commit()
    return access, rs.auth


def _released(client: TestClient, access: str, auth: tuple[str, str]) -> tuple[Any, Any]:
    info = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert info.status_code == 200, info.text
    introspected = client.post("/oidc/introspect", data={"token": access}, auth=auth).json()
    assert introspected["active"] is True
    return info.json()["eduperson_assurance"], introspected["eduperson_assurance"]


def test_a_sign_in_with_a_second_factor_is_substantial(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    login = sessions.start_login_session(session=session, account=account, amr=["pwd", "otp"])
    access, auth = _token(session, settings, account, login)
    userinfo, introspected = _released(client, access, auth)
    assert userinfo == introspected
    assert f"{settings.effective_issuer}/LoA#Substantial" in userinfo
    assert f"{settings.effective_issuer}/LoA#Low" not in userinfo
    assert userinfo[:4] == [
        REFEDS,
        f"{REFEDS}/ID/unique",
        f"{REFEDS}/ID/eppn-unique-no-reassign",
        f"{REFEDS}/ATP/ePA-1m",
    ]
    assert f"{REFEDS}/IAP/low" in userinfo  # the e-mail address is verified


def test_a_password_sign_in_is_low_and_upstream_values_pass_through(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, login = make_person(session, settings)  # amr ["pwd"]
    account.assurance = [f"{REFEDS}/IAP/medium", f"{REFEDS}/ID/unique"]
    access, auth = _token(session, settings, account, login)
    userinfo, introspected = _released(client, access, auth)
    assert userinfo == introspected
    assert f"{settings.effective_issuer}/LoA#Low" in userinfo
    assert f"{settings.effective_issuer}/LoA#Substantial" not in userinfo
    assert userinfo[-2:] == [f"{REFEDS}/IAP/medium", CAPPUCCINO]  # asserted, so it qualifies
    assert userinfo.count(f"{REFEDS}/ID/unique") == 1


def test_a_grant_without_a_sign_in_is_low(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    access, auth = _token(session, settings, account, None)
    userinfo, _ = _released(client, access, auth)
    assert f"{settings.effective_issuer}/LoA#Low" in userinfo
    assert f"{settings.effective_issuer}/LoA#Substantial" not in userinfo


@pytest.mark.parametrize(
    ("issuer", "level", "medium"),
    [
        (UNIVERSITY, "Substantial", True),
        (SOCIAL, "Low", False),  # configured without "assurance": low
        ("https://gone.example.org", "Low", False),  # no longer configured
    ],
)
def test_the_identity_source_of_the_sign_in_decides(
    client: TestClient,
    session: Session,
    settings: Settings,
    issuer: str,
    level: str,
    medium: bool,
) -> None:
    settings.upstream_providers = json.dumps(
        [
            _provider("university", UNIVERSITY, assurance="substantial"),
            _provider("social", SOCIAL),
        ]
    )
    account, _ = make_person(session, settings)
    account.email_verified = False
    login = sessions.start_login_session(
        session=session, account=account, amr=["fed"], identity_issuer=issuer
    )
    access, auth = _token(session, settings, account, login)
    userinfo, introspected = _released(client, access, auth)
    assert userinfo == introspected
    assert f"{settings.effective_issuer}/LoA#{level}" in userinfo
    assert len([v for v in userinfo if "/LoA#" in v]) == 1
    assert (f"{REFEDS}/IAP/medium" in userinfo) is medium
    assert (f"{REFEDS}/IAP/low" in userinfo) is medium  # the e-mail address is not verified
    assert (CAPPUCCINO in userinfo) is medium


def test_a_password_sign_in_stays_low_with_an_institutional_provider_configured(
    client: TestClient, session: Session, settings: Settings
) -> None:
    settings.upstream_providers = json.dumps(
        [_provider("university", UNIVERSITY, assurance="substantial")]
    )
    account, login = make_person(session, settings)  # amr ["pwd"], the local source
    access, auth = _token(session, settings, account, login)
    userinfo, _ = _released(client, access, auth)
    assert f"{settings.effective_issuer}/LoA#Low" in userinfo
    assert f"{REFEDS}/IAP/medium" not in userinfo
