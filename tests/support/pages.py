"""Driving the pages with a TestClient: sign in through the login form, read field errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx2 import Response

from tests.registry.factories import Actor


def csrf_token(client: TestClient) -> str:
    """The session's CSRF token, as the login form carries it."""
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/login/token").text)
    assert match
    return match.group(1)


def sign_in(client: TestClient, actor: Actor) -> str:
    """Sign the client in through the login form; returns the session's CSRF token."""
    csrf = csrf_token(client)
    response = client.post(
        "/login/token",
        data={"token": actor.token, "next": "/", "csrf": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return csrf


def field_error(response: Response, name: str) -> str:
    """The message shown next to a form field."""
    match = re.search(rf'id="f-{re.escape(name)}-error">([^<]*)<', response.text)
    assert match, f"no error shown next to {name}"
    return match.group(1)
