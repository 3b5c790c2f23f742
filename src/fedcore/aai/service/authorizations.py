"""Pending authorizations: authorization codes, device codes and per-client consent.

Codes are stored as SHA-256 hashes and are single-use; a device code is approved or denied by
its user code on the device page. Consent is remembered per account and client, and asked again
only for scopes not granted before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, AuthorizationCode, Consent, DeviceCode, LoginSession
from fedcore.core.db import utcnow
from fedcore.core.errors import NotFound, ValidationFailed
from fedcore.core.security import hash_token

CODE_LIFETIME = timedelta(minutes=2)
DEVICE_CODE_LIFETIME = timedelta(minutes=10)
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def save_authorization_code(
    *,
    session: Session,
    code: str,
    client_id: str,
    login: LoginSession,
    redirect_uri: str,
    scope: str,
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationCode:
    row = AuthorizationCode(
        code_hash=hash_token(code),
        client_id=client_id,
        account_id=login.account_id,
        login_session_id=login.id,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        auth_time=login.auth_time,
        amr=list(login.amr),
        expires_at=utcnow() + CODE_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row


def find_authorization_code(*, session: Session, code: str) -> AuthorizationCode | None:
    """The stored code, its row locked until the transaction ends: of two concurrent
    redemptions, the second waits and then finds it used (single use, RFC 9700 §4.5)."""
    return session.scalar(
        select(AuthorizationCode)
        .where(AuthorizationCode.code_hash == hash_token(code))
        .with_for_update()
    )


def normalise_user_code(value: str) -> str:
    """``bcdf-ghjk``, ``BCDFGHJK`` and ``BCDF GHJK`` are the same code."""
    letters = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def save_device_code(
    *,
    session: Session,
    device_code: str,
    user_code: str,
    client_id: str,
    scope: str,
    interval: int,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> DeviceCode:
    row = DeviceCode(
        device_code_hash=hash_token(device_code),
        user_code=normalise_user_code(user_code),
        client_id=client_id,
        scope=scope,
        interval=interval,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        expires_at=utcnow() + DEVICE_CODE_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row


def find_device_code(*, session: Session, device_code: str) -> DeviceCode | None:
    """The stored device request, its row locked until the transaction ends (tokens are issued
    for it once, however fast the device polls)."""
    return session.scalar(
        select(DeviceCode)
        .where(DeviceCode.device_code_hash == hash_token(device_code))
        .with_for_update()
    )


def pending_device_code(*, session: Session, user_code: str) -> DeviceCode:
    """The device request a person typed the code of; NotFound if unknown, used or expired."""
    row = session.scalar(
        select(DeviceCode).where(DeviceCode.user_code == normalise_user_code(user_code))
    )
    if row is None or row.status != "pending" or row.expires_at <= utcnow():
        raise NotFound("no pending device request has this code; it may have expired")
    return row


def decide_device_code(
    *, session: Session, row: DeviceCode, login: LoginSession, approve: bool
) -> None:
    if row.status != "pending":
        raise ValidationFailed("this device request was already decided", field="user_code")
    row.status = "approved" if approve else "denied"
    row.account_id = login.account_id
    row.login_session_id = login.id
    row.auth_time = login.auth_time
    session.flush()


def poll_too_fast(*, session: Session, row: DeviceCode, now: datetime) -> bool:
    """RFC 8628 §3.5: polling faster than ``interval`` gets ``slow_down`` (interval + 5 s)."""
    too_fast = row.last_poll_at is not None and now - row.last_poll_at < timedelta(
        seconds=row.interval
    )
    if too_fast:
        row.interval += 5
    row.last_poll_at = now
    session.flush()
    return too_fast


def missing_consent(
    *, session: Session, account: Account, client_id: str, scopes: list[str]
) -> list[str]:
    """The requested scopes this account has not yet granted to this client."""
    row = session.scalar(
        select(Consent).where(Consent.account_id == account.id, Consent.client_id == client_id)
    )
    granted = set(row.scopes) if row is not None else set()
    return [scope for scope in scopes if scope not in granted]


def record_consent(
    *, session: Session, account: Account, client_id: str, scopes: list[str]
) -> None:
    row = session.scalar(
        select(Consent).where(Consent.account_id == account.id, Consent.client_id == client_id)
    )
    if row is None:
        row = Consent(account_id=account.id, client_id=client_id, scopes=[])
        session.add(row)
    row.scopes = sorted(set(row.scopes) | set(scopes))
    row.granted_at = utcnow()
    session.flush()
