"""Local accounts, the built-in identity source: sign-up with the acceptable-use policy, e-mail
verification, password sign-in with lockout, TOTP second factor (RFC 6238) and password reset
(the profile and the policy acceptance are in :mod:`fedcore.aai.service.profile`).

* Every account gets a ``voperson_id`` ``<32 hex>@<domain>`` (:func:`mint_voperson_id`), never
  changed and never reassigned (a unique column); a local account's identity is
  ``(issuer="local", subject=voperson_id)``.
* Passwords are argon2id hashes (argon2-cffi's default parameters); a hash made with other
  parameters is replaced at the next successful sign-in.
* Sign-in needs a verified e-mail address. Five wrong passwords or codes in a row lock the
  credential for 15 minutes; an unknown address, a wrong password and a locked credential get
  the same answer, in about the same time.
* One-time links (verification 48 h, password reset 1 h) are stored as SHA-256 hashes only.
  Asking for a reset link behaves the same whether or not the address has an account.

Functions flush and never commit. :func:`authenticate_password` and :func:`verify_totp` record a
failure before raising; the caller commits that record (a page that shows the error does).
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fedcore.aai.enums import AccountStatus
from fedcore.aai.models import Account, EmailToken, Identity, LocalCredential
from fedcore.aai.service import profile, sessions, tokens
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import Conflict, NotAuthenticated, RuleViolation, ValidationFailed
from fedcore.core.mail import send_mail
from fedcore.core.security import hash_token

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
VERIFY_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
MAIL_INTERVAL = timedelta(minutes=1)
"""At most one verification or reset mail per account and minute (no mail bombing)."""
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
TOTP_ISSUER = "fedcore"
TOTP_WINDOW = 1
"""Codes of the previous and next 30-second step are accepted too (clock drift)."""

VERIFY_EMAIL = "verify-email"
PASSWORD_RESET = "password-reset"  # noqa: S105  (a purpose name, not a password)

SIGN_IN_REFUSED = (
    "Wrong e-mail address or password, or too many failed attempts (then wait 15 minutes or "
    "reset your password)."
)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$"
)
"""An address with a dot-atom local part and a domain of at least two DNS labels."""

_hasher = PasswordHasher()


class EmailNotVerified(NotAuthenticated):
    """The password was right but the address is not confirmed yet; the page offers a re-send."""


@cache
def _decoy_hash() -> str:
    """A hash to verify against for unknown addresses, so they take as long as known ones."""
    return _hasher.hash(secrets.token_urlsafe(16))


# --- validation ---------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """The form of an address used for sign-in: trimmed and lower-case; ValidationFailed
    (field ``email``) when it is not an address."""
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise ValidationFailed("enter an e-mail address such as name@example.org", field="email")
    return email


def check_password(password: str, email: str, field: str = "password") -> None:
    """ValidationFailed unless the password is long enough and not the e-mail address."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(
            f"the password must have at least {PASSWORD_MIN_LENGTH} characters", field=field
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationFailed(
            f"the password must have at most {PASSWORD_MAX_LENGTH} characters", field=field
        )
    if password.strip().lower() == email.strip().lower():
        raise ValidationFailed("the password must not be your e-mail address", field=field)


# --- accounts -----------------------------------------------------------------------------------


def mint_voperson_id(settings: Settings) -> str:
    """A new community identifier ``<32 hex>@<domain>`` (an account's ``voperson_id``, a service
    account's subject); opaque, never reused."""
    return f"{uuid.uuid4().hex}@{settings.effective_aai_domain}"


