"""Assurance reflects how the person signed in (reference §A.10): userinfo and introspection
release ``LoA#Substantial`` for a token whose grant came from a sign-in with a second factor,
``LoA#Low`` for a password-only sign-in, always the REFEDS RAF values, and pass through what
upstream IdPs asserted."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, LoginSession
from fedcore.aai.service import sessions, tokens
from fedcore.core.config import Settings
from tests.aai.oauth import make_client, make_person

SCOPE = "openid eduperson_assurance"
REFEDS = "https://refeds.org/assurance"


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
    assert userinfo[-1] == f"{REFEDS}/IAP/medium"
    assert userinfo.count(f"{REFEDS}/ID/unique") == 1


def test_a_grant_without_a_sign_in_is_low(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    access, auth = _token(session, settings, account, None)
    userinfo, _ = _released(client, access, auth)
    assert f"{settings.effective_issuer}/LoA#Low" in userinfo
    assert f"{settings.effective_issuer}/LoA#Substantial" not in userinfo
