"""RFC 9700 attacks that must fail (issue item 7): forged and confused tokens, brute force,
cross-site requests, code replay (see test_flows) and mix-up at the pages' own sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from fedcore.aai.models import SigningKey
from fedcore.core.config import Settings
from fedcore.core.ratelimit import failure_limiter
from tests.aai.browser_flow import csrf_of, sign_in
from tests.aai.oauth import make_client, make_person

CC = "client_credentials"


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    for name in ("token", "login"):
        failure_limiter(name).reset()
    yield
    for name in ("token", "login"):
        failure_limiter(name).reset()


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _genuine(
    client: TestClient, session: Session, settings: Settings
) -> tuple[str, dict[str, object]]:
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    token = client.post("/oidc/token", data={"grant_type": CC, "scope": "openid"}, auth=svc.auth)
    raw = str(token.json()["access_token"])
    payload = raw.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return raw, claims


def _refused_everywhere(client: TestClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/oidc/userinfo", headers=headers).status_code == 401
    assert client.get("/api/registry/sites", headers=headers).status_code == 401


def test_alg_none_is_refused(client: TestClient, session: Session, settings: Settings) -> None:
    raw, claims = _genuine(client, session, settings)
    header = json.loads(base64.urlsafe_b64decode(raw.split(".")[0] + "=="))
    unsigned = f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}."
    _refused_everywhere(client, unsigned)


def test_hmac_with_the_public_key_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """Key confusion: HS256 "signed" with the RSA public key the JWKS publishes."""
    _raw, claims = _genuine(client, session, settings)
    published = client.get("/oidc/jwks").json()["keys"][0]
    secret = RSAKey.import_key(published).as_pem(private=False)
    header = {"alg": "HS256", "typ": "at+jwt", "kid": published["kid"]}
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    _refused_everywhere(client, forged)


def test_foreign_key_and_tampered_claims_are_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    raw, claims = _genuine(client, session, settings)
    kid = session.query(SigningKey.kid).scalar()
    other = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256"})
    header = {"alg": "RS256", "typ": "at+jwt", "kid": kid}
    _refused_everywhere(client, jwt.encode(header, claims, other))
    head, _, signature = raw.split(".")
    _refused_everywhere(client, f"{head}.{_b64({**claims, 'sub': 'someone-else'})}.{signature}")


def test_expired_token_and_wrong_type_are_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from fedcore.aai.service import tokens

    _raw, claims = _genuine(client, session, settings)
    past = int(time.time()) - 10
    expired = tokens.sign(
        session=session, settings=settings, claims={**claims, "exp": past}, typ="at+jwt"
    )
    _refused_everywhere(client, expired)
    id_token_typed = tokens.sign(session=session, settings=settings, claims=claims, typ="JWT")
    _refused_everywhere(client, id_token_typed)
    other_issuer = tokens.sign(
        session=session, settings=settings, claims={**claims, "iss": "https://evil"}, typ="at+jwt"
    )
    _refused_everywhere(client, other_issuer)


def test_guessing_client_secrets_is_rate_limited(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    statuses = [
        client.post(
            "/oidc/token", data={"grant_type": CC}, auth=(svc.client_id, f"guess-{i}")
        ).status_code
        for i in range(32)
    ]
    assert statuses[:30] == [401] * 30
    assert statuses[-1] == 429
    blocked = client.post("/oidc/token", data={"grant_type": CC}, auth=svc.auth)
    assert blocked.status_code == 429, "even the right secret waits out the window"
    assert int(blocked.headers["retry-after"]) > 0


def test_guessing_passwords_is_rate_limited(
    client: TestClient, session: Session, settings: Settings
) -> None:
    make_person(session, settings)
    page = client.get("/aai/login")
    statuses = [
        client.post(
            "/aai/login",
            data={"csrf": csrf_of(page), "email": f"x{i}@example.org", "password": "wrong-guess"},
            follow_redirects=False,
        ).status_code
        for i in range(12)
    ]
    assert statuses[-1] == 429
    assert 429 not in statuses[:10]


def test_forms_need_their_csrf_token(
    client: TestClient, session: Session, settings: Settings
) -> None:
    account, _ = make_person(session, settings)
    sign_in(client, account.email)
    assert client.post("/aai/device", data={"user_code": "BCDF-GHJK"}).status_code in {400, 403}
    assert (
        client.post("/aai/device/decide", data={"user_code": "BCDF-GHJK", "decision": "allow"})
    ).status_code in {400, 403}
    logout = client.post("/oidc/logout", data={"confirm": "yes"})
    assert "Sign out" in logout.text, "a logout without the form token only asks again"
