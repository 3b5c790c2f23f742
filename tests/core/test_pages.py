"""The shared layout and the core pages: home, sign in with a token, sign out, error pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.registry.factories import Federation
from tests.support.pages import csrf_token, field_error, sign_in


def test_layout_has_landmarks_navigation_and_a_skip_link(client: TestClient) -> None:
    page = client.get("/").text
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert '<nav class="main-nav" aria-label="Main">' in page
    assert '<a href="/registry/">Registry</a>' in page
    assert '<a href="/login?next=/">Sign in</a>' in page
    assert client.get("/static/fedcore.css").headers["content-type"].startswith("text/css")


def test_sign_in_with_a_token_and_sign_out(client: TestClient, federation: Federation) -> None:
    csrf = sign_in(client, federation.site_admin)
    page = client.get("/registry/").text
    assert "Signed in as <strong" in page
    assert "site.admin@fedcore.test" in page
    assert '<a href="/registry/" aria-current="page">Registry</a>' in page
    response = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert "Sign in</a>" in client.get("/").text


def test_a_wrong_token_is_named_next_to_the_field(client: TestClient) -> None:
    response = client.post(
        "/login/token",
        data={"token": "fct_wrong", "next": "/registry/", "csrf": csrf_token(client)},
    )
    assert response.status_code == 401
    assert "unknown, expired or revoked" in field_error(response, "token")
    assert re.search(r'name="next" value="/registry/"', response.text)


def test_sign_in_form_needs_its_csrf_token(client: TestClient, federation: Federation) -> None:
    response = client.post("/login/token", data={"token": federation.member.token, "next": "/"})
    assert response.status_code == 403
    assert "Sign in</a>" in client.get("/").text


def test_errors_are_pages_for_browsers(client: TestClient) -> None:
    response = client.get("/registry/downtimes/12345", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert "no downtime with id 12345" in response.text
