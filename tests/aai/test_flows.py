"""The provider's flows end to end through HTTP: code + PKCE, consent, refresh rotation, device,
token exchange, logout, and the pages' own sign-in through the provider."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from tests.aai.browser_flow import authorize, csrf_of, query_of, sign_in
from tests.aai.oauth import REDIRECT, Registered, make_client, make_person, pkce_pair

CODE = "authorization_code"
SCOPE = "openid profile email offline_access"


@pytest.fixture
def browser(app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    """A client on the configured base URL, so cookies follow the provider's own redirects."""
    with TestClient(app, base_url=settings.base_url) as client:
        yield client


def _code_params(rp: Registered, challenge: str, scope: str = SCOPE) -> dict[str, str]:
    return {
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scope,
        "state": "st-1",
        "nonce": "no-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _redeem(client: TestClient, rp: Registered, code: str, verifier: str) -> dict[str, str]:
    response = client.post(
        "/oidc/token",
        data={
            "grant_type": CODE,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=rp.auth,
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def _signed_in_code(
    browser: TestClient, session: Session, settings: Settings, rp: Registered, scope: str = SCOPE
) -> tuple[str, str]:
    account, _ = make_person(session, settings)
    sign_in(browser, account.email)
    verifier, challenge = pkce_pair()
    response = authorize(browser, _code_params(rp, challenge, scope))
    assert response.status_code == 302, response.text
    return query_of(response.headers["location"])["code"], verifier


def _userinfo(client: TestClient, access: str) -> int:
    return client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}"}).status_code


def test_code_flow_with_pkce_consent_and_id_token(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE, "refresh_token"])
    account, _ = make_person(session, settings)
    verifier, challenge = pkce_pair()
    params = _code_params(rp, challenge)
    first = browser.get("/oidc/authorize", params=params, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/aai/login?next=")
    sign_in(browser, account.email)
    consent = browser.get("/oidc/authorize", params=params, follow_redirects=False)
    assert consent.status_code == 200
    assert "your e-mail address" in consent.text
    refused = browser.post("/oidc/authorize", data={**params, "decision": "allow"})
    assert refused.status_code in {400, 403}
    redirect = authorize(browser, params)
    assert redirect.status_code == 302
    answer = query_of(redirect.headers["location"])
    assert redirect.headers["location"].startswith(REDIRECT + "?")
    assert answer["state"] == "st-1"
    assert answer["iss"] == settings.effective_issuer
    body = _redeem(browser, rp, answer["code"], verifier)
    assert body["scope"] == SCOPE
    assert body["refresh_token"].startswith("fcr_")
    keyset = KeySet.import_key_set(browser.get("/oidc/jwks").json())
    id_token = jwt.decode(body["id_token"], keyset, algorithms=["RS256"]).claims
    assert id_token["nonce"] == "no-1"
    assert id_token["aud"] == rp.client_id
    assert id_token["sub"] == id_token["voperson_id"] == account.voperson_id
    info = browser.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    ).json()
    assert info["email"] == "ada@example.org"
    assert info["given_name"] == "Ada"
    again = browser.get("/oidc/authorize", params=params, follow_redirects=False)
    assert again.status_code == 302, "consent is remembered per client and scope"
    wider = _code_params(rp, challenge, scope=SCOPE + " voperson_id")
    asked = browser.get("/oidc/authorize", params=wider, follow_redirects=False)
    assert asked.status_code == 200, "a new scope needs consent"
    assert "(new)" in asked.text


def test_denied_consent_goes_back_with_access_denied(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE])
    account, _ = make_person(session, settings)
    sign_in(browser, account.email)
    params = _code_params(rp, pkce_pair()[1])
    page = browser.get("/oidc/authorize", params=params)
    denied = browser.post(
        "/oidc/authorize",
        data={**params, "csrf": csrf_of(page), "decision": "deny"},
        follow_redirects=False,
    )
    answer = query_of(denied.headers["location"])
    assert answer["error"] == "access_denied"
    assert answer["state"] == "st-1"
    assert answer["iss"] == settings.effective_issuer


