"""``/api/accounting/publishers``: a site's administrators and operators bind subjects to
publish its records; nobody else sees or changes the bindings."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Actor, Federation

URL = "/api/accounting/publishers"
SUBJECT = "apel-publisher@clients.fedcore.test"


def bind(client: TestClient, actor: Actor, site: str, subject: str = SUBJECT) -> Any:
    return client.post(URL, json={"site": site, "subject": subject}, headers=actor.headers)


def items(client: TestClient, actor: Actor, **params: str) -> list[dict[str, Any]]:
    response = client.get(URL, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    result: list[dict[str, Any]] = body["items"]
    return result


@pytest.mark.parametrize("who", ["site_admin", "ngi_manager", "operator"])
def test_the_sites_administrators_bind_list_and_remove_a_publisher(
    client: TestClient, federation: Federation, who: str
) -> None:
    actor: Actor = getattr(federation, who)
    response = bind(client, actor, " TEST-SITE ")
    assert response.status_code == 201, response.text
    binding = response.json()
    assert binding == {
        "id": binding["id"],
        "site": "TEST-SITE",
        "subject": SUBJECT,
        "created_by": actor.principal.subject,
        "created_at": binding["created_at"],
    }
    assert binding["created_at"].endswith("Z")
    assert items(client, actor) == [binding]
    assert items(client, actor, site="TEST-SITE") == [binding]
    again = bind(client, actor, "TEST-SITE")
    assert again.status_code == 409
    assert again.json()["detail"] == f"{SUBJECT} already publishes for site TEST-SITE"
    removed = client.delete(f"{URL}/{binding['id']}", headers=actor.headers)
    assert removed.status_code == 204
    assert items(client, actor) == []
    gone = client.delete(f"{URL}/{binding['id']}", headers=actor.headers)
    assert gone.status_code == 404


def test_others_neither_see_nor_change_a_sites_publishers(
    client: TestClient, federation: Federation
) -> None:
    binding = bind(client, federation.operator, "OTHER-SITE").json()
    site_admin = federation.site_admin
    assert items(client, site_admin) == []
    refused = bind(client, site_admin, "OTHER-SITE", "x@clients.fedcore.test")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"{site_admin.principal.subject} may not manage the publishers of site OTHER-SITE"
    )
    listing = client.get(URL, params={"site": "OTHER-SITE"}, headers=site_admin.headers)
    assert listing.status_code == 403
    deleting = client.delete(f"{URL}/{binding['id']}", headers=federation.member.headers)
    assert deleting.status_code == 403
    assert items(client, federation.operator) == [binding]


def test_a_binding_needs_a_registry_site_and_a_subject(
    client: TestClient, federation: Federation
) -> None:
    unknown = bind(client, federation.operator, "NOT-A-SITE")
    assert unknown.status_code == 404
    empty = bind(client, federation.operator, "TEST-SITE", "  ")
    assert empty.status_code == 422
    assert empty.json()["errors"] == [{"field": "subject", "message": "must be 1-1000 characters"}]
    extra = client.post(
        URL,
        json={"site": "TEST-SITE", "subject": SUBJECT, "role": "x"},
        headers=federation.operator.headers,
    )
    assert extra.status_code == 422
