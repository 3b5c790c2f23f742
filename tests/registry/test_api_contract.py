"""The REST contract every registry entity keeps: list, get, create (201 + Location), update
(PATCH), delete (204), 404 for unknown ids, 409 for duplicate names, and 403 for a caller
without a role / 401 without a token, none of which changes anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.core.db import isoformat_z, utcnow
from fedcore.registry import service as registry
from fedcore.registry.schemas import ServiceGroupCreate
from tests.registry.factories import Federation

API = "/api/registry"


@dataclass(frozen=True)
class Entity:
    name: str
    collection: Callable[[Federation], str]
    item: str
    existing: Callable[[Session, Federation], int]
    new: Callable[[Federation], dict[str, Any]]
    change: dict[str, Any]
    writer: str = "operator"
    deleter: str = "operator"
    unique_name: bool = True

    def __str__(self) -> str:
        return self.name


def _scope_id(session: Session, _fed: Federation) -> int:
    return next(s.id for s in registry.list_scopes(session=session) if s.name == "EGI")


def _service_type_id(session: Session, _fed: Federation) -> int:
    return next(t.id for t in registry.list_service_types(session=session) if t.name == "CREAM-CE")


def _service_group_id(session: Session, federation: Federation) -> int:
    group = registry.create_service_group(
        session=session,
        actor=federation.operator.principal,
        data=ServiceGroupCreate(
            name="Core", email="core@ngi.test", services=[federation.service.id]
        ),
    )
    session.commit()
    return group.id


def _downtime(federation: Federation) -> dict[str, Any]:
    start = utcnow() + timedelta(days=5)
    return {
        "severity": "WARNING",
        "description": "disk swap",
        "start": isoformat_z(start),
        "end": isoformat_z(start + timedelta(hours=2)),
        "services": [federation.service.id],
    }


ENTITIES = [
    Entity(
        "scope",
        lambda _f: f"{API}/scopes",
        f"{API}/scopes/",
        _scope_id,
        lambda _f: {"name": "EGI.Test", "description": "a test scope"},
        {"description": "still a test scope"},
    ),
    Entity(
        "project",
        lambda _f: f"{API}/projects",
        f"{API}/projects/",
        lambda _s, f: f.ngi.projects[0].id,
        lambda _f: {"name": "WLCG"},
        {"description": "Worldwide LHC Computing Grid"},
    ),
    Entity(
        "ngi",
        lambda _f: f"{API}/ngis",
        f"{API}/ngis/",
        lambda _s, f: f.ngi.id,
        lambda _f: {"name": "NGI_NEW", "projects": ["EGI"], "scopes": ["EGI"]},
        {"email": "ops@new.test", "scopes": ["EGI", "Local"]},
    ),
    Entity(
        "site",
        lambda _f: f"{API}/sites",
        f"{API}/sites/",
        lambda _s, f: f.site.id,
        lambda _f: {"short_name": "NEW-SITE", "ngi": "NGI_TEST", "country_code": "de"},
        {"official_name": "A New Site", "timezone": "Europe/Berlin"},
        writer="ngi_manager",
    ),
    Entity(
        "service_type",
        lambda _f: f"{API}/service-types",
        f"{API}/service-types/",
        _service_type_id,
        lambda _f: {"name": "ARC-CE", "description": "ARC compute element"},
        {"monitoring_exception": True},
    ),
    Entity(
        "service",
        lambda _f: f"{API}/services",
        f"{API}/services/",
        lambda _s, f: f.service.id,
        lambda _f: {
            "hostname": "bdii.test.example",
            "service_type": "Site-BDII",
            "site": "TEST-SITE",
        },
        {"description": "the site BDII", "host_os": "Linux"},
        writer="site_admin",
        deleter="site_admin",
        unique_name=False,
    ),
    Entity(
        "endpoint",
        lambda f: f"{API}/services/{f.service.id}/endpoints",
        f"{API}/endpoints/",
        lambda _s, f: f.endpoint.id,
        lambda _f: {"name": "ce-extra", "url": "https://ce.test.example:9000"},
        {"url": "https://ce.test.example:9443", "monitored": True},
        writer="site_admin",
        deleter="site_admin",
    ),
    Entity(
        "service_group",
        lambda _f: f"{API}/service-groups",
        f"{API}/service-groups/",
        _service_group_id,
        lambda f: {"name": "VO-Services", "email": "vo@ngi.test", "services": [f.service.id]},
        {"monitored": True, "services": []},
    ),
    Entity(
        "downtime",
        lambda _f: f"{API}/downtimes",
        f"{API}/downtimes/",
        lambda _s, f: f.downtime.id,
        _downtime,
        {"description": "disk swap, second attempt", "severity": "OUTAGE"},
        writer="site_admin",
        deleter="site_admin",
        unique_name=False,
    ),
]


def _headers(federation: Federation, actor: str) -> dict[str, str]:
    headers: dict[str, str] = getattr(federation, actor).headers
    return headers


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


@pytest.mark.parametrize("entity", ENTITIES, ids=str)
def test_list_and_get(
    client: TestClient, session: Session, federation: Federation, entity: Entity
) -> None:
    existing = entity.existing(session, federation)
    listed = client.get(entity.collection(federation))
    assert listed.status_code == 200, listed.text
    assert existing in [item["id"] for item in listed.json()["items"]]
    assert listed.json()["next_cursor"] is None
    got = client.get(f"{entity.item}{existing}")
    assert got.status_code == 200
    assert got.json()["id"] == existing
    assert got.json() == next(i for i in listed.json()["items"] if i["id"] == existing)


@pytest.mark.parametrize("entity", ENTITIES, ids=str)
def test_unknown_id_is_404(client: TestClient, federation: Federation, entity: Entity) -> None:
    body = _assert_problem(client.get(f"{entity.item}987654"), 404)
    assert "987654" in body["detail"]
    headers = _headers(federation, entity.writer)
    _assert_problem(client.patch(f"{entity.item}987654", json=entity.change, headers=headers), 404)
    _assert_problem(client.delete(f"{entity.item}987654", headers=headers), 404)


@pytest.mark.parametrize("entity", ENTITIES, ids=str)
def test_create_update_delete(client: TestClient, federation: Federation, entity: Entity) -> None:
    made = client.post(
        entity.collection(federation),
        json=entity.new(federation),
        headers=_headers(federation, entity.writer),
    )
    assert made.status_code == 201, made.text
    location = made.headers["location"]
    assert location == f"{entity.item}{made.json()['id']}"
    assert client.get(location).json() == made.json()

    changed = client.patch(
        location, json=entity.change, headers=_headers(federation, entity.writer)
    )
    assert changed.status_code == 200, changed.text
    for key, value in entity.change.items():
        assert changed.json()[key] == value
    assert client.get(location).json() == changed.json()

    deleted = client.delete(location, headers=_headers(federation, entity.deleter))
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    _assert_problem(client.get(location), 404)


@pytest.mark.parametrize("entity", [e for e in ENTITIES if e.unique_name], ids=str)
def test_duplicate_name_is_409(client: TestClient, federation: Federation, entity: Entity) -> None:
    headers = _headers(federation, entity.writer)
    assert (
        client.post(
            entity.collection(federation), json=entity.new(federation), headers=headers
        ).status_code
        == 201
    )
    before = client.get(entity.collection(federation)).json()
    body = _assert_problem(
        client.post(entity.collection(federation), json=entity.new(federation), headers=headers),
        409,
    )
    assert body["errors"][0]["field"] == "name"
    assert "already" in body["detail"]
    assert client.get(entity.collection(federation)).json() == before


@pytest.mark.parametrize(
    ("actor", "status"), [("member", 403), (None, 401)], ids=["member", "anonymous"]
)
@pytest.mark.parametrize("entity", ENTITIES, ids=str)
def test_callers_without_rights_change_nothing(
    client: TestClient,
    session: Session,
    federation: Federation,
    entity: Entity,
    actor: str | None,
    status: int,
) -> None:
    headers = _headers(federation, actor) if actor else {}
    existing = f"{entity.item}{entity.existing(session, federation)}"
    before = client.get(existing).json()
    listed = client.get(entity.collection(federation)).json()

    _assert_problem(
        client.post(entity.collection(federation), json=entity.new(federation), headers=headers),
        status,
    )
    _assert_problem(client.patch(existing, json=entity.change, headers=headers), status)
    _assert_problem(client.delete(existing, headers=headers), status)

    assert client.get(existing).json() == before
    assert client.get(entity.collection(federation)).json() == listed


@pytest.mark.parametrize("entity", ENTITIES, ids=str)
def test_invalid_input_names_the_field(
    client: TestClient, federation: Federation, entity: Entity
) -> None:
    body = _assert_problem(
        client.post(
            entity.collection(federation),
            json={**entity.new(federation), "no_such_field": 1},
            headers=_headers(federation, entity.writer),
        ),
        422,
    )
    assert body["errors"] == [
        {"field": "no_such_field", "message": "Extra inputs are not permitted"}
    ]
    assert "no_such_field" in body["detail"]
