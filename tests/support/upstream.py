"""Playing the person at a real fedcore server used as an upstream OpenID provider: its sign-in
form, its acceptable-use policy (accounts made by ``fedcore aai account create`` accept it at the
first sign-in) and its consent screen, as a browser would with its own cookie jar."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx2

from tests.support.server import FedcoreServer

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
PASSWORD = "upstream password 2024"


@dataclass
class Person:
    """An account at the upstream server and the browser the person uses there."""

    email: str
    voperson_id: str
    browser: httpx2.Client


def create_person(
    server: FedcoreServer, email: str, given: str, family: str, password: str = PASSWORD
) -> Person:
    """``fedcore aai account create`` at SERVER (password from a file), and a browser for it."""
    path = server.root / f"password-{email}"
    path.write_text(password + "\n")
    created = server.cli_json(
        "aai",
        "account",
        "create",
        "--email",
        email,
        "--given-name",
        given,
        "--family-name",
        family,
        "--password-file",
        str(path),
    )
    return Person(email=email, voperson_id=created["voperson_id"], browser=server.http())


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (its forms' CSRF token, ``next`` and request parameters)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def authorize_at_upstream(
    person: Person, authorize_url: str, back_to: str, password: str = PASSWORD, allow: bool = True
) -> str:
    """Follow AUTHORIZE_URL at the upstream like the person: sign in when asked, accept the
    policy when asked, answer the consent screen. Returns the URL (starting with BACK_TO) the
    upstream sends the browser back to."""
    browser = person.browser
    response = browser.get(authorize_url)
    for _ in range(12):
        if response.is_redirect:
            location = response.headers["location"]
            if location.startswith(back_to):
                return location
            response = browser.get(location)
            continue
        assert response.status_code == 200, f"{response.url}: {response.status_code}"
        fields: dict[str, Any] = hidden_fields(response.text)
        path = response.url.path
        if path == "/aai/login":
            fields.update(email=person.email, password=password)
            response = browser.post("/aai/login", data=fields)
        elif path == "/aai/aup":
            response = browser.post("/aai/aup", data=fields)
        elif 'name="decision"' in response.text:
            fields["decision"] = "allow" if allow else "deny"
            response = browser.post(path, data=fields)
        else:
            raise AssertionError(f"unexpected page at the upstream: {response.url}")
    raise AssertionError("the upstream did not send the browser back")
