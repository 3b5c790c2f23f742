"""Upstream OpenID providers as identity sources, against a real upstream: a second fedcore
server over HTTPS with a test CA (one per test session), seeded with ``fedcore aai account
create`` and ``fedcore aai client create``. The app under test (in process, SQLite and
PostgreSQL) trusts the test CA for its server-to-server calls; the tests play the person at both.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import typer
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fedcore.aai.cli import app as aai_app
from fedcore.aai.models import Account, Identity, LocalCredential, LoginSession
from fedcore.aai.service import keys, upstream
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.aai.service.tokens import decode_signed
from fedcore.core.config import Settings, get_settings
from fedcore.core.db import Base, make_engine, utcnow
from fedcore.core.errors import NotAuthenticated
from fedcore.core.models import MailMessage
from tests.aai.browser_flow import authorize, csrf_of, query_of, sign_in
from tests.aai.oauth import PASSWORD, make_client, make_person, pkce_pair
from tests.conftest import ADMIN
from tests.support.server import FedcoreServer, running_server
from tests.support.tls import Pki, make_pki
from tests.support.upstream import Person, authorize_at_upstream, create_person

NAME = "peer"
DISPLAY = "Peer AAI"
BASE_URL = "http://127.0.0.1:8000"
CALLBACK = f"{BASE_URL}/aai/upstream/{NAME}/callback"
SCOPE = "openid profile email eduperson_assurance"


@dataclass
class Upstream:
    server: FedcoreServer
    pki: Pki
    client: dict[str, Any]
    alice: Person
    bob: Person
    carol: Person
    """Carol never allows the downstream client on the consent screen."""

    def providers(self, **changes: Any) -> str:
        entry = {
            "name": NAME,
            "display_name": DISPLAY,
            "issuer": self.server.issuer,
            "client_id": self.client["client_id"],
            "client_secret": self.client["client_secret"],
            "scope": SCOPE,
            **changes,
        }
        return json.dumps([entry])


@pytest.fixture(scope="session")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    pki = make_pki(tmp_path_factory.mktemp("upstream-pki"))
    with running_server(tmp_path_factory.mktemp("upstream"), pki) as server:
        client = server.create_client(
            "downstream", "--grant", "code", "--redirect-uri", CALLBACK, "--scope", SCOPE
        )
        alice = create_person(server, "alice@upstream.test", "Alice", "Liddell")
        bob = create_person(server, "bob@upstream.test", "Bob", "Dylan")
        carol = create_person(server, "carol@upstream.test", "Carol", "Shaw")
        yield Upstream(server, pki, client, alice, bob, carol)
        for person in (alice, bob, carol):
            person.browser.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, peer: Upstream) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_subject=ADMIN,
        secret_key="test-secret-key-not-used-anywhere-else",
        log_level="WARNING",
        base_url=BASE_URL,
        upstream_providers=peer.providers(),
        upstream_ca_bundle=str(peer.pki.ca_cert),
    )


def start(client: TestClient, next_path: str = "/aai/account", link: bool = False) -> str:
    """Begin the sign-in at the upstream; the upstream's authorization URL."""
    params = {"next": next_path, **({"link": "1"} if link else {})}
    response = client.get(f"/aai/upstream/{NAME}/start?{urlencode(params)}", follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def back(client: TestClient, location: str) -> Any:
    """The browser arriving at the callback the upstream sent it to."""
    assert location.startswith(CALLBACK)
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def upstream_login(client: TestClient, person: Person, **start_options: Any) -> Any:
    """Start, pass the upstream, come back: the callback's response."""
    return back(client, authorize_at_upstream(person, start(client, **start_options), CALLBACK))


def register(client: TestClient, accept: bool = True) -> Any:
    page = client.get("/aai/upstream/register")
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page), **({"accept_aup": "yes"} if accept else {})}
    return client.post("/aai/upstream/register", data=data, follow_redirects=False)


def accounts_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def identity_of(session: Session, peer: Upstream, person: Person) -> Identity | None:
    return session.scalars(
        select(Identity)
        .where(Identity.issuer == peer.server.issuer)
        .where(Identity.subject == person.voperson_id)
    ).one_or_none()


