"""An issuer with a path (Keycloak-style ``/auth/realms/<realm>``): protocol routes and
discovery live under it, pages stay at the site root and links point there."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.service import tokens
from fedcore.core.config import Settings
from tests.aai.oauth import make_client
from tests.conftest import ADMIN

ISSUER = "http://127.0.0.1:8000/auth/realms/demo"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_subject=ADMIN,
        secret_key="test-secret-key-not-used-anywhere-else",
        log_level="WARNING",
        issuer=ISSUER,
    )


def test_protocol_under_the_issuer_path_pages_at_the_root(
    client: TestClient, session: Session, settings: Settings
) -> None:
    assert client.get("/.well-known/openid-configuration").status_code == 404
    document = client.get("/auth/realms/demo/.well-known/openid-configuration").json()
    assert document["issuer"] == ISSUER
    assert document["token_endpoint"] == f"{ISSUER}/oidc/token"
    service = make_client(session, settings, grants=["client_credentials"], scopes="openid")
    answer = client.post(
        "/auth/realms/demo/oidc/token", data={"grant_type": "client_credentials"}, auth=service.auth
    )
    assert answer.status_code == 200, answer.text
    claims = tokens.verify_access_token(
        session=session, settings=settings, token=answer.json()["access_token"]
    ).claims
    assert claims["iss"] == ISSUER
    tool = make_client(session, settings, grants=["device"], public=True, scopes="openid")
    device = client.post("/auth/realms/demo/oidc/device", data={"client_id": tool.client_id})
    assert device.json()["verification_uri"] == "http://127.0.0.1:8000/aai/device"
    assert client.get("/aai/device", follow_redirects=False).status_code == 303
