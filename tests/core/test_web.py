"""The web app's shared behaviour: health, RFC 9457 problems, authentication of API calls."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
    assert "not one this server issued" in response.json()["detail"]


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
