"""Signing keys: published before they sign, kept until every token they signed expired."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.models import SigningKey
from fedcore.aai.service import keys, tokens
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from tests.aai.oauth import make_client

CC = "client_credentials"


def _token(client: TestClient, auth: tuple[str, str]) -> str:
    response = client.post("/oidc/token", data={"grant_type": CC, "scope": "openid"}, auth=auth)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _kid(token: str) -> str:
    from joserfc import jws

    return str(jws.extract_compact(token.encode()).protected["kid"])


def _published(client: TestClient) -> list[str]:
    return [key["kid"] for key in client.get("/oidc/jwks").json()["keys"]]


def test_rotation_publishes_ahead_and_keeps_old_keys_until_tokens_expire(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    old_token = _token(client, svc.auth)
    old_kid = _kid(old_token)
    assert _published(client) == [old_kid]
    new = keys.rotate_keys(session=session, settings=settings)
    session.commit()
    assert new.active_from - utcnow() > timedelta(seconds=settings.key_publish_lead - 5)
    assert set(_published(client)) == {old_kid, new.kid}, "published before it signs"
    assert _kid(_token(client, svc.auth)) == old_kid, "the old key signs until then"
    new.active_from = utcnow() - timedelta(seconds=1)
    old = session.query(SigningKey).filter_by(kid=old_kid).one()
    old.retired_at = new.active_from
    old.expires_at = old.retired_at + keys.longest_token_lifetime(settings)
    session.commit()
    keys.forget_cached()  # the rows were moved in time by hand, not by the clock
    assert _kid(_token(client, svc.auth)) == new.kid
    headers = {"Authorization": f"Bearer {old_token}"}
    assert client.get("/oidc/userinfo", headers=headers).status_code == 200
    assert old_kid in _published(client)
    old.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert _published(client) == [new.kid]
    assert client.get("/oidc/userinfo", headers=headers).status_code == 401
    assert keys.prune_keys(session=session) == 1


def test_es256_keys(client: TestClient, session: Session, settings: Settings) -> None:
    settings.key_publish_lead = 0
    keys.rotate_keys(session=session, settings=settings, alg="ES256")
    session.commit()
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    token = _token(client, svc.auth)
    info = tokens.verify_access_token(session=session, settings=settings, token=token)
    assert info.client_id == svc.client_id
    published = client.get("/oidc/jwks").json()["keys"]
    assert published[0]["kty"] == "EC"
    assert published[0]["alg"] == "ES256"
    assert all("d" not in key for key in published), "private parts never leave"


def test_suspended_client_tokens_stop_at_once(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    headers = {"Authorization": f"Bearer {_token(client, svc.auth)}"}
    assert client.get("/oidc/userinfo", headers=headers).status_code == 200
    svc.row.status = "suspended"
    session.commit()
    assert client.get("/oidc/userinfo", headers=headers).status_code == 401
