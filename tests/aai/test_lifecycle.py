"""A VO's whole lifecycle end to end through HTTP, as people and services live it, on a
migrated SQLite database with committed transactions, mail through a real SMTP server
(aiosmtpd) and the clock moved by time-machine:

a manager and a user sign up (verification links read from the SMTP server), both sign in to an
RP through the code flow with ``offline_access``; the manager registers a VO, an operator
approves it, the manager configures enrolment with the VO's AUP; the user applies, the manager
is e-mailed and approves; the user's existing access token shows the entitlement in userinfo and
introspection at once. Five months on, the RP refreshes its token (no new login): the entitlement
is still there, the background jobs mail the reminder. Past the expiry, the refreshed token
carries no entitlement any more, and the expiry job records the membership as expired.
"""

from __future__ import annotations

import email.message
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from fedcore.core.config import Settings
from fedcore.core.db import session_scope
from fedcore.core.jobs import registered_jobs, run_due
from fedcore.core.security import create_api_token
from fedcore.core.web import create_app
from fedcore.migrations import upgrade
from tests.aai.browser_flow import authorize, query_of
from tests.aai.oauth import REDIRECT, make_client, pkce_pair
from tests.aai.test_account_pages import sign_in, sign_up
from tests.core.test_mail import Inbox, free_port

ADMIN = "operator@fedcore.test"
MANAGER, ALICE = "mara@example.org", "alice@example.org"
VO = "lifecycle.example.org"
SCOPE = "openid profile email eduperson_entitlement offline_access"
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
API = "/api/aai"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def mail_to(inbox: Inbox, address: str) -> list[email.message.Message]:
    return [message for message in inbox.messages() if message["To"] == address]


def body_of(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def link_in(message: email.message.Message) -> str:
    match = re.search(r"https?://\S+", body_of(message))
    assert match, body_of(message)
    parts = urlsplit(match.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Rp:
    """A relying party holding one person's tokens, as an RP or oidc-agent does."""

    def __init__(self, app: Any, client_id: str, secret: str) -> None:
        self.http = TestClient(app)
        self.auth = (client_id, secret)
        self.client_id = client_id
        self.access = self.refresh = ""

    def sign_in_with_code_flow(self, browser: TestClient) -> None:
        verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "prompt": "consent",
        }
        redirect = authorize(browser, params)
        assert redirect.status_code in (302, 303), redirect.text
        code = query_of(redirect.headers["location"])["code"]
        self._tokens(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT,
            code_verifier=verifier,
        )

    def refreshed(self) -> None:
        self._tokens(grant_type="refresh_token", refresh_token=self.refresh)

    def _tokens(self, **form: str) -> None:
        answer = self.http.post("/oidc/token", data=form, auth=self.auth)
        assert answer.status_code == 200, answer.text
        self.access, self.refresh = answer.json()["access_token"], answer.json()["refresh_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    def entitlements(self) -> tuple[list[str], list[str]]:
        """What userinfo and introspection release for the current access token."""
        userinfo = self.http.get("/oidc/userinfo", headers=self.headers)
        assert userinfo.status_code == 200, userinfo.text
        introspected = self.http.post(
            "/oidc/introspect", data={"token": self.access}, auth=self.auth
        ).json()
        assert introspected["active"] is True
        return userinfo.json()["eduperson_entitlement"], introspected["eduperson_entitlement"]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_vo_lifecycle_end_to_end(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    upgrade(url, "head")
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        admin_subject=ADMIN,
        secret_key="test-secret-key-not-used-anywhere-else",
        log_level="WARNING",
        smtp_url=f"smtp://127.0.0.1:{port}",
        jobs_enabled=False,
    )
    member = f"{settings.entitlement_namespace}:group:{VO}:role=member"
    entitlement = f"{member}#{settings.entitlement_authority}"

    with time_machine.travel(START, tick=True) as clock:
        app = create_app(settings)
        factory = app.state.sessionmaker
        with session_scope(factory) as session:
            _, raw = create_api_token(session=session, subject=ADMIN)
            registered = make_client(
                session, settings, grants=["authorization_code", "refresh_token"], scopes=SCOPE
            )
            client_id, secret = registered.client_id, registered.secret
        assert secret is not None
        operator = {"Authorization": f"Bearer {raw}"}

        people: dict[str, Rp] = {}
        for address in (MANAGER, ALICE):
            browser = TestClient(app)
            assert sign_up(browser, address).status_code == 303
            [verification] = mail_to(inbox, address)
            assert browser.get(link_in(verification), follow_redirects=False).status_code == 303
            assert sign_in(browser, address).status_code == 303
            people[address] = Rp(app, client_id, secret)
            people[address].sign_in_with_code_flow(browser)
        manager, alice = people[MANAGER], people[ALICE]
        alice_sub = ok(alice.http.get("/oidc/userinfo", headers=alice.headers))["sub"]

        card = {"name": VO, "description": "A lifecycle", "aup_text": "Cite us.", "contacts": []}
        assert (
            ok(manager.http.post(f"{API}/vos", json=card, headers=manager.headers), 201)["status"]
            == "pending"
        )
        decision = {"status": "active", "reason": "a real community"}
        ok(manager.http.post(f"{API}/vos/{VO}/decision", json=decision, headers=operator))
        config = {"name": "Join", "approval_required": True, "duration_days": 180}
        enrolment = ok(
            manager.http.post(
                f"{API}/groups/{VO}/enrolments", json=config, headers=manager.headers
            ),
            201,
        )
        assert enrolment["aup_required"] is True

        apply = f"{API}/enrolments/{enrolment['id']}/applications"
        application = ok(
            alice.http.post(apply, json={"accept_aup": True}, headers=alice.headers), 201
        )
        assert application["status"] == "pending"
        [notice] = mail_to(inbox, MANAGER)[1:]
        assert ALICE in body_of(notice)
        assert alice_sub in body_of(notice)
        assert link_in(notice).endswith(f"/applications/{application['id']}")
        assert alice.entitlements() == ([], [])

        decide = f"{API}/applications/{application['id']}/decision"
        ok(manager.http.post(decide, json={"approve": True}, headers=manager.headers))
        assert alice.entitlements() == ([entitlement], [entitlement])
        [welcome] = mail_to(inbox, ALICE)[1:]
        assert VO in body_of(welcome)

        clock.move_to(START + timedelta(days=165))
        alice.refreshed()
        assert alice.entitlements() == ([entitlement], [entitlement])
        ran = run_due(factory, settings, registered_jobs(), holder="test")
        assert ran["aai.membership-reminders"] == {"reminded": 1}
        [reminder] = mail_to(inbox, ALICE)[2:]
        assert "expires soon" in reminder["Subject"]
        assert run_due(factory, settings, registered_jobs(), holder="test") == {}

        clock.move_to(START + timedelta(days=181))
        alice.refreshed()
        assert alice.entitlements() == ([], [])
        ran = run_due(factory, settings, registered_jobs(), holder="test")
        assert ran["aai.membership-expiry"] == {"expired": 1}
        manager.refreshed()
        members = ok(manager.http.get(f"{API}/groups/{VO}/members", headers=manager.headers))
        assert [(m["subject"], m["status"]) for m in members["items"]] == [(alice_sub, "expired")]
        assert len(mail_to(inbox, ALICE)) == 3