def get_account(*, session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def get_local_credential(*, session: Session, account: Account) -> LocalCredential | None:
    return session.get(LocalCredential, account.id)


def list_identities(*, session: Session, account: Account) -> list[Identity]:
    return list(
        session.scalars(
            select(Identity).where(Identity.account_id == account.id).order_by(Identity.id)
        )
    )


def _credential_by_email(session: Session, email: str) -> LocalCredential | None:
    return session.scalars(
        select(LocalCredential).where(LocalCredential.login_email == email)
    ).one_or_none()


def sign_up(
    *,
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    given_name: str,
    family_name: str,
    accept_aup: bool,
    by_operator: bool = False,
) -> Account:
    """Create a local account (unverified) and mail it a verification link.

    ``by_operator``: an operator creates it (``fedcore aai account create``): the address counts
    as verified, no mail is sent, and the person accepts the policy at the first sign-in (nobody
    accepts it for them)."""
    given_name = profile.check_name(given_name, "given_name", "given name")
    family_name = profile.check_name(family_name, "family_name", "family name")
    email = normalise_email(email)
    check_password(password, email)
    if not accept_aup and not by_operator:
        raise ValidationFailed(
            "you need to accept the acceptable-use policy to get an account", field="accept_aup"
        )
    taken = Conflict(
        "this e-mail address cannot be used to sign up; if it is yours, sign in or reset "
        "your password",
        field="email",
    )
    if _credential_by_email(session, email) is not None:
        raise taken
    voperson_id = mint_voperson_id(settings)
    now = utcnow()
    try:
        with session.begin_nested():
            account = Account(
                voperson_id=voperson_id,
                status=AccountStatus.ACTIVE,
                email=email,
                email_verified=by_operator,
                name=f"{given_name} {family_name}",
                given_name=given_name,
                family_name=family_name,
                aup_accepted_at=now if accept_aup else None,
                aup_version=settings.aup_version if accept_aup else "",
                created_at=now,
            )
            session.add(account)
            session.flush()
            session.add(
                Identity(
                    account_id=account.id, issuer=LOCAL_ISSUER, subject=voperson_id, email=email
                )
            )
            session.add(
                LocalCredential(
                    account_id=account.id,
                    login_email=email,
                    password_hash=_hasher.hash(password),
                    password_changed_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        raise taken from None
    if not by_operator:
        _mail_verification(session=session, settings=settings, account=account)
    return account


def _issue_email_token(
    session: Session, account: Account, purpose: str, email: str, lifetime: timedelta
) -> str:
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        EmailToken(
            token_hash=hash_token(raw),
            account_id=account.id,
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return raw


def _recently_mailed(session: Session, account: Account, purpose: str) -> bool:
    since = utcnow() - MAIL_INTERVAL
    recent = session.scalars(
        select(EmailToken.id)
        .where(EmailToken.account_id == account.id)
        .where(EmailToken.purpose == purpose)
        .where(EmailToken.created_at > since)
        .limit(1)
    ).first()
    return recent is not None


def _mail_verification(*, session: Session, settings: Settings, account: Account) -> None:
    raw = _issue_email_token(session, account, VERIFY_EMAIL, account.email, VERIFY_LIFETIME)
    link = settings.page_url(f"/aai/verify-email?token={raw}")
    send_mail(
        session=session,
        settings=settings,
        to=account.email,
        subject="Confirm your e-mail address for fedcore",
        body=(
            f"Hello {account.given_name},\n\n"
            "please confirm that this is your e-mail address by opening this link within 48 "
            f"hours:\n\n{link}\n\n"
            "If you did not sign up for a fedcore account, ignore this message.\n"
        ),
    )


def resend_verification(*, session: Session, settings: Settings, email: str) -> None:
    """Mail a new verification link to an unverified local account; does the same (nothing
    visible) for unknown or verified addresses, and sends at most one link a minute."""
    credential = _credential_by_email(session, normalise_email(email))
    if credential is None:
        return
    account = session.get(Account, credential.account_id)
    if account is None or account.email_verified:
        return
    if not _recently_mailed(session, account, VERIFY_EMAIL):
        _mail_verification(session=session, settings=settings, account=account)


def _take_token(
    session: Session, raw: str, purpose: str, consume: bool
) -> tuple[EmailToken, Account]:
    invalid = ValidationFailed(
        "this link is invalid, was used already or has expired; ask for a new one", field="token"
    )
    row = session.scalars(
        select(EmailToken).where(EmailToken.token_hash == hash_token(raw.strip()))
    ).one_or_none()
    if row is None or row.purpose != purpose or row.used_at or row.expires_at <= utcnow():
        raise invalid
    account = session.get(Account, row.account_id)
    if account is None or account.email != row.email:
        raise invalid
    if consume:
        row.used_at = utcnow()
        session.flush()
    return row, account


def verify_email(*, session: Session, token: str) -> Account:
    """Mark the address of the link's account verified; the link works once."""
    _, account = _take_token(session, token, VERIFY_EMAIL, consume=True)
    account.email_verified = True
    session.flush()
    return account


# --- password sign-in ---------------------------------------------------------------------------


def _locked(credential: LocalCredential) -> bool:
    return credential.locked_until is not None and credential.locked_until > utcnow()


def _record_failure(session: Session, credential: LocalCredential) -> None:
    credential.failed_attempts += 1
    if credential.failed_attempts >= MAX_FAILURES:
        credential.locked_until = utcnow() + LOCKOUT
        credential.failed_attempts = 0
    session.flush()


def _verify_hash(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate_password(*, session: Session, email: str, password: str) -> Account:
    """The account whose local credential this is; NotAuthenticated with one message for an
    unknown address, a wrong password and a locked credential; :class:`EmailNotVerified` for a
    right password of an unconfirmed address."""
    refused = NotAuthenticated(SIGN_IN_REFUSED)
    try:
        email = normalise_email(email)
    except ValidationFailed:
        raise refused from None
    credential = _credential_by_email(session, email)
    if credential is None:
        _verify_hash(_decoy_hash(), password)
        raise refused
    if _locked(credential):
        raise refused
    if not _verify_hash(credential.password_hash, password):
        _record_failure(session, credential)
        raise refused
    account = session.get(Account, credential.account_id)
    assert account is not None
    if account.status != AccountStatus.ACTIVE:
        raise NotAuthenticated("this account is suspended; contact the operators")
    if not account.email_verified:
        raise EmailNotVerified(
            "confirm your e-mail address first: open the link we mailed you (or ask for a new one)"
        )
    credential.failed_attempts = 0
    credential.locked_until = None
    if _hasher.check_needs_rehash(credential.password_hash):
        credential.password_hash = _hasher.hash(password)
    session.flush()
    return account


# --- TOTP (RFC 6238) ----------------------------------------------------------------------------


def _credential_of(session: Session, account: Account) -> LocalCredential:
    credential = session.get(LocalCredential, account.id)
    if credential is None:
        raise RuleViolation(
            "a second factor protects the password sign-in, and this account has no password"
        )
    return credential


def totp_enabled(*, session: Session, account: Account) -> bool:
    credential = session.get(LocalCredential, account.id)
    return credential is not None and credential.totp_enabled_at is not None


def _matching_step(credential: LocalCredential, code: str) -> int | None:
    """The time step (newer than the last one used) whose code this is, or None."""
    code = "".join(code.split())
    if not credential.totp_secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(credential.totp_secret)
    now = totp.timecode(utcnow())
    for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
        if step > credential.totp_last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def begin_totp(*, session: Session, account: Account) -> tuple[str, str]:
    """A new secret (base32) and its ``otpauth://`` URI; the factor is on once confirmed."""
    credential = _credential_of(session, account)
    if credential.totp_enabled_at is not None:
        raise RuleViolation("a second factor is already set up; turn it off first to replace it")
    credential.totp_secret = pyotp.random_base32()
    session.flush()
    return credential.totp_secret, totp_uri(credential)


def totp_uri(credential: LocalCredential) -> str:
    assert credential.totp_secret
    return pyotp.TOTP(credential.totp_secret).provisioning_uri(
        name=credential.login_email, issuer_name=TOTP_ISSUER
    )


def confirm_totp(*, session: Session, account: Account, code: str) -> None:
    """Turn the factor begun with :func:`begin_totp` on, given a current code from the app."""
    credential = _credential_of(session, account)
    if credential.totp_enabled_at is not None:
        raise RuleViolation("the second factor is already on")
    if not credential.totp_secret:
        raise RuleViolation("set up the second factor first")
    step = _matching_step(credential, code)
    if step is None:
        raise ValidationFailed(
            "the code does not match; enter the 6 digits the app shows now (check the clock of "
            "the device)",
            field="code",
        )
    credential.totp_last_step = step
    credential.totp_enabled_at = utcnow()
    session.flush()


def verify_totp(*, session: Session, account: Account, code: str) -> None:
    """Accept a current code once (a code already used, even within its 30 s, is refused);
    wrong codes count towards the lockout like wrong passwords."""
    credential = _credential_of(session, account)
    if credential.totp_enabled_at is None:
        raise RuleViolation("this account has no second factor")
    if _locked(credential):
        raise NotAuthenticated(
            "too many wrong codes: wait 15 minutes and sign in again", field="code"
        )
    step = _matching_step(credential, code)
    if step is None:
        _record_failure(session, credential)
        raise NotAuthenticated("wrong or already used code", field="code")
    credential.totp_last_step = step
    credential.failed_attempts = 0
    session.flush()


def disable_totp(*, session: Session, account: Account, code: str) -> None:
    """Turn the second factor off; needs a current code."""
    verify_totp(session=session, account=account, code=code)
    credential = _credential_of(session, account)
    credential.totp_secret = None
    credential.totp_enabled_at = None
    session.flush()


# --- password reset -----------------------------------------------------------------------------


def request_password_reset(*, session: Session, settings: Settings, email: str) -> None:
    """Mail a reset link (valid 1 h) if the address has a local account; otherwise nothing, with
    no difference the caller can see."""
    credential = _credential_by_email(session, normalise_email(email))
    if credential is None:
        return
    account = session.get(Account, credential.account_id)
    if account is None or _recently_mailed(session, account, PASSWORD_RESET):
        return
    raw = _issue_email_token(session, account, PASSWORD_RESET, account.email, RESET_LIFETIME)
    send_mail(
        session=session,
        settings=settings,
        to=account.email,
        subject="Reset your fedcore password",
        body=(
            f"Hello {account.given_name},\n\n"
            "someone (we hope you) asked to reset the password of your fedcore account. To "
            "choose a new password, open this link within one hour:\n\n"
            f"{settings.page_url('/aai/password-reset/' + raw)}\n\n"
            "If you did not ask for this, ignore this message; your password stays as it is.\n"
        ),
    )


def check_reset_token(*, session: Session, token: str) -> Account:
    """The account a reset link is for, without using the link up."""
    return _take_token(session, token, PASSWORD_RESET, consume=False)[1]


def reset_password(*, session: Session, token: str, new_password: str) -> Account:
    """Set a new password through a reset link (once); ends every sign-in session of the
    account and revokes its token grants (the old password may have been stolen), lifts a
    lockout, and confirms the address (the link reached it)."""
    account = check_reset_token(session=session, token=token)
    credential = _credential_of(session, account)
    check_password(new_password, credential.login_email)
    now = utcnow()
    for pending in session.scalars(
        select(EmailToken)
        .where(EmailToken.account_id == account.id)
        .where(EmailToken.purpose == PASSWORD_RESET)
        .where(EmailToken.used_at.is_(None))
    ):
        pending.used_at = now
    credential.password_hash = _hasher.hash(new_password)
    credential.password_changed_at = now
    credential.failed_attempts = 0
    credential.locked_until = None
    account.email_verified = True
    sessions.end_other_sessions(session=session, account=account)
    tokens.revoke_grants(session=session, reason="password reset", account_id=account.id)
    session.flush()
    return account
