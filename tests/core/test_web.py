"""The web app's shared behaviour: health, RFC 9457 problems, authentication of API calls."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.registry.models import ApiCredential
from tests.registry.factories import Federation


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_unknown_path_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/api/registry/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["instance"] == "/api/registry/no-such-thing"


def test_unknown_bearer_token_is_refused_with_401(client: TestClient) -> None:
    response = client.get("/api/registry/sites", headers={"Authorization": "Bearer fct_forged"})
    assert response.status_code == 401
    assert response.json()["title"] == "Not authenticated"


def test_foreign_token_kind_is_refused(client: TestClient) -> None:
    response = client.get("/api/registry/sites", headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.status_code == 401
    assert "not a signed JWT" in response.json()["detail"]


def test_invalid_body_names_the_field(client: TestClient, federation: Federation) -> None:
    response = client.post(
        "/api/registry/sites",
        headers=federation.operator.headers,
        json={"short_name": "NEW-SITE", "ngi": "NGI_TEST", "country_code": "CH", "latitude": 123},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"latitude"}


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    response = client.get("/health", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len(client.get("/health").headers["x-request-id"]) == 16


def test_client_dn_header_is_ignored_unless_configured(client: TestClient) -> None:
    response = client.get(
        "/gocdbpi/private/",
        params={"method": "access_test"},
        headers={"X-SSL-Client-S-DN": "/DC=org/CN=anyone"},
    )
    assert "<authorized>true</authorized>" not in response.text


def test_client_dn_from_a_trusted_proxy_identifies_the_caller(
    app: FastAPI, settings: Settings, session: Session, federation: Federation
) -> None:
    dn = "/DC=org/DC=example/CN=argo-connectors.example.org"
    session.add(
        ApiCredential(
            site_id=federation.site.id,
            kind="X.509",
            identifier=dn,
            owner_subject=federation.site_admin.principal.subject,
        )
    )
    session.commit()
    settings.client_dn_header = "X-SSL-Client-S-DN"
    with TestClient(app) as client:
        response = client.get(
            "/gocdbpi/private/", params={"method": "access_test"}, headers={"X-SSL-Client-S-DN": dn}
        )
        assert f'identifier="{dn}"' in response.text
        assert "<authorized>true</authorized>" in response.text
        site = client.get(
            "/gocdbpi/private/",
            params={"method": "get_site", "scope": ""},
            headers={"X-SSL-Client-S-DN": dn},
        )
        assert "<SHORT_NAME>TEST-SITE</SHORT_NAME>" in site.text
