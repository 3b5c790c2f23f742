"""Users, the role workflow (request -> grant / reject / revoke, GOCDB's matrix deciding who may
decide), personal data and site API credentials, through the REST API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.registry.enums import EntityType, RoleType
from tests.registry.factories import Federation, grant, make_actor

API = "/api/registry"


@pytest.fixture
def fed(session: Session, federation: Federation) -> Federation:
    # A failing request rolls the session back; commit so that it rolls back to here.
    session.commit()
    return federation


def _register(client: TestClient, fed: Federation) -> dict[str, Any]:
    response = client.post(
        f"{API}/users",
        json={
            "subject": fed.member.principal.subject,
            "forename": "Mia",
            "surname": "Member",
            "email": "mia@test.example",
            "home_site": "TEST-SITE",
        },
        headers=fed.member.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _request(
    client: TestClient, fed: Federation, role_type: str = "Site Administrator"
) -> dict[str, Any]:
    response = client.post(
        f"{API}/roles",
        json={"role_type": role_type, "entity_type": "site", "entity_id": fed.site.id},
        headers=fed.member.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _edit_site(client: TestClient, fed: Federation) -> int:
    response = client.patch(
        f"{API}/sites/{fed.site.id}",
        json={"description": "edited by the member"},
        headers=fed.member.headers,
    )
    return response.status_code


def _decisions(client: TestClient, fed: Federation) -> list[tuple[str, str, str]]:
    response = client.get(f"{API}/role-decisions", headers=fed.operator.headers)
    assert response.status_code == 200
    return [
        (d["user_subject"], d["old_status"], d["new_status"])
        for d in response.json()["items"]
        if d["user_subject"] == fed.member.principal.subject
    ]


# --- users ----------------------------------------------------------------------------------------


def test_register_get_and_update_yourself(client: TestClient, fed: Federation) -> None:
    user = _register(client, fed)
    assert user["home_site"] == "TEST-SITE"
    assert user["created_at"].endswith("Z")
    location = f"{API}/users/{user['id']}"
    assert client.get(location, headers=fed.member.headers).json() == user
    changed = client.patch(
        location, json={"telephone": "+41 22 000", "home_site": None}, headers=fed.member.headers
    )
    assert changed.status_code == 200
    assert (changed.json()["telephone"], changed.json()["home_site"]) == ("+41 22 000", None)
    again = client.post(
        f"{API}/users", json={"subject": fed.member.principal.subject}, headers=fed.member.headers
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "subject"


def test_users_register_only_themselves(client: TestClient, fed: Federation) -> None:
    body = {"subject": "someone.else@fedcore.test"}
    assert client.post(f"{API}/users", json=body, headers=fed.member.headers).status_code == 403
    assert client.post(f"{API}/users", json=body).status_code == 401
    assert client.post(f"{API}/users", json=body, headers=fed.operator.headers).status_code == 201


def test_unknown_home_site_is_named(client: TestClient, fed: Federation) -> None:
    response = client.post(
        f"{API}/users",
        json={"subject": fed.member.principal.subject, "home_site": "NOPE"},
        headers=fed.member.headers,
    )
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "home_site", "message": "no home site named 'NOPE'"}
    ]


def test_personal_data_is_for_self_role_holders_and_operators(
    client: TestClient, session: Session, fed: Federation
) -> None:
    stranger = make_actor(session, "stranger@fedcore.test")
    session.commit()
    member = f"{API}/users/{_register(client, fed)['id']}"
    assert client.get(member).status_code == 401
    assert client.get(member, headers=stranger.headers).status_code == 403
    for actor in (fed.member, fed.site_admin, fed.operator):
        assert client.get(member, headers=actor.headers).status_code == 200
    assert client.patch(member, json={"surname": "X"}).status_code == 401
    assert (
        client.patch(member, json={"surname": "X"}, headers=fed.site_admin.headers).status_code
        == 403
    )
    assert client.get(member, headers=fed.member.headers).json()["surname"] == "Member"


def test_roles_list_shows_others_only_to_role_holders(client: TestClient, fed: Federation) -> None:
    _register(client, fed)
    mine = _request(client, fed)
    assert client.get(f"{API}/roles").status_code == 401
    seen_by_member = client.get(f"{API}/roles", headers=fed.member.headers).json()["items"]
    assert seen_by_member == [mine]
    manager = {"subject": fed.ngi_manager.principal.subject}
    assert client.get(f"{API}/roles", params=manager, headers=fed.member.headers).status_code == 403
    seen_by_admin = client.get(f"{API}/roles", headers=fed.site_admin.headers).json()["items"]
    assert {r["user_subject"] for r in seen_by_admin} == {
        fed.member.principal.subject,
        fed.ngi_manager.principal.subject,
        fed.site_admin.principal.subject,
    }
    other = next(r for r in seen_by_admin if r["user_subject"] != fed.member.principal.subject)
    assert client.get(f"{API}/roles/{other['id']}", headers=fed.member.headers).status_code == 403
    assert client.get(f"{API}/roles/{mine['id']}", headers=fed.member.headers).json() == mine


# --- the role workflow ----------------------------------------------------------------------------


def test_request_grant_revoke(client: TestClient, fed: Federation) -> None:
    _register(client, fed)
    assert _edit_site(client, fed) == 403
    role = _request(client, fed)
    assert (role["status"], role["entity_name"], role["user_subject"]) == (
        "STATUS_PENDING",
        "TEST-SITE",
        fed.member.principal.subject,
    )
    pending = client.get(
        f"{API}/roles",
        params={"entity_type": "site", "entity_id": fed.site.id, "status": "STATUS_PENDING"},
        headers=fed.ngi_manager.headers,
    ).json()["items"]
    assert [r["id"] for r in pending] == [role["id"]]
    assert _edit_site(client, fed) == 403, "a pending role gives no rights"

    # GOCDB's matrix: a Site Administrator may not grant site roles, an NGI manager may.
    refused = client.post(f"{API}/roles/{role['id']}/grant", headers=fed.site_admin.headers)
    assert refused.status_code == 403
    granted = client.post(f"{API}/roles/{role['id']}/grant", headers=fed.ngi_manager.headers)
    assert granted.status_code == 200
    assert granted.json()["status"] == "STATUS_GRANTED"
    assert granted.json()["decided_by"] == fed.ngi_manager.principal.subject
    assert granted.json()["decided_at"].endswith("Z")
    assert _edit_site(client, fed) == 200

    again = client.post(f"{API}/roles/{role['id']}/grant", headers=fed.ngi_manager.headers)
    assert again.status_code == 409
    assert again.json()["detail"] == "only a pending role can be granted"

    revoked = client.post(f"{API}/roles/{role['id']}/revoke", headers=fed.ngi_manager.headers)
    assert revoked.status_code == 204
    assert client.get(f"{API}/roles/{role['id']}", headers=fed.operator.headers).status_code == 404
    assert _edit_site(client, fed) == 403
    assert _decisions(client, fed) == [
        (fed.member.principal.subject, "", "STATUS_PENDING"),
        (fed.member.principal.subject, "STATUS_PENDING", "STATUS_GRANTED"),
        (fed.member.principal.subject, "STATUS_GRANTED", "STATUS_REVOKED"),
    ]


def test_reject_deletes_the_request_and_records_it(client: TestClient, fed: Federation) -> None:
    _register(client, fed)
    role = _request(client, fed, "Site Security Officer")
    duplicate = client.post(
        f"{API}/roles",
        json={
            "role_type": "Site Security Officer",
            "entity_type": "site",
            "entity_id": fed.site.id,
        },
        headers=fed.member.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "this role is STATUS_PENDING already"
    assert (
        client.post(f"{API}/roles/{role['id']}/reject", headers=fed.member.headers).status_code
        == 403
    )
    rejected = client.post(f"{API}/roles/{role['id']}/reject", headers=fed.ngi_manager.headers)
    assert rejected.status_code == 204
    assert client.get(f"{API}/roles", headers=fed.member.headers).json()["items"] == []
    assert _decisions(client, fed)[-1] == (
        fed.member.principal.subject,
        "STATUS_PENDING",
        "STATUS_REJECTED",
    )
    assert _edit_site(client, fed) == 403


def test_site_managers_grant_site_roles(
    client: TestClient, session: Session, fed: Federation
) -> None:
    manager = make_actor(session, "site.manager@fedcore.test")
    grant(
        session,
        manager.principal.subject,
        RoleType.SITE_OPERATIONS_MANAGER,
        EntityType.SITE,
        fed.site.id,
    )
    session.commit()
    _register(client, fed)
    role = _request(client, fed)
    other_ngi_site = client.post(
        f"{API}/roles",
        json={
            "role_type": "Site Administrator",
            "entity_type": "site",
            "entity_id": fed.other_site.id,
        },
        headers=fed.member.headers,
    ).json()
    refused = client.post(f"{API}/roles/{other_ngi_site['id']}/grant", headers=manager.headers)
    assert refused.status_code == 403, "roles over one site give no say over another"
    granted = client.post(f"{API}/roles/{role['id']}/grant", headers=manager.headers)
    assert granted.status_code == 200


def test_holders_may_drop_their_own_role(client: TestClient, fed: Federation) -> None:
    _register(client, fed)
    role = _request(client, fed)
    client.post(f"{API}/roles/{role['id']}/grant", headers=fed.ngi_manager.headers)
    assert (
        client.post(f"{API}/roles/{role['id']}/revoke", headers=fed.member.headers).status_code
        == 204
    )
    assert _edit_site(client, fed) == 403


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        (
            {"role_type": "NGI Operations Manager", "entity_type": "site"},
            422,
            "role_type",
            "NGI Operations Manager is held over a ngi, not a site",
        ),
        ({"role_type": "Site Boss", "entity_type": "site"}, 422, "role_type", "Input should be"),
        (
            {"role_type": "Site Administrator", "entity_type": "site", "entity_id": 987654},
            404,
            "entity_id",
            "no site with id 987654",
        ),
    ],
)
def test_bad_role_requests_are_explained(
    client: TestClient,
    fed: Federation,
    body: dict[str, Any],
    status: int,
    field: str,
    message: str,
) -> None:
    _register(client, fed)
    response = client.post(
        f"{API}/roles", json={"entity_id": fed.site.id, **body}, headers=fed.member.headers
    )
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert message in response.json()["detail"]
    assert client.get(f"{API}/roles", headers=fed.member.headers).json()["items"] == []


def test_unregistered_callers_cannot_request_roles(client: TestClient, fed: Federation) -> None:
    body = {"role_type": "Site Administrator", "entity_type": "site", "entity_id": fed.site.id}
    response = client.post(f"{API}/roles", json=body, headers=fed.member.headers)
    assert response.status_code == 409
    assert response.json()["detail"] == "register as a user before requesting a role"
    assert client.post(f"{API}/roles", json=body).status_code == 401


def test_role_decisions_are_for_operators(client: TestClient, fed: Federation) -> None:
    assert client.get(f"{API}/role-decisions").status_code == 401
    for actor in (fed.member, fed.ngi_manager):
        assert client.get(f"{API}/role-decisions", headers=actor.headers).status_code == 403


# --- site API credentials -------------------------------------------------------------------------


def test_api_credentials_lifecycle(client: TestClient, fed: Federation) -> None:
    url = f"{API}/sites/{fed.site.id}/api-credentials"
    body = {"kind": "X.509", "identifier": "/DC=org/DC=test/CN=robot", "allow_write": True}
    made = client.post(url, json=body, headers=fed.site_admin.headers)
    assert made.status_code == 201, made.text
    credential = made.json()
    assert credential["owner_subject"] == fed.site_admin.principal.subject
    assert credential["last_used_at"] is None
    assert client.get(made.headers["location"], headers=fed.site_admin.headers).json() == credential
    listed = client.get(url, headers=fed.ngi_manager.headers).json()
    assert listed == {"items": [credential], "next_cursor": None}

    duplicate = client.post(url, json=body, headers=fed.site_admin.headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "identifier"
    bad_dn = client.post(
        url, json={"kind": "X.509", "identifier": "CN=robot"}, headers=fed.site_admin.headers
    )
    assert bad_dn.status_code == 422
    assert bad_dn.json()["errors"] == [
        {"field": "identifier", "message": "an X.509 DN looks like /DC=org/CN=host"}
    ]

    assert client.get(url).status_code == 401
    assert client.get(url, headers=fed.member.headers).status_code == 403
    assert client.post(url, json=body, headers=fed.member.headers).status_code == 403
    item = f"{url}/{credential['id']}"
    assert client.delete(item, headers=fed.member.headers).status_code == 403
    assert client.delete(item, headers=fed.site_admin.headers).status_code == 204
    assert client.get(item, headers=fed.site_admin.headers).status_code == 404
    assert client.get(url, headers=fed.site_admin.headers).json()["items"] == []


def test_revoking_the_last_role_of_a_credential_owner_is_blocked(
    client: TestClient, fed: Federation
) -> None:
    url = f"{API}/sites/{fed.site.id}/api-credentials"
    body = {"kind": "OIDC Subject", "identifier": "robot-sub-1"}
    assert client.post(url, json=body, headers=fed.site_admin.headers).status_code == 201
    role = client.get(
        f"{API}/roles",
        params={"subject": fed.site_admin.principal.subject},
        headers=fed.operator.headers,
    ).json()["items"][0]
    refused = client.post(f"{API}/roles/{role['id']}/revoke", headers=fed.ngi_manager.headers)
    assert refused.status_code == 409
    assert "owns site API credentials" in refused.json()["detail"]
    assert client.get(f"{API}/roles/{role['id']}", headers=fed.operator.headers).status_code == 200
