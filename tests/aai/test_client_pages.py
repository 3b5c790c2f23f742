"""The client pages: register (pending), an operator approves, the secret is shown once,
changes, rotation, entitlements (of service accounts, and in tokens), deletion, and who may see
what."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from fedcore.aai.models import Client
from fedcore.aai.service import clients, tokens
from tests.registry.factories import Actor, Federation
from tests.support.pages import field_error, sign_in

WEB_APP = {
    "name": "Science portal",
    "client_type": "confidential",
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": "https://portal.example.org/callback\nhttp://127.0.0.1:8080/cb",
    "scopes": ["openid", "profile", "email", "offline_access"],
    "pkce_required": "on",
}
SERVICE = {
    "name": "Monitoring probe",
    "client_type": "confidential",
    "grant_types": ["client_credentials"],
    "scopes": ["openid", "entitlements"],
    "pkce_required": "on",
}


def secret_in(response: Response) -> str | None:
    match = re.search(r'<code id="client-secret">([^<]+)</code>', response.text)
    return html.unescape(match.group(1)) if match else None


def client_id_in(response: Response) -> str:
    match = re.search(r'<dd class="mono wrap-anywhere" id="client-id">([^<]+)</dd>', response.text)
    assert match, "no client id on the page"
    return match.group(1)


def register(client: TestClient, csrf: str, form: dict[str, object]) -> Response:
    return client.post("/aai/clients/new", data={**form, "csrf": csrf}, follow_redirects=False)


def stored(session: Session, client_id: str) -> Client:
    session.expire_all()
    return clients.get_client(session=session, client_id=client_id)


def as_user(client: TestClient, actor: Actor) -> str:
    return sign_in(client, actor)


def test_anonymous_viewers_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/aai/clients?status=pending", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/aai/clients%3Fstatus%3Dpending"
    response = client.get("/aai/clients/abc", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/aai/clients/abc"


def test_register_then_an_operator_approves_and_the_secret_is_shown_once(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = as_user(client, federation.member)
    page = client.get("/aai/clients")
    assert page.status_code == 200
    assert "No clients yet." in page.text
    assert 'id="register"' in page.text

    created = register(client, csrf, WEB_APP)
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = secret_in(created)
    assert secret is not None
    assert "an operator will review it" in created.text
    client_id = client_id_in(created)
    row = stored(session, client_id)
    assert row.status == "pending"
    assert row.owner_subject == federation.member.principal.subject
    assert row.redirect_uris == ["https://portal.example.org/callback", "http://127.0.0.1:8080/cb"]
    assert row.scopes == ["openid", "profile", "email", "offline_access"]
    assert clients.check_client_secret(row, secret)

    again = client.get(f"/aai/clients/{client_id}")
    assert again.status_code == 200
    assert secret_in(again) is None
    assert secret not in again.text
    assert "Waiting for an operator's review" in again.text
    assert 'action="/aai/clients/' + client_id + '/decision"' not in again.text
    listing = client.get("/aai/clients").text
    assert f'href="/aai/clients/{client_id}">Science portal</a>' in listing
    assert '<span class="badge amber">pending</span>' in listing

    csrf = as_user(client, federation.operator)
    mine = register(client, csrf, {**SERVICE, "name": "Operator's probe"})
    assert mine.status_code == 201
    assert "is registered and approved" in mine.text
    listing = client.get("/aai/clients").text
    assert listing.index("Science portal") < listing.index("Operator&#39;s probe")
    assert federation.member.principal.subject in listing
    filtered = client.get("/aai/clients?status=pending").text
    assert "Science portal" in filtered
    assert "Operator&#39;s probe" not in filtered
    bad_filter = client.get("/aai/clients?status=gone")
    assert bad_filter.status_code == 422
    assert "choose one of" in field_error(bad_filter, "status")

    decided = client.post(
        f"/aai/clients/{client_id}/decision",
        data={"status": "approved", "reason": "checked the redirect URIs", "csrf": csrf},
    )
    assert decided.status_code == 200
    assert "Science portal is approved." in decided.text
    row = stored(session, client_id)
    assert (row.status, row.decision_reason) == ("approved", "checked the redirect URIs")
    wrong = client.post(
        f"/aai/clients/{client_id}/decision", data={"status": "rejected", "csrf": csrf}
    )
    assert wrong.status_code == 409
    assert "cannot be rejected: the client is approved" in field_error(wrong, "status")
    assert stored(session, client_id).status == "approved"


def test_bad_registrations_are_named_next_to_the_field(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = as_user(client, federation.member)
    response = register(
        client,
        csrf,
        {**WEB_APP, "redirect_uris": "http://portal.example.org/callback", "name": ""},
    )
    assert response.status_code == 422
    assert "at least 1 character" in field_error(response, "name")
    assert "http is only allowed on a loopback host" in html.unescape(
        field_error(response, "redirect_uris")
    )
    assert "http://portal.example.org/callback</textarea>" in response.text
    public = register(client, csrf, {**SERVICE, "client_type": "public", "pkce_required": "on"})
    assert public.status_code == 422
    assert "a public client cannot use client_credentials" in field_error(public, "grant_types")
    none = register(client, csrf, {"name": "x", "csrf": csrf})
    assert "choose at least one grant type" in field_error(none, "grant_types")
    assert clients.list_clients(session=session, actor=federation.member.principal) == []
    stale = client.post("/aai/clients/new", data=WEB_APP)
    assert stale.status_code == 403


def test_owner_changes_rotates_and_deletes_and_others_are_refused(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = as_user(client, federation.member)
    created = register(client, csrf, WEB_APP)
    client_id = client_id_in(created)
    first_secret = secret_in(created)
    assert first_secret is not None

    changed = client.post(
        f"/aai/clients/{client_id}",
        data={**WEB_APP, "name": "Portal 2", "redirect_uris": "https://portal.example.org/cb2",
              "csrf": csrf},
    )  # fmt: skip
    assert changed.status_code == 200
    assert "Saved" in changed.text
    row = stored(session, client_id)
    assert (row.name, row.redirect_uris) == ("Portal 2", ["https://portal.example.org/cb2"])
    invalid = client.post(
        f"/aai/clients/{client_id}", data={**WEB_APP, "redirect_uris": "", "csrf": csrf}
    )
    assert invalid.status_code == 422
    assert "needs at least one redirect URI" in field_error(invalid, "redirect_uris")
    assert stored(session, client_id).redirect_uris == ["https://portal.example.org/cb2"]

    rotated = client.post(f"/aai/clients/{client_id}/rotate-secret", data={"csrf": csrf})
    assert rotated.headers["cache-control"] == "no-store"
    new_secret = secret_in(rotated)
    assert new_secret is not None
    row = stored(session, client_id)
    assert clients.check_client_secret(row, new_secret)
    assert not clients.check_client_secret(row, first_secret)
    assert secret_in(client.get(f"/aai/clients/{client_id}")) is None

    as_user(client, federation.site_admin)
    assert client.get(f"/aai/clients/{client_id}").status_code == 403
    assert client.get("/aai/clients").text.count("Portal 2") == 0

    csrf = as_user(client, federation.member)
    deleted = client.post(f"/aai/clients/{client_id}/delete", data={"csrf": csrf})
    assert "Portal 2 was deleted" in deleted.text
    assert clients.find_client(session=session, client_id=client_id) is None


def test_operators_edit_service_account_entitlements(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = as_user(client, federation.member)
    client_id = client_id_in(register(client, csrf, SERVICE))
    page = client.get(f"/aai/clients/{client_id}").text
    assert 'id="service-subject"' in page
    assert "/entitlements" not in page

    csrf = as_user(client, federation.operator)
    urn = "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu"
    saved = client.post(
        f"/aai/clients/{client_id}/entitlements",
        data={"entitlements": f"{urn}\n{urn}\n", "csrf": csrf},
    )
    assert saved.status_code == 200
    assert stored(session, client_id).entitlements == [urn]
    bad = client.post(
        f"/aai/clients/{client_id}/entitlements",
        data={"entitlements": f"{urn}\nmember", "csrf": csrf},
    )
    assert bad.status_code == 422
    assert "&#39;member&#39; is not an entitlement" in field_error(bad, "entitlements")
    assert f"{urn}\nmember</textarea>" in bad.text
    assert stored(session, client_id).entitlements == [urn]


def test_operators_put_entitlements_in_a_clients_tokens(
    client: TestClient, session: Session, federation: Federation
) -> None:
    box = 'name="entitlements_in_token"'
    csrf = as_user(client, federation.member)
    assert box not in client.get("/aai/clients").text
    refused = register(client, csrf, {**SERVICE, "entitlements_in_token": "on"})
    assert refused.status_code == 403
    assert "only operators decide whether a client" in refused.text
    created = register(client, csrf, SERVICE)
    client_id, secret = client_id_in(created), secret_in(created)
    assert secret is not None
    page = client.get(f"/aai/clients/{client_id}").text
    assert box not in page
    assert 'id="entitlements-in-token">no' in page
    tampered = client.post(
        f"/aai/clients/{client_id}",
        data={**SERVICE, "entitlements_in_token": "on", "csrf": csrf},
    )
    assert tampered.status_code == 403
    assert stored(session, client_id).entitlements_in_token is False

    csrf = as_user(client, federation.operator)
    assert box in client.get("/aai/clients").text
    assert box in client.get(f"/aai/clients/{client_id}").text
    client.post(f"/aai/clients/{client_id}/decision", data={"status": "approved", "csrf": csrf})
    urn = "urn:mace:egi.eu:res:rcauth#aai.egi.eu"
    client.post(f"/aai/clients/{client_id}/entitlements", data={"entitlements": urn, "csrf": csrf})
    saved = client.post(
        f"/aai/clients/{client_id}",
        data={**SERVICE, "entitlements_in_token": "on", "csrf": csrf},
    )
    assert 'id="entitlements-in-token">yes' in saved.text
    assert f'id="f-entitlements_in_token" {box} value="on" checked' in saved.text

    def token_claims() -> dict[str, object]:
        answer = client.post(
            "/oidc/token",
            data={"grant_type": "client_credentials", "scope": "entitlements"},
            auth=(client_id, secret),
        )
        assert answer.status_code == 200, answer.text
        access = answer.json()["access_token"]
        return tokens.decode_signed(session=session, token=access, typ=tokens.ACCESS_TOKEN_TYPE)

    assert token_claims()["eduperson_entitlement"] == [urn]

    csrf = as_user(client, federation.member)
    client.post(f"/aai/clients/{client_id}", data={**SERVICE, "name": "Probe 2", "csrf": csrf})
    row = stored(session, client_id)
    assert (row.name, row.entitlements_in_token, row.status) == ("Probe 2", True, "approved")

    csrf = as_user(client, federation.operator)
    client.post(f"/aai/clients/{client_id}", data={**SERVICE, "csrf": csrf})
    assert stored(session, client_id).entitlements_in_token is False
    assert "eduperson_entitlement" not in token_claims()
