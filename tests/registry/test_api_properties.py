"""Extension properties of sites, services, endpoints and service groups through the REST API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.registry import service as registry
from fedcore.registry.enums import EntityType, RoleType
from fedcore.registry.schemas import ServiceGroupCreate
from tests.registry.factories import Actor, Federation, grant, make_actor

API = "/api/registry"


def _group_admin(session: Session, fed: Federation) -> tuple[str, Actor]:
    group = registry.create_service_group(
        session=session,
        actor=fed.operator.principal,
        data=ServiceGroupCreate(name="Core", email="core@ngi.test"),
    )
    admin = make_actor(session, "group.admin@fedcore.test")
    grant(
        session,
        admin.principal.subject,
        RoleType.SERVICE_GROUP_ADMINISTRATOR,
        EntityType.SERVICE_GROUP,
        group.id,
    )
    return f"{API}/service-groups/{group.id}", admin


OWNERS: dict[str, Callable[[Session, Federation], tuple[str, Actor]]] = {
    "site": lambda _s, f: (f"{API}/sites/{f.site.id}", f.site_admin),
    "service": lambda _s, f: (f"{API}/services/{f.service.id}", f.site_admin),
    "endpoint": lambda _s, f: (f"{API}/endpoints/{f.endpoint.id}", f.ngi_manager),
    "service_group": _group_admin,
}


@pytest.fixture(params=list(OWNERS))
def owner(
    request: pytest.FixtureRequest, session: Session, federation: Federation
) -> tuple[str, Actor]:
    url, editor = OWNERS[request.param](session, federation)
    # A failing request rolls the session back; commit so that it rolls back to here.
    session.commit()
    return url, editor


def _props(client: TestClient, url: str) -> list[tuple[str, str]]:
    response = client.get(f"{url}/properties")
    assert response.status_code == 200
    return [(p["key"], p["value"]) for p in response.json()]


def test_add_replace_delete(client: TestClient, owner: tuple[str, Actor]) -> None:
    url, editor = owner
    added = client.post(
        f"{url}/properties",
        json=[{"key": "VO", "value": "atlas"}, {"key": "P4U_Pilot_VAT", "value": "20"}],
        headers=editor.headers,
    )
    assert added.status_code == 200, added.text
    assert [(p["key"], p["value"]) for p in added.json()] == [
        ("VO", "atlas"),
        ("P4U_Pilot_VAT", "20"),
    ]
    assert _props(client, url) == [("VO", "atlas"), ("P4U_Pilot_VAT", "20")]
    read = client.get(url).json()["properties"]
    assert [(p["key"], p["value"]) for p in read] == [("VO", "atlas"), ("P4U_Pilot_VAT", "20")]

    again = client.post(
        f"{url}/properties", json=[{"key": "VO", "value": "cms"}], headers=editor.headers
    )
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {"field": "key", "message": "extension property 'VO' exists already"}
    ]

    put = client.put(
        f"{url}/properties",
        json=[{"key": "VO", "value": "cms"}, {"key": "empty"}],
        headers=editor.headers,
    )
    assert put.status_code == 200
    assert _props(client, url) == [("VO", "cms"), ("P4U_Pilot_VAT", "20"), ("empty", "")]

    gone = client.delete(
        f"{url}/properties", params={"key": ["VO", "empty"]}, headers=editor.headers
    )
    assert gone.status_code == 204
    assert _props(client, url) == [("P4U_Pilot_VAT", "20")]
    missing = client.delete(f"{url}/properties", params={"key": "VO"}, headers=editor.headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no extension property 'VO'"
    assert client.delete(f"{url}/properties", headers=editor.headers).status_code == 204
    assert _props(client, url) == []


@pytest.mark.parametrize(
    ("items", "field", "message"),
    [
        ([{"key": "a(b", "value": "x"}], "0.key", "String should match pattern"),
        ([{"key": "VO", "value": "x;drop"}], "0.value", "quotes, ';', parentheses"),
        ([{"key": "VO", "value": "x" * 256}], "0.value", "at most 255 characters"),
        ([{"key": "VO"}, {"key": "VO"}], "key", "a key is given twice"),
        ([{"key": f"k{i}"} for i in range(21)], "key", "at most 20 extension properties"),
    ],
)
def test_bad_properties_are_refused_whole(
    client: TestClient,
    owner: tuple[str, Actor],
    items: list[dict[str, Any]],
    field: str,
    message: str,
) -> None:
    url, editor = owner
    client.post(f"{url}/properties", json=[{"key": "kept", "value": "1"}], headers=editor.headers)
    response = client.put(f"{url}/properties", json=items, headers=editor.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert message in response.json()["detail"]
    assert _props(client, url) == [("kept", "1")]


def test_only_editors_change_properties(
    client: TestClient, federation: Federation, owner: tuple[str, Actor]
) -> None:
    url, editor = owner
    client.post(f"{url}/properties", json=[{"key": "kept", "value": "1"}], headers=editor.headers)
    body = [{"key": "VO", "value": "x"}]
    for method in ("post", "put"):
        send = getattr(client, method)
        assert (
            send(f"{url}/properties", json=body, headers=federation.member.headers).status_code
            == 403
        )
        assert send(f"{url}/properties", json=body).status_code == 401
    assert client.delete(f"{url}/properties", headers=federation.member.headers).status_code == 403
    assert client.delete(f"{url}/properties").status_code == 401
    assert _props(client, url) == [("kept", "1")]


def test_unknown_owner_is_404(client: TestClient, federation: Federation) -> None:
    for plural in ("sites", "services", "endpoints", "service-groups"):
        response = client.get(f"{API}/{plural}/987654/properties")
        assert response.status_code == 404
        assert "987654" in response.json()["detail"]
