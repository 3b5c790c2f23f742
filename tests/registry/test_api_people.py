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


def _register(client: TestClient, federation: Federation) -> dict[str, Any]:
    response = client.post(
        f"{API}/users",
        json={
            "subject": federation.member.principal.subject,
            "forename": "Mia",
            "surname": "Member",
            "email": "mia@test.example",
            "home_site": "TEST-SITE",
        },
        headers=federation.member.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _request(
    client: TestClient, federation: Federation, role_type: str = "Site Administrator"
) -> dict[str, Any]:
    response = client.post(
        f"{API}/roles",
        json={"role_type": role_type, "entity_type": "site", "entity_id": federation.site.id},
        headers=federation.member.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _edit_site(client: TestClient, federation: Federation) -> int:
    response = client.patch(
        f"{API}/sites/{federation.site.id}",
        json={"description": "edited by the member"},
        headers=federation.member.headers,
    )
    return response.status_code


def _decisions(client: TestClient, federation: Federation) -> list[tuple[str, str, str]]:
    response = client.get(f"{API}/role-decisions", headers=federation.operator.headers)
    assert response.status_code == 200
    return [
        (d["user_subject"], d["old_status"], d["new_status"])
        for d in response.json()["items"]
        if d["user_subject"] == federation.member.principal.subject
    ]


# --- users ----------------------------------------------------------------------------------------


def test_register_get_and_update_yourself(client: TestClient, federation: Federation) -> None:
    user = _register(client, federation)
    assert user["home_site"] == "TEST-SITE"
    assert user["created_at"].endswith("Z")
    location = f"{API}/users/{user['id']}"
    assert client.get(location, headers=federation.member.headers).json() == user
    changed = client.patch(
        location,
        json={"telephone": "+41 22 000", "home_site": None},
        headers=federation.member.headers,
    )
    assert changed.status_code == 200
    assert (changed.json()["telephone"], changed.json()["home_site"]) == ("+41 22 000", None)
    again = client.post(
        f"{API}/users",
        json={"subject": federation.member.principal.subject},
        headers=federation.member.headers,
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "subject"


def test_users_register_only_themselves(client: TestClient, federation: Federation) -> None:
    body = {"subject": "someone.else@fedcore.test"}
    assert (
        client.post(f"{API}/users", json=body, headers=federation.member.headers).status_code == 403
    )
    assert client.post(f"{API}/users", json=body).status_code == 401
    assert (
        client.post(f"{API}/users", json=body, headers=federation.operator.headers).status_code
        == 201
    )


def test_unknown_home_site_is_named(client: TestClient, federation: Federation) -> None:
    response = client.post(
        f"{API}/users",
        json={"subject": federation.member.principal.subject, "home_site": "NOPE"},
        headers=federation.member.headers,
    )
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "home_site", "message": "no home site named 'NOPE'"}
    ]


def test_personal_data_is_for_self_role_holders_and_operators(
    client: TestClient, session: Session, federation: Federation
) -> None:
    stranger = make_actor(session, "stranger@fedcore.test")
    session.commit()
    member = f"{API}/users/{_register(client, federation)['id']}"
    assert client.get(member).status_code == 401
    assert client.get(member, headers=stranger.headers).status_code == 403
    for actor in (federation.member, federation.site_admin, federation.operator):
        assert client.get(member, headers=actor.headers).status_code == 200
    assert client.patch(member, json={"surname": "X"}).status_code == 401
    assert (
        client.patch(
            member, json={"surname": "X"}, headers=federation.site_admin.headers
        ).status_code
        == 403
    )
    assert client.get(member, headers=federation.member.headers).json()["surname"] == "Member"


def test_roles_list_shows_others_only_to_role_holders(
    client: TestClient, federation: Federation
) -> None:
    _register(client, federation)
    mine = _request(client, federation)
    assert client.get(f"{API}/roles").status_code == 401
    seen_by_member = client.get(f"{API}/roles", headers=federation.member.headers).json()["items"]
    assert seen_by_member == [mine]
    manager = {"subject": federation.ngi_manager.principal.subject}
    assert (
        client.get(f"{API}/roles", params=manager, headers=federation.member.headers).status_code
        == 403
    )
    seen_by_admin = client.get(f"{API}/roles", headers=federation.site_admin.headers).json()[
        "items"
    ]
    assert {r["user_subject"] for r in seen_by_admin} == {
        federation.member.principal.subject,
        federation.ngi_manager.principal.subject,
        federation.site_admin.principal.subject,
    }
    other = next(
        r for r in seen_by_admin if r["user_subject"] != federation.member.principal.subject
    )
    assert (
        client.get(f"{API}/roles/{other['id']}", headers=federation.member.headers).status_code
        == 403
    )
    assert client.get(f"{API}/roles/{mine['id']}", headers=federation.member.headers).json() == mine


# --- the role workflow ----------------------------------------------------------------------------


def test_request_grant_revoke(client: TestClient, federation: Federation) -> None:
    _register(client, federation)
    assert _edit_site(client, federation) == 403
    role = _request(client, federation)
    assert (role["status"], role["entity_name"], role["user_subject"]) == (
        "STATUS_PENDING",
        "TEST-SITE",
        federation.member.principal.subject,
    )
    pending = client.get(
        f"{API}/roles",
        params={"entity_type": "site", "entity_id": federation.site.id, "status": "STATUS_PENDING"},
        headers=federation.ngi_manager.headers,
    ).json()["items"]
    assert [r["id"] for r in pending] == [role["id"]]
    assert _edit_site(client, federation) == 403, "a pending role gives no rights"

    # GOCDB's matrix: a Site Administrator may not grant site roles, an NGI manager may.
    refused = client.post(f"{API}/roles/{role['id']}/grant", headers=federation.site_admin.headers)
    assert refused.status_code == 403
    granted = client.post(f"{API}/roles/{role['id']}/grant", headers=federation.ngi_manager.headers)
    assert granted.status_code == 200
    assert granted.json()["status"] == "STATUS_GRANTED"
    assert granted.json()["decided_by"] == federation.ngi_manager.principal.subject
    assert granted.json()["decided_at"].endswith("Z")
    assert _edit_site(client, federation) == 200

    again = client.post(f"{API}/roles/{role['id']}/grant", headers=federation.ngi_manager.headers)
    assert again.status_code == 409
    assert again.json()["detail"] == "only a pending role can be granted"

    revoked = client.post(
        f"{API}/roles/{role['id']}/revoke", headers=federation.ngi_manager.headers
    )
    assert revoked.status_code == 204
    assert (
        client.get(f"{API}/roles/{role['id']}", headers=federation.operator.headers).status_code
        == 404
    )
    assert _edit_site(client, federation) == 403
    assert _decisions(client, federation) == [
        (federation.member.principal.subject, "", "STATUS_PENDING"),
        (federation.member.principal.subject, "STATUS_PENDING", "STATUS_GRANTED"),
        (federation.member.principal.subject, "STATUS_GRANTED", "STATUS_REVOKED"),
    ]


def test_reject_deletes_the_request_and_records_it(
    client: TestClient, federation: Federation
) -> None:
    _register(client, federation)
    role = _request(client, federation, "Site Security Officer")
    duplicate = client.post(
        f"{API}/roles",
        json={
            "role_type": "Site Security Officer",
            "entity_type": "site",
            "entity_id": federation.site.id,
        },
        headers=federation.member.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "this role is STATUS_PENDING already"
    assert (
        client.post(
            f"{API}/roles/{role['id']}/reject", headers=federation.member.headers
        ).status_code
        == 403
    )
    rejected = client.post(
        f"{API}/roles/{role['id']}/reject", headers=federation.ngi_manager.headers
    )
    assert rejected.status_code == 204
    assert client.get(f"{API}/roles", headers=federation.member.headers).json()["items"] == []
    assert _decisions(client, federation)[-1] == (
        federation.member.principal.subject,
        "STATUS_PENDING",
        "STATUS_REJECTED",
    )
    assert _edit_site(client, federation) == 403


def test_site_managers_grant_site_roles(
    client: TestClient, session: Session, federation: Federation
) -> None:
    manager = make_actor(session, "site.manager@fedcore.test")
    grant(
        session,
        manager.principal.subject,
        RoleType.SITE_OPERATIONS_MANAGER,
        EntityType.SITE,
        federation.site.id,
    )
    session.commit()
    _register(client, federation)
    role = _request(client, federation)
    other_ngi_site = client.post(
        f"{API}/roles",
        json={
            "role_type": "Site Administrator",
            "entity_type": "site",
            "entity_id": federation.other_site.id,
        },
        headers=federation.member.headers,
    ).json()
    refused = client.post(f"{API}/roles/{other_ngi_site['id']}/grant", headers=manager.headers)
    assert refused.status_code == 403, "roles over one site give no say over another"
    granted = client.post(f"{API}/roles/{role['id']}/grant", headers=manager.headers)
    assert granted.status_code == 200


def test_holders_may_drop_their_own_role(client: TestClient, federation: Federation) -> None:
    _register(client, federation)
    role = _request(client, federation)
    client.post(f"{API}/roles/{role['id']}/grant", headers=federation.ngi_manager.headers)
    assert (
        client.post(
            f"{API}/roles/{role['id']}/revoke", headers=federation.member.headers
        ).status_code
        == 204
    )
    assert _edit_site(client, federation) == 403


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
    federation: Federation,
    body: dict[str, Any],
    status: int,
    field: str,
    message: str,
) -> None:
    _register(client, federation)
    response = client.post(
        f"{API}/roles",
        json={"entity_id": federation.site.id, **body},
        headers=federation.member.headers,
    )
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert message in response.json()["detail"]
    assert client.get(f"{API}/roles", headers=federation.member.headers).json()["items"] == []


def test_unregistered_callers_cannot_request_roles(
    client: TestClient, federation: Federation
) -> None:
    body = {
        "role_type": "Site Administrator",
        "entity_type": "site",
        "entity_id": federation.site.id,
    }
    response = client.post(f"{API}/roles", json=body, headers=federation.member.headers)
    assert response.status_code == 409
    assert response.json()["detail"] == "register as a user before requesting a role"
    assert client.post(f"{API}/roles", json=body).status_code == 401


def test_role_decisions_are_for_operators(client: TestClient, federation: Federation) -> None:
    assert client.get(f"{API}/role-decisions").status_code == 401
    for actor in (federation.member, federation.ngi_manager):
        assert client.get(f"{API}/role-decisions", headers=actor.headers).status_code == 403


# --- site API credentials -------------------------------------------------------------------------


def test_api_credentials_lifecycle(client: TestClient, federation: Federation) -> None:
    url = f"{API}/sites/{federation.site.id}/api-credentials"
    body = {"kind": "X.509", "identifier": "/DC=org/DC=test/CN=robot", "allow_write": True}
    made = client.post(url, json=body, headers=federation.site_admin.headers)
    assert made.status_code == 201, made.text
    credential = made.json()
    assert credential["owner_subject"] == federation.site_admin.principal.subject
    assert credential["last_used_at"] is None
    assert (
        client.get(made.headers["location"], headers=federation.site_admin.headers).json()
        == credential
    )
    listed = client.get(url, headers=federation.ngi_manager.headers).json()
    assert listed == {"items": [credential], "next_cursor": None}

    duplicate = client.post(url, json=body, headers=federation.site_admin.headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "identifier"
    bad_dn = client.post(
        url, json={"kind": "X.509", "identifier": "CN=robot"}, headers=federation.site_admin.headers
    )
    assert bad_dn.status_code == 422
    assert bad_dn.json()["errors"] == [
        {"field": "identifier", "message": "an X.509 DN looks like /DC=org/CN=host"}
    ]

    assert client.get(url).status_code == 401
    assert client.get(url, headers=federation.member.headers).status_code == 403
    assert client.post(url, json=body, headers=federation.member.headers).status_code == 403
    item = f"{url}/{credential['id']}"
    assert client.delete(item, headers=federation.member.headers).status_code == 403
    assert client.delete(item, headers=federation.site_admin.headers).status_code == 204
    assert client.get(item, headers=federation.site_admin.headers).status_code == 404
    assert client.get(url, headers=federation.site_admin.headers).json()["items"] == []


def test_revoking_the_last_role_of_a_credential_owner_is_blocked(
    client: TestClient, federation: Federation
) -> None:
    url = f"{API}/sites/{federation.site.id}/api-credentials"
    body = {"kind": "OIDC Subject", "identifier": "robot-sub-1"}
    assert client.post(url, json=body, headers=federation.site_admin.headers).status_code == 201
    role = client.get(
        f"{API}/roles",
        params={"subject": federation.site_admin.principal.subject},
        headers=federation.operator.headers,
    ).json()["items"][0]
    refused = client.post(
        f"{API}/roles/{role['id']}/revoke", headers=federation.ngi_manager.headers
    )
    assert refused.status_code == 409
    assert "owns site API credentials" in refused.json()["detail"]
    assert (
        client.get(f"{API}/roles/{role['id']}", headers=federation.operator.headers).status_code
        == 200
    )
