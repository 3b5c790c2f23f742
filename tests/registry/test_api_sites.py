"""Sites through the REST API: GOCDB's certification graph and its history, and clear errors for
bad site input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Federation

API = "/api/registry"


def _certify(
    client: TestClient, federation: Federation, status: str, actor: str = "ngi_manager"
) -> Any:
    return client.post(
        f"{API}/sites/{federation.site.id}/certification-status",
        json={"status": status, "reason": f"moving to {status}"},
        headers=getattr(federation, actor).headers,
    )


def _history(client: TestClient, federation: Federation) -> list[dict[str, Any]]:
    response = client.get(f"{API}/sites/{federation.site.id}/certification-changes")
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_ngi_manager_walks_the_certification_graph(
    client: TestClient, federation: Federation
) -> None:
    assert (
        client.get(f"{API}/sites/{federation.site.id}").json()["certification_status"]
        == "Candidate"
    )
    for status in ("Uncertified", "Certified", "Suspended", "Uncertified"):
        response = _certify(client, federation, status)
        assert response.status_code == 200, response.text
        assert response.json()["certification_status"] == status
    history = _history(client, federation)
    assert [(h["old_status"], h["new_status"]) for h in history] == [
        ("Candidate", "Uncertified"),
        ("Uncertified", "Certified"),
        ("Certified", "Suspended"),
        ("Suspended", "Uncertified"),
    ]
    assert {h["changed_by"] for h in history} == {federation.ngi_manager.principal.subject}
    assert history[0]["reason"] == "moving to Uncertified"
    assert all(h["changed_at"].endswith("Z") for h in history)
    site = client.get(f"{API}/sites/{federation.site.id}").json()
    assert site["certification_changed_at"] == history[-1]["changed_at"]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "Certified"),
        (["Uncertified", "Certified", "Suspended"], "Certified"),
        (["Closed"], "Candidate"),
    ],
    ids=["candidate-to-certified", "suspended-to-certified", "out-of-closed"],
)
def test_illegal_transition_is_refused_and_changes_nothing(
    client: TestClient, federation: Federation, path: list[str], illegal: str
) -> None:
    for status in path:
        assert _certify(client, federation, status).status_code == 200
    before = client.get(f"{API}/sites/{federation.site.id}").json()
    response = _certify(client, federation, illegal)
    assert response.status_code == 409
    body = response.json()
    assert body["errors"][0]["field"] == "status"
    assert f"to {illegal}" in body["detail"]
    assert "allowed:" in body["detail"]
    assert client.get(f"{API}/sites/{federation.site.id}").json() == before
    assert len(_history(client, federation)) == len(path)


def test_closed_is_final_for_everyone_but_operators(
    client: TestClient, federation: Federation
) -> None:
    assert _certify(client, federation, "Closed").status_code == 200
    refused = _certify(client, federation, "Uncertified")
    assert refused.status_code == 409
    assert "none (Closed is final)" in refused.json()["detail"]
    reopened = _certify(client, federation, "Certified", actor="operator")
    assert reopened.status_code == 200
    assert reopened.json()["certification_status"] == "Certified"
    assert _history(client, federation)[-1]["changed_by"] == federation.operator.principal.subject


def test_operator_may_make_any_transition(client: TestClient, federation: Federation) -> None:
    response = _certify(client, federation, "Certified", actor="operator")
    assert response.status_code == 200
    assert response.json()["certification_status"] == "Certified"


@pytest.mark.parametrize(("actor", "status"), [("site_admin", 403), ("member", 403)])
def test_site_roles_cannot_certify(
    client: TestClient, federation: Federation, actor: str, status: int
) -> None:
    assert _certify(client, federation, "Uncertified", actor=actor).status_code == status
    anonymous = client.post(
        f"{API}/sites/{federation.site.id}/certification-status",
        json={"status": "Uncertified", "reason": "x"},
    )
    assert anonymous.status_code == 401
    assert _history(client, federation) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "Uncertified"}, "reason"),
        ({"status": "Uncertified", "reason": "  "}, "reason"),
        ({"status": "Uncertified", "reason": "x" * 301}, "reason"),
        ({"status": "Approved", "reason": "x"}, "status"),
    ],
)
def test_certification_input_is_checked(
    client: TestClient, federation: Federation, body: dict[str, str], field: str
) -> None:
    response = client.post(
        f"{API}/sites/{federation.site.id}/certification-status",
        json=body,
        headers=federation.ngi_manager.headers,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_same_status_again_is_refused(client: TestClient, federation: Federation) -> None:
    assert _certify(client, federation, "Uncertified").status_code == 200
    again = _certify(client, federation, "Uncertified")
    assert again.status_code == 409
    assert again.json()["detail"] == "the site is Uncertified already"


def test_history_of_unknown_site_is_404(client: TestClient, federation: Federation) -> None:
    assert client.get(f"{API}/sites/987654/certification-changes").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "field", "message"),
    [
        ({"ngi": "NGI_NOPE"}, 404, "ngi", "no ngi named 'NGI_NOPE'"),
        ({"country_code": "XX"}, 422, "country_code", "'XX' is not an ISO 3166 country code"),
        ({"country_code": "CHE"}, 422, "country_code", "at most 2 characters"),
        ({"short_name": "TEST-SITE"}, 409, "name", "a site named 'TEST-SITE' exists already"),
        ({"short_name": "bad name!"}, 422, "short_name", "String should match pattern"),
        ({"timezone": "Mars/Olympus"}, 422, "timezone", "not an IANA time zone name"),
        ({"latitude": 91}, 422, "latitude", "less than or equal to 90"),
        ({"email": "not-an-address"}, 422, "email", "String should match pattern"),
        ({"scopes": ["EGI", "Nope"]}, 422, "scopes", "unknown scope(s): Nope"),
        ({"scopes": ["wlcg"]}, 403, None, "registry.scope.apply_reserved"),
    ],
)
def test_bad_site_input_gets_a_clear_error(
    client: TestClient,
    federation: Federation,
    change: dict[str, Any],
    status: int,
    field: str | None,
    message: str,
) -> None:
    before = client.get(f"{API}/sites").json()
    body = {"short_name": "NEW-SITE", "ngi": "NGI_TEST", "country_code": "DE", **change}
    response = client.post(f"{API}/sites", json=body, headers=federation.ngi_manager.headers)
    assert response.status_code == status, response.text
    problem = response.json()
    assert message in problem["detail"]
    if field:
        assert problem["errors"][0]["field"] == field
    assert client.get(f"{API}/sites").json() == before


def test_site_read_carries_names_not_ids(client: TestClient, federation: Federation) -> None:
    site = client.get(f"{API}/sites/{federation.site.id}").json()
    assert site["short_name"] == "TEST-SITE"
    assert site["primary_key"].endswith("G0")
    assert (site["ngi"], site["country_code"], site["country"]) == ("NGI_TEST", "CH", "Switzerland")
    assert site["scopes"] == ["EGI"]
    assert site["created_at"].endswith("Z")


def test_short_name_cannot_be_changed(client: TestClient, federation: Federation) -> None:
    response = client.patch(
        f"{API}/sites/{federation.site.id}",
        json={"short_name": "RENAMED"},
        headers=federation.site_admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "short_name"


def test_site_with_services_cannot_be_deleted(client: TestClient, federation: Federation) -> None:
    response = client.delete(
        f"{API}/sites/{federation.site.id}", headers=federation.operator.headers
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "the site still has services; delete them first"
    assert client.get(f"{API}/sites/{federation.site.id}").status_code == 200