def test_code_is_single_use_and_reuse_revokes_its_tokens(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE])
    code, verifier = _signed_in_code(browser, session, settings, rp)
    body = _redeem(browser, rp, code, verifier)
    assert _userinfo(browser, body["access_token"]) == 200
    replay = browser.post(
        "/oidc/token",
        data={
            "grant_type": CODE,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=rp.auth,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert _userinfo(browser, body["access_token"]) == 401


def test_pkce_is_enforced(browser: TestClient, session: Session, settings: Settings) -> None:
    public = make_client(session, settings, grants=[CODE], public=True)
    account, _ = make_person(session, settings)
    sign_in(browser, account.email)
    params = _code_params(public, "x")
    for name in ("code_challenge", "code_challenge_method"):
        params.pop(name)
    missing = browser.get("/oidc/authorize", params=params, follow_redirects=False)
    answer = query_of(missing.headers["location"])
    assert answer["error"] == "invalid_request"
    assert "code_challenge_method" in answer["error_description"]
    plain = {**params, "code_challenge": "a" * 43, "code_challenge_method": "plain"}
    assert "error" in query_of(
        browser.get("/oidc/authorize", params=plain, follow_redirects=False).headers["location"]
    )
    challenge = pkce_pair()[1]
    response = authorize(browser, _code_params(public, challenge))
    code = query_of(response.headers["location"])["code"]
    wrong = browser.post(
        "/oidc/token",
        data={
            "grant_type": CODE,
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": public.client_id,
            "code_verifier": pkce_pair()[0],
        },
    )
    assert wrong.json()["error"] == "invalid_grant"


def test_redirect_uri_is_matched_exactly_and_errors_stay_here(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE])
    params = {**_code_params(rp, pkce_pair()[1]), "redirect_uri": REDIRECT + "/evil"}
    response = browser.get("/oidc/authorize", params=params, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    unknown = {**params, "client_id": "nobody", "redirect_uri": REDIRECT}
    assert browser.get("/oidc/authorize", params=unknown).status_code == 400


def test_prompt_none_without_login_answers_login_required(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE])
    params = {**_code_params(rp, pkce_pair()[1]), "prompt": "none"}
    response = browser.get("/oidc/authorize", params=params, follow_redirects=False)
    assert query_of(response.headers["location"])["error"] == "login_required"


def _refresh(client: TestClient, rp: Registered, token: str) -> tuple[int, dict[str, str]]:
    response = client.post(
        "/oidc/token", data={"grant_type": "refresh_token", "refresh_token": token}, auth=rp.auth
    )
    return response.status_code, response.json()


def test_refresh_rotates_and_reuse_revokes_the_family(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE, "refresh_token"])
    code, verifier = _signed_in_code(browser, session, settings, rp)
    first = _redeem(browser, rp, code, verifier)
    status, second = _refresh(browser, rp, first["refresh_token"])
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert "id_token" in second
    status, reused = _refresh(browser, rp, first["refresh_token"])
    assert status == 400
    assert reused["error"] == "invalid_grant"
    assert _refresh(browser, rp, second["refresh_token"])[0] == 400
    assert _userinfo(browser, second["access_token"]) == 401
    assert _userinfo(browser, first["access_token"]) == 401


def test_no_refresh_token_without_offline_access(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE, "refresh_token"])
    account, _ = make_person(session, settings)
    sign_in(browser, account.email)
    verifier, challenge = pkce_pair()
    response = authorize(browser, _code_params(rp, challenge, scope="openid profile"))
    body = _redeem(browser, rp, query_of(response.headers["location"])["code"], verifier)
    assert "refresh_token" not in body


def test_device_flow_with_the_user_code_page(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    tool = make_client(
        session, settings, grants=["device", "refresh_token"], public=True, scopes=SCOPE
    )
    started = browser.post("/oidc/device", data={"client_id": tool.client_id, "scope": SCOPE})
    assert started.status_code == 200, started.text
    device = started.json()
    assert device["verification_uri"] == settings.page_url("/aai/device")
    assert device["interval"] == 5
    poll = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device["device_code"],
        "client_id": tool.client_id,
    }
    assert browser.post("/oidc/token", data=poll).json()["error"] == "authorization_pending"
    assert browser.post("/oidc/token", data=poll).json()["error"] == "slow_down"
    account, _ = make_person(session, settings)
    sign_in(browser, account.email)
    page = browser.get("/aai/device", params={"user_code": device["user_code"]})
    typed = device["user_code"].lower().replace("-", " ")
    confirm = browser.post("/aai/device", data={"csrf": csrf_of(page), "user_code": typed})
    assert confirm.status_code == 200
    assert tool.row.name in confirm.text
    done = browser.post(
        "/aai/device/decide",
        data={"csrf": csrf_of(confirm), "user_code": device["user_code"], "decision": "allow"},
    )
    assert "Device connected" in done.text
    tokens = browser.post("/oidc/token", data=poll)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["refresh_token"].startswith("fcr_")
    assert browser.post("/oidc/token", data=poll).json()["error"] in {
        "invalid_request",
        "invalid_grant",
    }
    unknown = browser.post("/aai/device", data={"csrf": csrf_of(page), "user_code": "BCDF-GHJK"})
    assert unknown.status_code == 404


