"""Local accounts and sign-in sessions (service layer), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.enums import AccountStatus
from fedcore.aai.models import Account, EmailToken, Identity, LocalCredential, LoginSession
from fedcore.aai.service import accounts, first_party, profile, sessions, tokens
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import Conflict, NotAuthenticated, RuleViolation, ValidationFailed
from fedcore.core.models import MailMessage

PASSWORD = "correct horse battery"


def last_link(session: Session, recipient: str) -> str:
    """The link in the newest message to ``recipient`` in the outbox."""
    message = session.scalars(
        select(MailMessage)
        .where(MailMessage.recipient == recipient)
        .order_by(MailMessage.id.desc())
        .limit(1)
    ).one()
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def token_of(link: str) -> str:
    return re.split(r"token=|/password-reset/", link)[-1]


def new_account(
    session: Session, settings: Settings, email: str = "ada@example.org", verified: bool = True
) -> Account:
    account = accounts.sign_up(
        session=session,
        settings=settings,
        email=email,
        password=PASSWORD,
        given_name="Ada",
        family_name="Lovelace",
        accept_aup=True,
    )
    if verified:
        accounts.verify_email(session=session, token=token_of(last_link(session, account.email)))
    return account


def credential(session: Session, account: Account) -> LocalCredential:
    row = accounts.get_local_credential(session=session, account=account)
    assert row is not None
    return row


# --- sign-up and verification --------------------------------------------------------------------


def test_sign_up_creates_account_identity_and_hashed_credential(
    session: Session, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={
            "issuer": "https://aai.example.org",
            "base_url": "https://aai.example.org",
            "aup_version": "7",
        }
    )
    account = accounts.sign_up(
        session=session,
        settings=settings,
        email=" Ada@Example.ORG ",
        password=PASSWORD,
        given_name=" Ada ",
        family_name="King  Lovelace",
        accept_aup=True,
    )
    assert re.fullmatch(r"[0-9a-f]{32}@aai\.example\.org", account.voperson_id)
    assert (account.email, account.email_verified) == ("ada@example.org", False)
    assert (account.given_name, account.family_name, account.name) == (
        "Ada",
        "King Lovelace",
        "Ada King Lovelace",
    )
    assert account.aup_version == "7"
    assert account.aup_accepted_at is not None
    [identity] = session.scalars(select(Identity).where(Identity.account_id == account.id)).all()
    assert (identity.issuer, identity.subject) == ("local", account.voperson_id)
    row = credential(session, account)
    assert row.login_email == "ada@example.org"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    link = last_link(session, "ada@example.org")
    assert link.startswith("https://aai.example.org/aai/verify-email?token=")
    token = session.scalars(select(EmailToken).where(EmailToken.account_id == account.id)).one()
    assert token.token_hash != token_of(link)
    assert token.expires_at - token.created_at == timedelta(hours=48)


def test_voperson_ids_are_never_the_same(settings: Settings) -> None:
    minted = {accounts.mint_voperson_id(settings) for _ in range(1000)}
    assert len(minted) == 1000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"accept_aup": False}, "accept_aup"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@localhost"}, "email"),
        ({"password": "short1234"}, "password"),
        ({"password": "ADA@example.org"}, "password"),
        ({"given_name": "  "}, "given_name"),
        ({"family_name": "Love\x00lace"}, "family_name"),
    ],
)
def test_sign_up_refuses_bad_input_and_changes_nothing(
    session: Session, settings: Settings, changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "email": "ada@example.org",
        "password": PASSWORD,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "accept_aup": True,
        **changes,
    }
    with pytest.raises(ValidationFailed) as caught:
        accounts.sign_up(session=session, settings=settings, **values)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert session.scalar(select(Account.id)) is None
    assert session.scalar(select(MailMessage.id)) is None


def test_duplicate_email_is_a_conflict(session: Session, settings: Settings) -> None:
    new_account(session, settings, verified=False)
    with pytest.raises(Conflict) as caught:
        new_account(session, settings, email="ADA@example.org")
    assert caught.value.field == "email"
    assert session.query(Account).count() == 1
    assert session.query(MailMessage).count() == 1


def test_verification_link_works_once(session: Session, settings: Settings) -> None:
    account = new_account(session, settings, verified=False)
    token = token_of(last_link(session, account.email))
    assert accounts.verify_email(session=session, token=token) is account
    assert account.email_verified
    with pytest.raises(ValidationFailed) as caught:
        accounts.verify_email(session=session, token=token)
    assert caught.value.field == "token"


def test_expired_or_foreign_links_are_refused(session: Session, settings: Settings) -> None:
    account = new_account(session, settings, verified=False)
    token = token_of(last_link(session, account.email))
    row = session.scalars(select(EmailToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ValidationFailed):
        accounts.verify_email(session=session, token=token)
    with pytest.raises(ValidationFailed):
        accounts.verify_email(session=session, token="made-up")
    with pytest.raises(ValidationFailed):  # a verification link is no reset link
        accounts.check_reset_token(session=session, token=token)
    assert not account.email_verified


def test_resend_verification_only_to_unverified_accounts_once_a_minute(
    session: Session, settings: Settings
) -> None:
    account = new_account(session, settings, verified=False)
    accounts.resend_verification(session=session, settings=settings, email="ada@example.org")
    assert session.query(MailMessage).count() == 1  # the sign-up mail is less than a minute old
    session.scalars(select(EmailToken)).one().created_at -= timedelta(minutes=2)
    accounts.resend_verification(session=session, settings=settings, email="ADA@example.org")
    accounts.resend_verification(session=session, settings=settings, email="nobody@example.org")
    assert session.query(MailMessage).count() == 2
    accounts.verify_email(session=session, token=token_of(last_link(session, account.email)))
    for row in session.scalars(select(EmailToken)):
        row.created_at -= timedelta(minutes=5)
    accounts.resend_verification(session=session, settings=settings, email="ada@example.org")
    assert session.query(MailMessage).count() == 2


# --- password sign-in ----------------------------------------------------------------------------


def test_sign_in_needs_a_verified_address(session: Session, settings: Settings) -> None:
    account = new_account(session, settings, verified=False)
    with pytest.raises(accounts.EmailNotVerified):
        accounts.authenticate_password(session=session, email="ada@example.org", password=PASSWORD)
    accounts.verify_email(session=session, token=token_of(last_link(session, account.email)))
    assert (
        accounts.authenticate_password(session=session, email="Ada@example.org", password=PASSWORD)
        is account
    )


def test_unknown_wrong_and_locked_get_the_same_answer(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    row = credential(session, account)
    messages = set()
    for email, password in [("nobody@example.org", PASSWORD), ("not an address", PASSWORD)]:
        with pytest.raises(NotAuthenticated) as caught:
            accounts.authenticate_password(session=session, email=email, password=password)
        messages.add(caught.value.detail)
    for attempt in range(1, accounts.MAX_FAILURES + 1):
        with pytest.raises(NotAuthenticated) as caught:
            accounts.authenticate_password(
                session=session, email=account.email, password="wrong password"
            )
        messages.add(caught.value.detail)
        if attempt < accounts.MAX_FAILURES:
            assert (row.failed_attempts, row.locked_until) == (attempt, None)
    assert row.locked_until is not None
    assert row.locked_until - utcnow() > timedelta(minutes=14)
    with pytest.raises(NotAuthenticated) as caught:  # locked: the right password is refused too
        accounts.authenticate_password(session=session, email=account.email, password=PASSWORD)
    messages.add(caught.value.detail)
    assert messages == {accounts.SIGN_IN_REFUSED}
    row.locked_until = utcnow() - timedelta(seconds=1)
    assert (
        accounts.authenticate_password(session=session, email=account.email, password=PASSWORD)
        is account
    )
    assert row.failed_attempts == 0
    assert row.locked_until is None


def test_suspended_account_cannot_sign_in(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    account.status = AccountStatus.SUSPENDED
    with pytest.raises(NotAuthenticated, match="suspended"):
        accounts.authenticate_password(session=session, email=account.email, password=PASSWORD)


def test_hash_with_old_parameters_is_replaced_at_sign_in(
    session: Session, settings: Settings
) -> None:
    account = new_account(session, settings)
    row = credential(session, account)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    row.password_hash = old
    accounts.authenticate_password(session=session, email=account.email, password=PASSWORD)
    assert row.password_hash != old
    assert not PasswordHasher().check_needs_rehash(row.password_hash)
    assert PasswordHasher().verify(row.password_hash, PASSWORD)


# --- TOTP ---------------------------------------------------------------------------------------


def enrol(session: Session, account: Account) -> pyotp.TOTP:
    secret, uri = accounts.begin_totp(session=session, account=account)
    assert uri.startswith("otpauth://totp/fedcore:ada%40example.org?")
    assert f"secret={secret}" in uri
    assert "issuer=fedcore" in uri
    totp = pyotp.TOTP(secret)
    accounts.confirm_totp(session=session, account=account, code=totp.now())
    return totp


def test_totp_enrolment_needs_a_right_code(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    secret, _ = accounts.begin_totp(session=session, account=account)
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)
    with pytest.raises(ValidationFailed) as caught:
        accounts.confirm_totp(session=session, account=account, code=wrong)
    assert caught.value.field == "code"
    assert not accounts.totp_enabled(session=session, account=account)
    accounts.confirm_totp(session=session, account=account, code=pyotp.TOTP(secret).now())
    assert accounts.totp_enabled(session=session, account=account)
    with pytest.raises(RuleViolation):
        accounts.begin_totp(session=session, account=account)


def test_totp_window_and_replay(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    totp = enrol(session, account)
    row = credential(session, account)
    step = totp.timecode(utcnow())
    assert row.totp_last_step == step
    with pytest.raises(NotAuthenticated, match="already used"):  # the enrolment code, replayed
        accounts.verify_totp(session=session, account=account, code=totp.now())
    with pytest.raises(NotAuthenticated):  # older than the last one used
        accounts.verify_totp(session=session, account=account, code=totp.generate_otp(step - 1))
    next_code = totp.generate_otp(step + 1)
    accounts.verify_totp(session=session, account=account, code=next_code[:3] + " " + next_code[3:])
    with pytest.raises(NotAuthenticated):
        accounts.verify_totp(session=session, account=account, code=next_code)
    with pytest.raises(NotAuthenticated):  # outside the window
        accounts.verify_totp(session=session, account=account, code=totp.generate_otp(step + 3))
    assert row.failed_attempts == 2  # the right code in between reset the count


def test_wrong_codes_lock_the_credential(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    totp = enrol(session, account)
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(NotAuthenticated):
            accounts.verify_totp(session=session, account=account, code="abc")
    step = totp.timecode(utcnow())
    with pytest.raises(NotAuthenticated, match="15 minutes"):
        accounts.verify_totp(session=session, account=account, code=totp.generate_otp(step + 1))
    with pytest.raises(NotAuthenticated):
        accounts.authenticate_password(session=session, email=account.email, password=PASSWORD)


def test_disable_totp_needs_a_current_code(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    totp = enrol(session, account)
    with pytest.raises(NotAuthenticated):
        accounts.disable_totp(session=session, account=account, code="000000")
    assert accounts.totp_enabled(session=session, account=account)
    step = totp.timecode(utcnow())
    accounts.disable_totp(session=session, account=account, code=totp.generate_otp(step + 1))
    assert not accounts.totp_enabled(session=session, account=account)
    assert credential(session, account).totp_secret is None


# --- password reset -----------------------------------------------------------------------------


def test_reset_request_is_silent_for_unknown_addresses(
    session: Session, settings: Settings
) -> None:
    accounts.request_password_reset(session=session, settings=settings, email="nobody@example.org")
    assert session.query(MailMessage).count() == 0
    with pytest.raises(ValidationFailed) as caught:
        accounts.request_password_reset(session=session, settings=settings, email="nonsense")
    assert caught.value.field == "email"


def test_reset_is_single_use_and_ends_sessions(session: Session, settings: Settings) -> None:
    account = new_account(session, settings, verified=False)
    first = sessions.start_login_session(session=session, account=account, amr=["pwd"])
    second = sessions.start_login_session(session=session, account=account, amr=["pwd"])
    credential(session, account).locked_until = utcnow() + timedelta(minutes=10)
    web = first_party.web_client(session=session, settings=settings)
    grant = tokens.create_grant(
        session=session, client=web, account=account, scope="openid", source="authorization_code"
    )
    accounts.request_password_reset(session=session, settings=settings, email=account.email)
    link = last_link(session, account.email)
    assert link.startswith(settings.page_url("/aai/password-reset/"))
    token = token_of(link)
    reset = session.scalars(select(EmailToken).where(EmailToken.purpose == "password-reset")).one()
    assert reset.expires_at - reset.created_at == timedelta(hours=1)
    assert accounts.check_reset_token(session=session, token=token) is account
    with pytest.raises(ValidationFailed) as caught:
        accounts.reset_password(session=session, token=token, new_password="short")
    assert caught.value.field == "password"
    assert sessions.get_login_session(session=session, sid=first.id) is first

    accounts.reset_password(session=session, token=token, new_password="a brand new secret")
    assert sessions.get_login_session(session=session, sid=first.id) is None
    assert sessions.get_login_session(session=session, sid=second.id) is None
    assert grant.revoked_reason == "password reset"
    assert account.email_verified  # the link reached the address
    assert (
        accounts.authenticate_password(
            session=session, email=account.email, password="a brand new secret"
        )
        is account
    )
    with pytest.raises(ValidationFailed):
        accounts.reset_password(session=session, token=token, new_password="another new secret")
    with pytest.raises(NotAuthenticated):
        accounts.authenticate_password(session=session, email=account.email, password=PASSWORD)


# --- profile and AUP ----------------------------------------------------------------------------


def openssh(key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def test_profile_update_validates_everything_first(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    ed = openssh(ed25519.Ed25519PrivateKey.generate().public_key())
    ecdsa = openssh(ec.generate_private_key(ec.SECP256R1()).public_key())
    profile.update_profile(
        session=session,
        account=account,
        given_name="Augusta Ada",
        family_name="King",
        preferred_username="ada",
        orcid="0000-0002-1825-0097",
        ssh_public_keys=[f"{ed}  ada@laptop ", "", ecdsa, ed + " ada@laptop"],
    )
    assert account.name == "Augusta Ada King"
    assert account.orcid == "https://orcid.org/0000-0002-1825-0097"
    assert account.ssh_public_keys == [f"{ed} ada@laptop", ecdsa]
    assert profile.ssh_key_fingerprint(ecdsa).startswith("SHA256:")

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    weak_rsa = openssh(weak.public_key())
    bad: list[tuple[dict[str, object], str, str]] = [
        ({"orcid": "https://orcid.org/0000-0002-1825-0098"}, "orcid", "check character"),
        ({"orcid": "orcid:0000-0002-1825-0097"}, "orcid", "ORCID iD"),
        ({"ssh_public_keys": [ed, "ssh-ed25519 AAAAnotbase64"]}, "ssh_public_keys", "key 2"),
        ({"ssh_public_keys": ["ssh-dss AAAAB3NzaC1kc3M="]}, "ssh_public_keys", "DSA"),
        ({"ssh_public_keys": [weak_rsa]}, "ssh_public_keys", "2048"),
        ({"ssh_public_keys": ["hello"]}, "ssh_public_keys", "one OpenSSH public key"),
        ({"preferred_username": "Ada Lovelace"}, "preferred_username", "lower-case"),
        ({"given_name": ""}, "given_name", "given name"),
    ]
    for changes, field, reason in bad:
        values: dict[str, object] = {
            "given_name": "Ada",
            "family_name": "Lovelace",
            "preferred_username": "ada2",
            "orcid": "",
            "ssh_public_keys": [],
            **changes,
        }
        with pytest.raises(ValidationFailed) as caught:
            profile.update_profile(
                session=session,
                account=account,
                **values,  # type: ignore[arg-type]
            )
        assert caught.value.field == field
        assert reason in caught.value.detail
        assert (account.name, account.preferred_username) == ("Augusta Ada King", "ada")
        assert account.ssh_public_keys == [f"{ed} ada@laptop", ecdsa]


def test_orcid_with_x_check_character() -> None:
    assert profile.normalise_orcid("0000-0002-9079-593X") == "https://orcid.org/0000-0002-9079-593X"


def test_new_aup_version_must_be_accepted_again(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    assert not profile.aup_outdated(settings=settings, account=account)
    newer = settings.model_copy(update={"aup_version": "2"})
    assert profile.aup_outdated(settings=newer, account=account)
    profile.accept_aup(session=session, settings=newer, account=account)
    assert account.aup_version == "2"
    assert not profile.aup_outdated(settings=newer, account=account)


# --- sign-in sessions ---------------------------------------------------------------------------


def test_login_sessions_live_12_hours_and_end(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    login = sessions.start_login_session(
        session=session,
        account=account,
        amr=["pwd", "otp"],
        user_agent="x" * 600,
        ip_address="192.0.2.1",
    )
    assert len(login.id) >= 43
    assert login.expires_at - login.auth_time == timedelta(hours=12)
    assert account.last_login_at == login.auth_time
    [identity] = accounts.list_identities(session=session, account=account)
    assert identity.last_used_at == login.auth_time
    assert len(login.user_agent) == 500
    assert sessions.get_login_session(session=session, sid=login.id) is login
    assert sessions.get_login_session(session=session, sid="unknown") is None

    other = sessions.start_login_session(session=session, account=account, amr=["pwd"])
    assert {s.id for s in sessions.list_login_sessions(session=session, account=account)} == {
        login.id,
        other.id,
    }
    assert sessions.end_other_sessions(session=session, account=account, keep=login.id) == 1
    assert sessions.get_login_session(session=session, sid=other.id) is None
    assert sessions.list_login_sessions(session=session, account=account) == [login]

    account.status = AccountStatus.SUSPENDED
    assert sessions.get_login_session(session=session, sid=login.id) is None
    account.status = AccountStatus.ACTIVE
    login.expires_at = utcnow() - timedelta(seconds=1)
    assert sessions.get_login_session(session=session, sid=login.id) is None


def test_last_seen_is_written_at_most_once_a_minute(session: Session, settings: Settings) -> None:
    account = new_account(session, settings)
    login = sessions.start_login_session(session=session, account=account, amr=["pwd"])
    recent = utcnow() - timedelta(seconds=30)
    login.last_seen_at = recent
    sessions.get_login_session(session=session, sid=login.id)
    assert login.last_seen_at == recent
    login.last_seen_at = utcnow() - timedelta(minutes=2)
    sessions.get_login_session(session=session, sid=login.id)
    assert utcnow() - login.last_seen_at < timedelta(seconds=5)


def test_end_session_by_handle_only_for_its_account(session: Session, settings: Settings) -> None:
    ada = new_account(session, settings)
    bob = new_account(session, settings, email="bob@example.org")
    login = sessions.start_login_session(session=session, account=ada, amr=["pwd"])
    handle = sessions.session_handle(login)
    assert login.id not in handle
    assert not sessions.end_session_by_handle(session=session, account=bob, handle=handle)
    assert sessions.get_login_session(session=session, sid=login.id) is login
    assert sessions.end_session_by_handle(session=session, account=ada, handle=handle)
    assert session.get(LoginSession, login.id) is not None
    assert sessions.get_login_session(session=session, sid=login.id) is None
