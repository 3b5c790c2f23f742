"""Driving the provider's pages like a browser does (TestClient keeps the cookies)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from httpx2 import Response

from tests.aai.oauth import PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: Response) -> str:
    match = CSRF.search(page.text)
    assert match, f"no CSRF token in {page.url}"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    page = client.get("/aai/login")
    response = client.post(
        "/aai/login",
        data={"csrf": csrf_of(page), "email": email, "password": password, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize(client: TestClient, params: dict[str, str], consent: bool = True) -> Response:
    """Ask for authorization; allow on the consent screen if it shows. Returns the redirect."""
    response = client.get("/oidc/authorize", params=params, follow_redirects=False)
    if response.status_code == 200 and consent and 'name="decision"' in response.text:
        response = client.post(
            "/oidc/authorize",
            data={**params, "csrf": csrf_of(response), "decision": "allow"},
            follow_redirects=False,
        )
    return response
