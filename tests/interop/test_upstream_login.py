"""Two real fedcore servers over HTTPS: a downstream one that signs people in through an upstream
one (the interop ``op``), as Check-in does through institutional and social providers.

The upstream gets a person (``fedcore aai account create``) and a client for the downstream
(``fedcore aai client create``); the downstream is configured with it as an upstream provider
and trusts the test CA. A relying party of the downstream asks for authorization; the test plays
the person with one browser per server: "Sign in with ..." on the downstream's sign-in page, the
upstream's sign-in, policy and consent, the downstream's first-sign-in page and consent. The ID
token and userinfo the relying party gets carry the new community identity; a second round trip
reuses the account.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.aai.oauth import pkce_pair
from tests.support.server import FedcoreServer, free_port, running_server
from tests.support.tls import Pki
from tests.support.upstream import Person, authorize_at_upstream, create_person, hidden_fields

pytestmark = pytest.mark.interop

NAME = "interop-op"
DISPLAY = "Interop OP"
RP_REDIRECT = "https://rp.example.org/cb"
SCOPE = "openid profile email"
START_LINK = re.compile(rf'href="(/aai/upstream/{NAME}/start\?[^"]+)"')


@dataclass
class Chain:
    downstream: FedcoreServer
    upstream: FedcoreServer
    person: Person
    """The person's account and browser at the upstream."""
    callback: str
    """Where the upstream sends the browser back to the downstream."""


@pytest.fixture(scope="module")
def chain(op: FedcoreServer, pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    port = free_port()
    callback = f"https://127.0.0.1:{port}/aai/upstream/{NAME}/callback"
    client = op.create_client(
        "fedcore downstream", "--grant", "code", "--redirect-uri", callback, "--scope", SCOPE
    )
    person = create_person(op, "hedy@upstream.example.org", "Hedy", "Lamarr")
    providers = [
        {
            "name": NAME,
            "display_name": DISPLAY,
            "issuer": op.issuer,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
    ]
    settings = {
        "FEDCORE_UPSTREAM_PROVIDERS": json.dumps(providers),
        "FEDCORE_UPSTREAM_CA_BUNDLE": str(pki.ca_cert),
    }
    root = tmp_path_factory.mktemp("downstream")
    with running_server(root, pki, settings=settings, port=port) as server:
        yield Chain(server, op, person, callback)
    person.browser.close()


def round_trip(chain: Chain, rp: dict[str, Any], first: bool) -> dict[str, Any]:
    """A relying party's authorization at the downstream, signed in through the upstream; the
    ID token's claims."""
    server, person = chain.downstream, chain.person
    verifier, challenge = pkce_pair()
    params = {
        "client_id": rp["client_id"],
        "redirect_uri": RP_REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
        "state": "rp-state",
        "nonce": "rp-nonce",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with server.http() as browser:
        asked = browser.get("/oidc/authorize", params=params)
        assert asked.status_code == 303
        login_page = browser.get(asked.headers["location"])
        resume = parse_qs(urlsplit(asked.headers["location"]).query)["next"][0]
        assert f"Sign in with {DISPLAY}" in login_page.text
        link = START_LINK.search(login_page.text)
        assert link is not None
        started = browser.get(html.unescape(link.group(1)))
        assert started.status_code == 303
        assert started.headers["location"].startswith(f"{chain.upstream.issuer}/oidc/authorize?")
        answer = authorize_at_upstream(person, started.headers["location"], chain.callback)
        arrived = browser.get(answer.removeprefix(server.issuer))
        assert arrived.status_code == 303
        if first:
            assert arrived.headers["location"] == "/aai/upstream/register"
            page = browser.get("/aai/upstream/register")
            assert "hedy@upstream.example.org" in page.text
            fields = {**hidden_fields(page.text), "accept_aup": "yes"}
            arrived = browser.post("/aai/upstream/register", data=fields)
            assert arrived.status_code == 303
        assert arrived.headers["location"] == resume
        response = browser.get(resume)
        if response.status_code == 200:
            assert first
            fields = {**hidden_fields(response.text), "decision": "allow"}
            response = browser.post("/oidc/authorize", data=fields)
        location = response.headers["location"]
        assert location.startswith(RP_REDIRECT)
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = browser.post(
            server.discovery()["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": RP_REDIRECT,
                "code_verifier": verifier,
            },
            auth=(rp["client_id"], rp["client_secret"]),
        )
        assert tokens.status_code == 200, tokens.text
        _, claims = server.verify_jwt(tokens.json()["id_token"])
        userinfo = browser.get(
            "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
        )
    assert userinfo.status_code == 200
    info = userinfo.json()
    assert info["sub"] == claims["sub"]
    assert (info["email"], info["email_verified"]) == ("hedy@upstream.example.org", True)
    assert (info["given_name"], info["family_name"]) == ("Hedy", "Lamarr")
    return claims


def test_sign_in_through_an_upstream_fedcore(chain: Chain) -> None:
    rp = chain.downstream.create_client(
        "relying party", "--grant", "code", "--redirect-uri", RP_REDIRECT, "--scope", SCOPE
    )
    first = round_trip(chain, rp, first=True)
    assert first["amr"] == ["fed"]
    assert first["aud"] == rp["client_id"]
    assert first["nonce"] == "rp-nonce"
    assert first["sub"].endswith("@127.0.0.1")
    assert first["sub"] != chain.person.voperson_id
    again = round_trip(chain, rp, first=False)
    assert again["sub"] == first["sub"]
    assert again["amr"] == ["fed"]
