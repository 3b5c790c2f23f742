"""Lists of the registry API: cursor paging, filters as query parameters, the OpenAPI document,
and requests that fail half-way leaving nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.registry import service as registry
from fedcore.registry.schemas import SiteCreate
from tests.registry.factories import Federation

API = "/api/registry"

COLLECTIONS = [
    "scopes",
    "projects",
    "ngis",
    "sites",
    "service-types",
    "services",
    "downtimes",
    "roles",
]


def _walk(client: TestClient, url: str, limit: int, headers: dict[str, str]) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get(url, params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_list_pages_by_cursor(
    client: TestClient, federation: Federation, collection: str
) -> None:
    url = f"{API}/{collection}"
    everything = client.get(url, params={"limit": 1000}, headers=federation.operator.headers).json()
    assert everything["next_cursor"] is None
    all_ids = [item["id"] for item in everything["items"]]
    assert all_ids
    assert _walk(client, url, 1, federation.operator.headers) == all_ids == sorted(set(all_ids))


def test_walking_many_sites_visits_each_once(
    client: TestClient, session: Session, federation: Federation
) -> None:
    for n in range(40):
        registry.create_site(
            session=session,
            actor=federation.operator.principal,
            data=SiteCreate(short_name=f"BULK-{n:02}", ngi="NGI_OTHER", country_code="FR"),
        )
    session.commit()
    ids = _walk(client, f"{API}/sites", 7, {})
    assert len(ids) == 42
    assert ids == sorted(set(ids))
    first = client.get(f"{API}/sites", params={"limit": 7}).json()
    assert first["next_cursor"] == first["items"][-1]["id"]
    filtered = client.get(f"{API}/sites", params={"ngi": "NGI_OTHER", "limit": 1000}).json()
    assert len(filtered["items"]) == 41


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 1001}, "limit", "less than or equal to 1000"),
        ({"cursor": -1}, "cursor", "greater than or equal to 0"),
        ({"cursor": "abc"}, "cursor", "valid integer"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"certification_status": "Good"}, "certification_status", "'Candidate', 'Uncertified'"),
    ],
)
def test_bad_list_parameters_are_named(
    client: TestClient, federation: Federation, params: dict[str, Any], field: str, message: str
) -> None:
    response = client.get(f"{API}/sites", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert message in response.json()["errors"][0]["message"]


def _names(client: TestClient, collection: str, key: str, **params: Any) -> list[str]:
    response = client.get(f"{API}/{collection}", params=params)
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


def test_filters(client: TestClient, federation: Federation) -> None:
    assert _names(client, "sites", "short_name", ngi="NGI_TEST") == ["TEST-SITE"]
    assert _names(client, "sites", "short_name", short_name="%-SITE") == ["TEST-SITE", "OTHER-SITE"]
    assert _names(client, "sites", "short_name", country_code="si") == ["OTHER-SITE"]
    assert _names(client, "sites", "short_name", q="test site") == ["TEST-SITE"]
    assert _names(client, "sites", "short_name", scope="Local") == []
    assert _names(client, "sites", "short_name", certification_status="Certified") == []
    assert _names(client, "ngis", "name", name="NGI_O%") == ["NGI_OTHER"]
    assert _names(client, "ngis", "name", project="EGI") == ["NGI_TEST", "NGI_OTHER"]
    assert _names(client, "services", "hostname", site="OTHER-SITE") == ["bdii.other.example"]
    assert _names(client, "services", "hostname", service_type="CREAM-CE", production=True) == [
        "ce.test.example"
    ]
    assert _names(client, "services", "hostname", ngi="NGI_TEST", monitored=False) == []
    assert _names(client, "scopes", "name", name="wlcg") == ["wlcg"]
    assert _names(client, "projects", "name", name="E%") == ["EGI"]
    assert _names(client, "service-types", "name", name="Site-%") == ["Site-BDII"]
    assert _names(client, "service-groups", "name", name="%") == []


def test_roles_filter(client: TestClient, federation: Federation) -> None:
    roles = client.get(
        f"{API}/roles",
        params={"entity_type": "ngi", "entity_id": federation.ngi.id, "status": "STATUS_GRANTED"},
        headers=federation.operator.headers,
    ).json()["items"]
    assert [(r["user_subject"], r["role_type"], r["entity_name"]) for r in roles] == [
        (federation.ngi_manager.principal.subject, "NGI Operations Manager", "NGI_TEST")
    ]


def test_openapi_documents_every_registry_route(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = {p: ops for p, ops in response.json()["paths"].items() if p.startswith(API)}
    assert f"{API}/sites/{{site_id}}/certification-status" in paths
    assert f"{API}/roles/{{role_id}}/grant" in paths
    assert f"{API}/service-groups/{{owner_id}}/properties" in paths
    assert len(paths) >= 35
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["summary"], f"{method} {path} has no summary"
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, f"{method} {path} documents no success"
            if ok != ["204"]:
                assert "schema" in operation["responses"][ok[0]]["content"]["application/json"]
            problem = operation["responses"]["403"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert client.get("/docs").status_code == 200


def test_a_request_failing_half_way_leaves_nothing(
    client: TestClient, federation: Federation
) -> None:
    before = client.get(f"{API}/services", params={"limit": 1000}).json()
    body = {
        "hostname": "new.test.example",
        "service_type": "CREAM-CE",
        "site": "TEST-SITE",
        "production": True,
        "monitored": False,
    }
    response = client.post(f"{API}/services", json=body, headers=federation.site_admin.headers)
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "monitored", "message": "a production CREAM-CE service must be monitored"}
    ]
    patch = client.patch(
        f"{API}/services/{federation.service.id}",
        json={"description": "changed", "monitored": False},
        headers=federation.site_admin.headers,
    )
    assert patch.status_code == 409
    assert client.get(f"{API}/services", params={"limit": 1000}).json() == before


def test_ngi_with_sites_cannot_be_deleted(client: TestClient, federation: Federation) -> None:
    response = client.delete(f"{API}/ngis/{federation.ngi.id}", headers=federation.operator.headers)
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "ngi", "message": "the NGI still has sites; move or delete them first"}
    ]
    assert client.get(f"{API}/ngis/{federation.ngi.id}").status_code == 200