def test_token_exchange_for_a_registered_audience(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE])
    portal = make_client(session, settings, grants=["token-exchange"], name="portal")
    backend = make_client(session, settings, grants=[CODE], name="backend")
    code, verifier = _signed_in_code(browser, session, settings, rp)
    subject = _redeem(browser, rp, code, verifier)["access_token"]
    exchange = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject,
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "audience": backend.client_id,
        "scope": "openid email",
    }
    response = browser.post("/oidc/token", data=exchange, auth=portal.auth)
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    keyset = KeySet.import_key_set(browser.get("/oidc/jwks").json())
    claims = jwt.decode(issued["access_token"], keyset, algorithms=["RS256"]).claims
    assert claims["aud"] == backend.client_id
    assert claims["client_id"] == portal.client_id
    assert claims["scope"] == "openid email"
    unknown = browser.post("/oidc/token", data={**exchange, "audience": "nobody"}, auth=portal.auth)
    assert unknown.json()["error"] == "invalid_client"
    wider = browser.post(
        "/oidc/token", data={**exchange, "scope": "openid orcid"}, auth=portal.auth
    )
    assert wider.json()["error"] == "invalid_scope"
    not_allowed = browser.post("/oidc/token", data=exchange, auth=backend.auth)
    assert not_allowed.json()["error"] == "unauthorized_client"


def test_logout_with_id_token_hint_ends_the_session(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    rp = make_client(session, settings, grants=[CODE])
    rp.row.post_logout_redirect_uris = ["https://rp.example.org/bye"]
    session.commit()
    code, verifier = _signed_in_code(browser, session, settings, rp, scope="openid profile")
    body = _redeem(browser, rp, code, verifier)
    bad = browser.get(
        "/oidc/logout",
        params={"id_token_hint": body["id_token"], "post_logout_redirect_uri": "https://evil/"},
    )
    assert bad.status_code == 400
    response = browser.get(
        "/oidc/logout",
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "https://rp.example.org/bye",
            "state": "bye-1",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "https://rp.example.org/bye?state=bye-1"
    assert _userinfo(browser, body["access_token"]) == 401
    again = browser.get(
        "/oidc/authorize", params=_code_params(rp, "x" * 43), follow_redirects=False
    )
    assert again.headers["location"].startswith("/aai/login")


def test_pages_sign_in_through_the_provider(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    start = browser.get("/login", params={"next": "/registry/"}, follow_redirects=False)
    assert start.headers["location"].startswith("/oidc/authorize?")
    sign_in(browser, account.email)
    landed = browser.get("/login", params={"next": "/registry/"})
    assert landed.url.path == "/registry/"
    assert account.voperson_id in landed.text
    forged = browser.get("/login/callback", params={"state": "forged", "code": "x"})
    assert forged.status_code == 400
    home = browser.get("/")
    signed_out = browser.post("/logout", data={"csrf": csrf_of(home)})
    assert signed_out.url.path == "/"
    assert account.voperson_id not in signed_out.text


def test_a_token_for_the_command_line_from_the_account_page(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    sign_in(browser, account.email)
    page = browser.get("/aai/account")
    minted = browser.post("/aai/account/tokens/cli", data={"csrf": csrf_of(page)})
    assert minted.status_code == 200
    assert minted.headers["cache-control"] == "no-store"
    access = re.search(r'id="access-token">([^<]+)<', minted.text)
    refresh = re.search(r'id="refresh-token">([^<]+)<', minted.text)
    assert access
    assert refresh
    info = browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access.group(1)}"})
    assert info.json()["sub"] == account.voperson_id
    renewed = browser.post(
        "/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh.group(1),
            "client_id": "fedcore-cli",
        },
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["refresh_token"] != refresh.group(1)
    as_oidc_agent_does = browser.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": renewed.json()["refresh_token"]},
        auth=("fedcore-cli", ""),
    )
    assert as_oidc_agent_does.status_code == 200, "public client id in Basic, empty password"
    with_a_secret = browser.post(
        "/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": as_oidc_agent_does.json()["refresh_token"],
        },
        auth=("fedcore-cli", "guess"),
    )
    assert with_a_secret.json()["error"] == "invalid_client"
    assert "fedcore command line" in browser.get("/aai/account").text