def live_logins(session: Session, account: Account) -> list[LoginSession]:
    """The account's sign-in sessions that have not ended."""
    return list(
        session.scalars(
            select(LoginSession)
            .where(LoginSession.account_id == account.id)
            .where(LoginSession.ended_at.is_(None))
        )
    )


def sign_out(client: TestClient) -> None:
    page = client.get("/aai/account")
    client.post("/aai/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)


# --- first sign-in, sign-in again --------------------------------------------------------------


def test_first_login_creates_the_account_and_the_next_reuses_it(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    login_page = client.get("/aai/login?next=/aai/account")
    assert f"Sign in with {DISPLAY}" in login_page.text
    assert f"/aai/upstream/{NAME}/start?next=%2Faai%2Faccount" in login_page.text

    authorize_url = start(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{peer.server.issuer}/oidc/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == [SCOPE]
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["code_challenge"][0]

    before = accounts_count(session)
    answer = back(client, authorize_at_upstream(peer.alice, authorize_url, CALLBACK))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/aai/upstream/register"
    page = client.get("/aai/upstream/register")
    assert DISPLAY in page.text
    assert "alice@upstream.test" in page.text
    assert peer.alice.voperson_id in page.text
    assert "Alice Liddell" in page.text
    assert "acceptable-use policy" in page.text

    refused = register(client, accept=False)
    assert refused.status_code == 422
    assert 'id="f-accept_aup-error"' in refused.text
    assert accounts_count(session) == before

    done = register(client)
    assert done.status_code == 303
    assert done.headers["location"] == "/aai/account"
    assert accounts_count(session) == before + 1
    identity = identity_of(session, peer, peer.alice)
    assert identity is not None
    assert identity.last_used_at is not None
    account = session.get(Account, identity.account_id)
    assert account is not None
    assert account.voperson_id.endswith(f"@{settings.effective_aai_domain}")
    assert account.voperson_id != peer.alice.voperson_id
    assert (account.given_name, account.family_name, account.name) == (
        "Alice",
        "Liddell",
        "Alice Liddell",
    )
    assert account.email == "alice@upstream.test"
    assert account.email_verified
    assert "https://refeds.org/assurance/IAP/low" in account.assurance
    assert account.aup_version == settings.aup_version
    assert account.aup_accepted_at
    assert session.get(LocalCredential, account.id) is None
    [login] = live_logins(session, account)
    assert login.amr == ["fed"]
    assert login.identity_issuer == peer.server.issuer
    page = client.get("/aai/account")
    assert page.status_code == 200
    assert account.voperson_id in page.text
    assert DISPLAY in page.text

    long_ago = utcnow() - timedelta(days=30)
    identity.last_used_at = long_ago
    asserted = list(account.assurance)
    account.affiliations = ["member@stale.example.org"]
    account.assurance = []
    session.commit()
    sign_out(client)
    again = upstream_login(client, peer.alice)
    assert again.status_code == 303
    assert again.headers["location"] == "/aai/account"
    assert accounts_count(session) == before + 1
    session.refresh(identity)
    assert identity.last_used_at is not None
    assert identity.last_used_at > long_ago
    [login] = live_logins(session, account)
    assert login.identity_issuer == peer.server.issuer
    session.refresh(account)
    assert account.affiliations == [], "the provider's view of the home organisation wins"
    assert account.assurance == asserted


def test_sign_in_started_by_an_authorization_request_resumes_it(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    rp = make_client(session, settings, grants=["authorization_code"])
    verifier, challenge = pkce_pair()
    params = {
        "client_id": rp.client_id,
        "redirect_uri": rp.row.redirect_uris[0],
        "response_type": "code",
        "scope": "openid profile",
        "state": "rp-state",
        "nonce": "rp-nonce",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    asked = client.get("/oidc/authorize", params=params, follow_redirects=False)
    login_path = asked.headers["location"]
    assert login_path.startswith("/aai/login?")
    resume = parse_qs(urlsplit(login_path).query)["next"][0]
    assert resume.startswith("/oidc/authorize?")
    assert urlencode({"next": resume}) in client.get(login_path).text

    upstream_login(client, peer.bob, next_path=resume)
    created = register(client)
    assert created.headers["location"] == resume
    consent = client.get(resume)
    assert 'name="decision"' in consent.text
    decided = client.post(
        "/oidc/authorize",
        data={**params, "csrf": csrf_of(consent), "decision": "allow"},
        follow_redirects=False,
    )
    code = parse_qs(urlsplit(decided.headers["location"]).query)["code"][0]
    tokens = client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
        auth=rp.auth,
    )
    assert tokens.status_code == 200, tokens.text
    identity = identity_of(session, peer, peer.bob)
    assert identity is not None
    account = session.get(Account, identity.account_id)
    assert account is not None
    id_claims = decode_signed(session=session, token=tokens.json()["id_token"])
    assert id_claims["sub"] == account.voperson_id
    assert id_claims["amr"] == ["fed"]


@pytest.mark.parametrize(
    ("configured", "level"), [({"assurance": "substantial"}, "Substantial"), ({}, "Low")]
)
def test_the_providers_assurance_reaches_the_token_of_a_sign_in_through_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    peer: Upstream,
    configured: dict[str, str],
    level: str,
) -> None:
    settings.upstream_providers = peer.providers(**configured)
    upstream_login(client, peer.bob)
    assert register(client).status_code == 303
    scope = "openid eduperson_assurance"
    rp = make_client(session, settings, grants=["authorization_code"], scopes=scope)
    verifier, challenge = pkce_pair()
    params = {
        "client_id": rp.client_id,
        "redirect_uri": rp.row.redirect_uris[0],
        "response_type": "code",
        "scope": scope,
        "state": "rp-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    code = query_of(authorize(client, params).headers["location"])["code"]
    answer = client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
        auth=rp.auth,
    )
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    released = client.get("/oidc/userinfo", headers=bearer).json()["eduperson_assurance"]
    ours = [value for value in released if value.startswith(f"{settings.effective_issuer}/LoA#")]
    assert ours == [f"{settings.effective_issuer}/LoA#{level}"]
    medium = "https://refeds.org/assurance/IAP/medium"
    assert (medium in released) is (level == "Substantial")
    assert f"{peer.server.issuer}/LoA#Low" in released  # what the provider asserted passes


# --- linking and unlinking ---------------------------------------------------------------------


def test_link_an_identity_to_a_local_account_and_refuse_a_second_owner(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    ada, _ = make_person(session, settings)
    sign_in(client, ada.email)
    page = client.get("/aai/account")
    assert f"Link {DISPLAY}" in page.text
    assert f"/aai/upstream/{NAME}/start?link=1&amp;next=%2Faai%2Faccount" in page.text
    assert "cannot be unlinked" in page.text

    linked = upstream_login(client, peer.alice, link=True)
    assert linked.status_code == 303
    assert linked.headers["location"] == "/aai/account"
    identity = identity_of(session, peer, peer.alice)
    assert identity is not None
    assert identity.account_id == ada.id
    page = client.get("/aai/account")
    assert f"Your {DISPLAY} identity is linked" in page.text
    assert page.text.count('action="/aai/account/identities/unlink"') == 2

    again = upstream_login(client, peer.alice, link=True)
    assert again.status_code == 303
    assert "linked to your account already" in client.get("/aai/account").text

    sign_out(client)
    signed = upstream_login(client, peer.alice)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/aai/account"
    assert peer.server.issuer in {login.identity_issuer for login in live_logins(session, ada)}

    sign_out(client)
    grace, _ = make_person(session, settings, email="grace@example.org")
    sign_in(client, grace.email)
    refused = upstream_login(client, peer.alice, link=True)
    assert refused.status_code == 409
    assert "already linked to another account" in refused.text
    session.refresh(identity)
    assert identity.account_id == ada.id
    grace_issuers = session.scalars(select(Identity.issuer).where(Identity.account_id == grace.id))
    assert list(grace_issuers) == [LOCAL_ISSUER]


def test_link_needs_a_signed_in_browser(client: TestClient) -> None:
    response = client.get(f"/aai/upstream/{NAME}/start?link=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/aai/login?next=%2Faai%2Faccount"


def unlink(client: TestClient, identity: Identity) -> Any:
    page = client.get("/aai/account")
    return client.post(
        "/aai/account/identities/unlink",
        data={"csrf": csrf_of(page), "identity_id": str(identity.id)},
        follow_redirects=False,
    )


def test_unlink_never_removes_the_last_identity(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    upstream_login(client, peer.alice)
    register(client)
    alice = identity_of(session, peer, peer.alice)
    assert alice is not None
    page = client.get("/aai/account")
    assert 'action="/aai/account/identities/unlink"' not in page.text

    refused = unlink(client, alice)
    assert refused.status_code == 409
    assert "only way to sign in" in refused.text
    assert identity_of(session, peer, peer.alice) is not None

    upstream_login(client, peer.bob, link=True)
    bob = identity_of(session, peer, peer.bob)
    assert bob is not None
    assert bob.account_id == alice.account_id
    assert unlink(client, alice).status_code == 303
    assert identity_of(session, peer, peer.alice) is None
    refused = unlink(client, bob)
    assert refused.status_code == 409
    assert identity_of(session, peer, peer.bob) is not None


def test_unlinking_the_password_removes_it(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    ada, _ = make_person(session, settings)
    sign_in(client, ada.email)
    upstream_login(client, peer.alice, link=True)
    local = session.scalars(
        select(Identity).where(Identity.account_id == ada.id, Identity.issuer == LOCAL_ISSUER)
    ).one()
    assert unlink(client, local).status_code == 303
    assert session.get(LocalCredential, ada.id) is None
    page = client.get("/aai/login")
    refused = client.post(
        "/aai/login",
        data={"csrf": csrf_of(page), "email": ada.email, "password": PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    assert refused.status_code == 401
    sign_out(client)
    assert upstream_login(client, peer.alice).headers["location"] == "/aai/account"


def test_a_suspended_account_does_not_sign_in(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    upstream_login(client, peer.alice)
    register(client)
    identity = identity_of(session, peer, peer.alice)
    assert identity is not None
    account = session.get(Account, identity.account_id)
    assert account is not None
    account.status = "suspended"
    session.commit()
    refused = upstream_login(client, peer.alice)
    assert refused.status_code == 401
    assert "suspended" in refused.text


# --- answers that must be refused --------------------------------------------------------------


def test_state_mismatch_is_refused(
    client: TestClient, session: Session, settings: Settings, peer: Upstream
) -> None:
    before = accounts_count(session)
    location = authorize_at_upstream(peer.alice, start(client), CALLBACK)
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    forged = urlunsplit(parts._replace(query=urlencode({**query, "state": "attacker-state"})))
    refused = back(client, forged)
    assert refused.status_code == 401
    assert "(state)" in refused.text

    replayed = back(client, location)
    assert replayed.status_code == 401
    assert "does not belong to a sign-in this browser started" in replayed.text

    stranger = TestClient(client.app)
    assert back(stranger, location).status_code == 401
    assert accounts_count(session) == before


def test_answer_from_another_issuer_is_refused(
    client: TestClient, session: Session, peer: Upstream
) -> None:
    """RFC 9207: the answer must name the provider the browser was sent to (mix-up attacks);
    this one advertises iss, so an answer without it is refused too."""
    before = accounts_count(session)
    for iss in ("https://evil.example.org", None):
        location = authorize_at_upstream(peer.alice, start(client), CALLBACK)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert query.pop("iss") == peer.server.issuer
        if iss is not None:
            query["iss"] = iss
        refused = back(client, f"{CALLBACK}?{urlencode(query)}")
        assert refused.status_code == 401
        assert "(iss" in refused.text
    assert accounts_count(session) == before


def test_an_id_token_for_another_sign_in_is_refused(
    client: TestClient, session: Session, peer: Upstream
) -> None:
    """A code obtained with another nonce (an injected authorization response)."""
    before = accounts_count(session)
    authorize_url = start(client)
    parts = urlsplit(authorize_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    swapped = urlunsplit(parts._replace(query=urlencode({**query, "nonce": "attacker-nonce"})))
    refused = back(client, authorize_at_upstream(peer.alice, swapped, CALLBACK))
    assert refused.status_code == 401
    assert "(nonce)" in refused.text
    assert accounts_count(session) == before


def test_a_denied_consent_signs_nobody_in(
    client: TestClient, session: Session, peer: Upstream
) -> None:
    before = accounts_count(session)
    refused = back(client, authorize_at_upstream(peer.carol, start(client), CALLBACK, allow=False))
    assert refused.status_code == 401
    assert "Peer AAI did not sign you in: The resource owner" in refused.text
    assert accounts_count(session) == before


# --- ID token verification ---------------------------------------------------------------------


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_forged_id_tokens_are_refused(settings: Settings, peer: Upstream) -> None:
    provider = upstream.get_provider(settings=settings, name=NAME)
    discovery = upstream.discover(settings=settings, provider=provider)
    kid = next(iter(discovery.keys)).kid
    now = int(time.time())
    good = {
        "iss": peer.server.issuer,
        "sub": peer.alice.voperson_id,
        "aud": provider.client_id,
        "iat": now,
        "exp": now + 300,
        "nonce": "the-nonce",
    }

    def verify(token: str) -> dict[str, Any]:
        return upstream.verify_id_token(
            settings=settings,
            provider=provider,
            discovery=discovery,
            token=token,
            nonce="the-nonce",
        )

    def genuine(**changes: Any) -> str:
        return peer.server.sign_with_server_key("JWT", {**good, **changes})

    assert verify(genuine())["sub"] == peer.alice.voperson_id

    foreign = RSAKey.generate_key(2048)
    forged = jwt.encode({"alg": "RS256", "kid": kid}, good, foreign)
    hmac_with_secret = jwt.encode(
        {"alg": "HS256", "kid": kid}, good, OctKey.import_key(provider.client_secret)
    )
    unsigned = f"{b64({'alg': 'none', 'kid': kid})}.{b64(good)}."
    cases = {
        "signature": forged,
        "algorithm 'HS256'": hmac_with_secret,
        "algorithm 'none'": unsigned,
        "nonce": genuine(nonce="another-nonce"),
        "aud": genuine(aud="another-client"),
        "azp": genuine(aud=[provider.client_id, "another-client"], azp="another-client"),
        "iss": genuine(iss="https://evil.example.org"),
        "expired": genuine(iat=now - 900, exp=now - 600),
    }
    for reason, token in cases.items():
        with pytest.raises(NotAuthenticated) as refused:
            verify(token)
        assert reason in refused.value.detail.lower() or reason in refused.value.detail, (
            reason,
            refused.value.detail,
        )


def test_a_rotated_upstream_key_is_fetched_when_it_signs(
    client: TestClient, settings: Settings, peer: Upstream
) -> None:
    provider = upstream.get_provider(settings=settings, name=NAME)
    known = {key.kid for key in upstream.discover(settings=settings, provider=provider).keys}
    peer.server.settings["FEDCORE_KEY_PUBLISH_LEAD"] = "0"
    try:
        peer.server.cli("aai", "keys", "rotate")
    finally:
        del peer.server.settings["FEDCORE_KEY_PUBLISH_LEAD"]
    # Rotated in without a publish lead, the key signs in the running server within the time
    # a process may keep its signing key.
    time.sleep(keys.SIGNER_CACHE_SECONDS)
    answer = upstream_login(client, peer.alice)
    assert answer.headers["location"] == "/aai/upstream/register"
    fetched = {key.kid for key in upstream.discover(settings=settings, provider=provider).keys}
    assert fetched - known, "the ID token's new kid made the key set be fetched again"


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[{", "FEDCORE_UPSTREAM_PROVIDERS is not valid JSON"),
        ('{"name": "x"}', "must be a JSON list of objects"),
        ("[1]", "entry 1: must be an object"),
        (
            '[{"name": "a", "display_name": "A", "issuer": "https://a.example.org", '
            '"client_secret": "s"}]',
            "entry 1 ('a'): client_id: Field required",
        ),
        (
            '[{"name": "A B", "display_name": "A", "issuer": "https://a.example.org", '
            '"client_id": "c", "client_secret": "s"}]',
            "entry 1 ('A B'): name: String should match pattern",
        ),
        (
            '[{"name": "a", "display_name": "A", "issuer": "http://a.example.org", '
            '"client_id": "c", "client_secret": "s"}]',
            "entry 1 ('a'): issuer: Value error, the issuer must be an https URL",
        ),
        (
            '[{"name": "a", "display_name": "A", "issuer": "https://a.example.org", '
            '"client_id": "c", "client_secret": "s", "scope": "profile"}]',
            "entry 1 ('a'): scope: Value error, the scope must include openid",
        ),
        (
            '[{"name": "a", "display_name": "A", "issuer": "https://a.example.org", '
            '"client_id": "c", "client_secret": "s", "assurance": "high"}]',
            "entry 1 ('a'): assurance: Input should be 'low' or 'substantial'",
        ),
        (
            '[{"name": "a", "display_name": "A", "issuer": "https://a.example.org", '
            '"client_id": "c", "client_secret": "s", "secret": "typo"}]',
            "entry 1 ('a'): secret: Extra inputs are not permitted",
        ),
        (
            '[{"name": "a", "display_name": "A", "issuer": "https://a.example.org", '
            '"client_id": "c", "client_secret": "s"}, {"name": "a", "display_name": "B", '
            '"issuer": "https://b.example.org", "client_id": "c", "client_secret": "s"}]',
            "entry 2 ('a'): name: 'a' is used by another entry",
        ),
    ],
)
def test_bad_configuration_is_refused_naming_entry_and_field(raw: str, message: str) -> None:
    with pytest.raises(upstream.UpstreamMisconfigured) as refused:
        upstream.configured_providers(settings=Settings(upstream_providers=raw))
    assert message in refused.value.detail


def test_pages_with_bad_configuration_or_unknown_provider(
    client: TestClient, settings: Settings
) -> None:
    assert client.get("/aai/upstream/nobody/start", follow_redirects=False).status_code == 404
    settings.upstream_providers = '[{"name": "broken"}]'
    login_page = client.get("/aai/login")
    assert login_page.status_code == 200
    assert 'id="upstream-error"' in login_page.text
    assert "Sign in with" not in login_page.text
    started = client.get("/aai/upstream/broken/start", follow_redirects=False)
    assert started.status_code == 500
    assert "entry 1 (&#39;broken&#39;): display_name: Field required" in started.text


def test_unreachable_provider_is_reported(client: TestClient, settings: Settings) -> None:
    settings.upstream_providers = json.dumps(
        [
            {
                "name": "gone",
                "display_name": "Gone AAI",
                "issuer": "https://127.0.0.1:9",
                "client_id": "c",
                "client_secret": "s",
            }
        ]
    )
    response = client.get("/aai/upstream/gone/start", follow_redirects=False)
    assert response.status_code == 502
    assert "Gone AAI could not be reached for its discovery document" in response.text


# --- fedcore aai account create ----------------------------------------------------------------


def test_cli_account_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fedcore aai account create``: a verified account, no mail, the policy left to the
    person; bad input is one error line and exit code 2 with nothing stored."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    monkeypatch.setenv("FEDCORE_DATABASE_URL", url)
    monkeypatch.setenv("FEDCORE_BASE_URL", "https://fedcore.example.org")
    get_settings.cache_clear()
    fedcore = typer.Typer()
    fedcore.add_typer(aai_app, name="aai")
    args = ["aai", "account", "create", "--email", "Eve@Example.org"]
    args += ["--given-name", "Eve", "--family-name", "Moneypenny"]
    try:
        short = CliRunner().invoke(fedcore, args, input="short\n")
        assert short.exit_code == 2
        assert "password: the password must have at least 10 characters" in short.output
        done = CliRunner().invoke(fedcore, args, input=f"{PASSWORD}\n")
        assert done.exit_code == 0, done.output
        printed = json.loads(done.output.strip().splitlines()[-1])
        assert printed["voperson_id"].endswith("@fedcore.example.org")
        assert printed["email"] == "eve@example.org"
        assert printed["email_verified"] is True
        again = CliRunner().invoke(fedcore, args, input=f"{PASSWORD}\n")
        assert again.exit_code == 2
        assert "email: this e-mail address cannot be used" in again.output
    finally:
        get_settings.cache_clear()
    with Session(engine) as check:
        account = check.scalars(select(Account)).one()
        assert account.voperson_id == printed["voperson_id"]
        assert account.email_verified
        assert account.aup_accepted_at is None
        assert check.scalars(select(MailMessage)).all() == []
    engine.dispose()
