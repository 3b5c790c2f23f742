"""Sign-up, verification, sign-in (with second factor), password reset, the policy and the
account page, driven through the pages with a TestClient, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Client, LocalCredential, LoginSession
from fedcore.aai.service import tokens
from fedcore.core.db import utcnow
from fedcore.core.models import MailMessage
from fedcore.core.ratelimit import failure_limiter
from tests.support.pages import field_error

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_login_limit() -> Iterator[None]:
    failure_limiter("login").reset()
    yield
    failure_limiter("login").reset()


def csrf_of(client: TestClient, path: str = "/aai/signup") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def outbox_path(session: Session, recipient: str) -> str:
    """Path and query of the link in the newest message to ``recipient``."""
    body = session.scalars(
        select(MailMessage.body)
        .where(MailMessage.recipient == recipient)
        .order_by(MailMessage.id.desc())
        .limit(1)
    ).one()
    match = re.search(r"https?://\S+", body)
    assert match
    parts = urlsplit(match.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_up(client: TestClient, email: str = "ada@example.org", **changes: str) -> Response:
    data = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": email,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "accept_aup": "yes",
        "csrf": csrf_of(client),
        **changes,
    }
    return client.post("/aai/signup", data=data, follow_redirects=False)


def sign_in(
    client: TestClient, email: str = "ada@example.org", password: str = PASSWORD, next: str = "/"
) -> Response:
    data = {"email": email, "password": password, "next": next, "csrf": csrf_of(client)}
    return client.post("/aai/login", data=data, follow_redirects=False)


def registered(client: TestClient, session: Session, email: str = "ada@example.org") -> None:
    """Sign up and open the verification link."""
    assert sign_up(client, email).status_code == 303
    assert client.get(outbox_path(session, email), follow_redirects=False).status_code == 303


def account_of(session: Session, email: str = "ada@example.org") -> Account:
    return session.scalars(select(Account).where(Account.email == email)).one()


def test_sign_up_verify_sign_in_and_see_the_account(client: TestClient, session: Session) -> None:
    form = client.get("/aai/signup")
    assert form.status_code == 200
    for field, label in [("email", "E-mail address"), ("password_confirm", "Password again")]:
        assert f'<label for="f-{field}">{label}' in form.text
    assert 'href="/aai/aup"' in form.text

    created = sign_up(client)
    assert created.status_code == 303
    assert created.headers["location"] == "/aai/verify-email/sent"
    assert "Check your e-mail" in client.get("/aai/verify-email/sent").text

    refused = sign_in(client)
    assert refused.status_code == 403
    assert "confirm your e-mail address first" in refused.text
    assert 'action="/aai/verify-email/resend"' in refused.text

    link = outbox_path(session, "ada@example.org")
    assert link.startswith("/aai/verify-email?token=")
    verified = client.get(link, follow_redirects=False)
    assert verified.headers["location"] == "/aai/login"
    assert "confirmed" in client.get("/aai/login").text
    again = client.get(link)
    assert again.status_code == 422
    assert "invalid, was used already or has expired" in again.text

    assert client.get("/aai/account", follow_redirects=False).headers["location"] == (
        "/aai/login?next=%2Faai%2Faccount"
    )
    signed_in = sign_in(client, email="Ada@Example.org", next="/aai/account")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/aai/account"
    page = client.get("/aai/account")
    assert page.status_code == 200
    account = account_of(session)
    assert account.voperson_id in page.text
    assert "this browser" in page.text
    login = session.scalars(select(LoginSession)).one()
    assert login.amr == ["pwd"]
    assert login.user_agent == "testclient"

    out = client.post("/aai/logout", data={"csrf": csrf_of(client, "/aai/account")})
    assert out.status_code == 200
    assert login.ended_at is not None
    assert client.get("/aai/account", follow_redirects=False).status_code == 303


def test_sign_up_errors_are_shown_next_to_the_field(client: TestClient, session: Session) -> None:
    mismatch = sign_up(client, password_confirm="something else entirely")
    assert mismatch.status_code == 422
    assert field_error(mismatch, "password_confirm") == "the two passwords differ"
    assert 'value="Lovelace"' in mismatch.text
    assert PASSWORD not in mismatch.text

    no_aup = sign_up(client, accept_aup="")
    assert no_aup.status_code == 422
    assert "acceptable-use policy" in field_error(no_aup, "accept_aup")

    weak = sign_up(client, password="tooshort", password_confirm="tooshort")
    assert field_error(weak, "password") == "the password must have at least 10 characters"
    assert session.scalar(select(Account.id)) is None

    assert sign_up(client).status_code == 303
    duplicate = sign_up(client, email="ADA@example.org")
    assert duplicate.status_code == 409
    assert "cannot be used to sign up" in field_error(duplicate, "email")


def test_forms_without_csrf_token_are_refused(client: TestClient, session: Session) -> None:
    data = {"email": "ada@example.org", "password": PASSWORD}
    assert client.post("/aai/login", data=data).status_code == 403
    signup = {"given_name": "A", "family_name": "B", "email": "a@b.org", "accept_aup": "yes"}
    assert client.post("/aai/signup", data={**signup, "csrf": "forged"}).status_code == 403
    assert client.post("/aai/logout").status_code == 403
    assert client.post("/aai/account/totp").status_code == 403
    assert session.scalar(select(Account.id)) is None


def test_wrong_password_keeps_you_out_with_one_message(
    client: TestClient, session: Session
) -> None:
    registered(client, session)
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, email="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    message = re.search(r'id="f-login-error">([^<]*)<', wrong.text)
    assert message
    assert message.group(1) in unknown.text
    credential = session.get(LocalCredential, account_of(session).id)
    assert credential is not None
    assert credential.failed_attempts == 1  # the failure was committed with the page
    assert client.get("/aai/account", follow_redirects=False).status_code == 303


def test_only_local_paths_are_followed_after_sign_in(client: TestClient, session: Session) -> None:
    registered(client, session)
    for target in ["//evil.example", "https://evil.example/", "/\\evil.example"]:
        assert sign_in(client, next=target).headers["location"] == "/"
    assert (
        sign_in(client, next="/registry/sites/?q=1").headers["location"] == "/registry/sites/?q=1"
    )


def enable_totp(client: TestClient) -> pyotp.TOTP:
    csrf = csrf_of(client, "/aai/account")
    assert client.post("/aai/account/totp", data={"csrf": csrf}).status_code == 200
    page = client.get("/aai/account").text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    uri = re.search(r'id="totp-uri">(otpauth://[^<]+)<', page)
    assert secret
    assert uri
    assert "issuer=fedcore" in uri.group(1)
    totp = pyotp.TOTP(secret.group(1))
    done = client.post(
        "/aai/account/totp/confirm", data={"csrf": csrf, "code": totp.now()}, follow_redirects=False
    )
    assert done.status_code == 303
    return totp


def test_totp_second_step(client: TestClient, session: Session) -> None:
    registered(client, session)
    sign_in(client)
    csrf = csrf_of(client, "/aai/account")
    begun = client.post("/aai/account/totp", data={"csrf": csrf})
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', begun.text)
    assert secret
    wrong = client.post("/aai/account/totp/confirm", data={"csrf": csrf, "code": "12345"})
    assert wrong.status_code == 422
    assert "does not match" in field_error(wrong, "code")
    totp = enable_totp(client)
    assert "since" in client.get("/aai/account").text
    client.post("/aai/logout", data={"csrf": csrf_of(client, "/aai/account")})

    first = sign_in(client, next="/aai/account")
    assert first.headers["location"] == "/aai/login/totp"
    assert client.get("/aai/account", follow_redirects=False).status_code == 303  # not yet in
    assert 'autocomplete="one-time-code"' in client.get("/aai/login/totp").text

    csrf = csrf_of(client, "/aai/login/totp")
    replayed = client.post("/aai/login/totp", data={"csrf": csrf, "code": totp.now()})
    assert replayed.status_code == 401
    assert field_error(replayed, "code") == "wrong or already used code"
    assert client.get("/aai/account", follow_redirects=False).status_code == 303

    step = totp.timecode(utcnow())
    right = client.post(
        "/aai/login/totp",
        data={"csrf": csrf, "code": totp.generate_otp(step + 1)},
        follow_redirects=False,
    )
    assert right.headers["location"] == "/aai/account"
    assert client.get("/aai/account").status_code == 200
    login = session.scalars(select(LoginSession).where(LoginSession.ended_at.is_(None))).one()
    assert login.amr == ["pwd", "otp", "mfa"]
    assert client.get("/aai/login/totp", follow_redirects=False).headers["location"] == (
        "/aai/login"
    )

    off = client.post(
        "/aai/account/totp/disable",
        data={"csrf": csrf_of(client, "/aai/account"), "code": totp.generate_otp(step + 1)},
    )
    assert off.status_code == 401  # that code is used up
    off = client.post(
        "/aai/account/totp/disable",
        data={"csrf": csrf_of(client, "/aai/account"), "code": totp.generate_otp(step)},
    )
    assert off.status_code == 401  # older than the last one used
    assert "Turn the second factor off" in off.text


def test_too_many_failures_from_one_address_get_429(client: TestClient, session: Session) -> None:
    responses = [sign_in(client, email=f"nobody{i}@example.org") for i in range(11)]
    assert [r.status_code for r in responses[:10]] == [401] * 10
    assert responses[10].status_code == 429
    assert int(responses[10].headers["retry-after"]) > 0


def test_password_reset_through_the_pages(client: TestClient, session: Session) -> None:
    registered(client, session)
    sign_in(client)
    csrf = csrf_of(client, "/aai/password-reset")
    for email in ["ada@example.org", "nobody@example.org"]:
        sent = client.post("/aai/password-reset", data={"csrf": csrf, "email": email})
        assert sent.status_code == 200
        assert "If an account uses that address" in sent.text
    assert session.query(MailMessage).filter_by(recipient="nobody@example.org").count() == 0

    link = outbox_path(session, "ada@example.org")
    form = client.get(link)
    assert '<meta name="referrer" content="no-referrer">' in form.text
    csrf = csrf_of(client, link)
    differ = client.post(
        link, data={"csrf": csrf, "password": "a new password!", "password_confirm": "other"}
    )
    assert field_error(differ, "password_confirm") == "the two passwords differ"
    done = client.post(
        link,
        data={"csrf": csrf, "password": "a new password!", "password_confirm": "a new password!"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/aai/login"
    assert session.scalars(select(LoginSession.ended_at)).one() is not None
    assert "invalid, was used already" in client.get(link).text
    assert sign_in(client).status_code == 401
    assert sign_in(client, password="a new password!").status_code == 303


def test_new_policy_version_is_accepted_after_sign_in(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    registered(client, session)
    app.state.settings = app.state.settings.model_copy(update={"aup_version": "2"})
    signed_in = sign_in(client, next="/aai/account")
    assert signed_in.headers["location"] == "/aai/aup?next=%2Faai%2Faccount"
    page = client.get("/aai/aup?next=/aai/account")
    assert "I accept version 2" in page.text
    assert "The acceptable-use policy changed" in client.get("/aai/account").text
    accepted = client.post(
        "/aai/aup",
        data={"csrf": csrf_of(client, "/aai/aup"), "next": "/aai/account"},
        follow_redirects=False,
    )
    assert accepted.headers["location"] == "/aai/account"
    assert account_of(session).aup_version == "2"
    assert "The acceptable-use policy changed" not in client.get("/aai/account").text


def test_profile_sessions_and_tokens_on_the_account_page(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    registered(client, session)
    sign_in(client)
    with TestClient(app) as phone:
        sign_in(phone)
    csrf = csrf_of(client, "/aai/account")

    bad = client.post(
        "/aai/account/profile",
        data={"csrf": csrf, "given_name": "Ada", "family_name": "King", "orcid": "1234"},
    )
    assert bad.status_code == 422
    assert "ORCID iD" in field_error(bad, "orcid")
    assert 'value="King"' in bad.text
    saved = client.post(
        "/aai/account/profile",
        data={
            "csrf": csrf,
            "given_name": "Ada",
            "family_name": "King",
            "preferred_username": "ada",
            "orcid": "https://orcid.org/0000-0002-1825-0097",
            "ssh_public_keys": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert account_of(session).name == "Ada King"

    page = client.get("/aai/account").text
    assert page.count('action="/aai/account/sessions/end"') == 2
    ended = client.post("/aai/account/sessions/end-others", data={"csrf": csrf})
    assert "1 other sign-in session ended" in ended.text
    assert client.get("/aai/account").status_code == 200
    live = session.scalars(select(LoginSession).where(LoginSession.ended_at.is_(None))).all()
    assert len(live) == 1
    unknown = client.post("/aai/account/sessions/end", data={"csrf": csrf, "handle": "0" * 16})
    assert unknown.status_code == 404

    account = account_of(session)
    portal = Client(
        client_id="portal", name="Science portal", status="approved", grant_types=[], scopes=[]
    )
    session.add(portal)
    session.flush()
    grant = tokens.create_grant(
        session=session,
        client=portal,
        account=account,
        scope="openid offline_access",
        source="code",
    )
    session.commit()
    page = client.get("/aai/account").text
    assert "Science portal" in page
    assert (
        client.post(
            "/aai/account/tokens/revoke", data={"csrf": csrf, "grant_id": "other"}
        ).status_code
        == 404
    )
    revoked = client.post("/aai/account/tokens/revoke", data={"csrf": csrf, "grant_id": grant.id})
    assert "The grant is revoked" in revoked.text
    assert grant.revoked_at is not None
    assert "Science portal" not in revoked.text
