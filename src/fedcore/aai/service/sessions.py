"""Sign-in sessions at the provider (:class:`LoginSession`): one per browser sign-in, with the
time and methods of authentication (``auth_time``, ``amr`` as in RFC 8176) that ID tokens
report. A session lives 12 hours; ending it (sign-out, the account page, a password reset)
is final. Its id is a 256-bit random string: pages keep it in the signed session cookie and
show other sessions only by :func:`session_handle`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fedcore.aai.enums import AccountStatus
from fedcore.aai.models import Account, Identity, LoginSession
from fedcore.core.db import utcnow
from fedcore.core.logging import get_logger

log = get_logger(__name__)

LOCAL_ISSUER = "local"
"""The issuer of identities of the built-in source (password and TOTP)."""
LIFETIME = timedelta(hours=12)
SEEN_RESOLUTION = timedelta(minutes=1)
"""``last_seen_at`` is written at most once a minute per session, and only when the database
lets a read write at once (so reads do not queue behind writers for it)."""


def start_login_session(
    *,
    session: Session,
    account: Account,
    amr: list[str],
    identity_issuer: str = LOCAL_ISSUER,
    user_agent: str = "",
    ip_address: str = "",
) -> LoginSession:
    """A new sign-in of ``account`` (its ``last_login_at``, and for a password sign-in the local
    identity's ``last_used_at``, become now; upstream sign-ins record their identity's use)."""
    now = utcnow()
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        account_id=account.id,
        auth_time=now,
        amr=list(amr),
        identity_issuer=identity_issuer,
        user_agent=user_agent[:500],
        ip_address=ip_address[:64],
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(login)
    account.last_login_at = now
    if identity_issuer == LOCAL_ISSUER:
        for identity in session.scalars(
            select(Identity)
            .where(Identity.account_id == account.id)
            .where(Identity.issuer == LOCAL_ISSUER)
        ):
            identity.last_used_at = now
    session.flush()
    return login


def get_login_session(*, session: Session, sid: str) -> LoginSession | None:
    """The live session with this id: None when unknown, ended, expired, or its account is
    suspended."""
    login = session.get(LoginSession, sid)
    now = utcnow()
    if login is None or login.ended_at is not None or login.expires_at <= now:
        return None
    account = session.get(Account, login.account_id)
    if account is None or account.status != AccountStatus.ACTIVE:
        return None
    if now - login.last_seen_at >= SEEN_RESOLUTION:
        try:
            with session.begin_nested():
                session.execute(
                    update(LoginSession).where(LoginSession.id == sid).values(last_seen_at=now)
                )
        except OperationalError:
            # A page read on SQLite while another request holds the write lock: the next read
            # records it (as the registry does for credential use).
            log.info("login_session_seen_not_recorded")
    return login


def end_login_session(*, session: Session, sid: str) -> None:
    login = session.get(LoginSession, sid)
    if login is not None and login.ended_at is None:
        login.ended_at = utcnow()
        session.flush()


def list_login_sessions(*, session: Session, account: Account) -> list[LoginSession]:
    """The account's live sessions, most recently used first."""
    return list(
        session.scalars(
            select(LoginSession)
            .where(LoginSession.account_id == account.id)
            .where(LoginSession.ended_at.is_(None))
            .where(LoginSession.expires_at > utcnow())
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.created_at.desc())
        )
    )


def end_other_sessions(*, session: Session, account: Account, keep: str | None = None) -> int:
    """End every live session of the account except ``keep``; how many were ended."""
    ended = 0
    for login in list_login_sessions(session=session, account=account):
        if login.id != keep:
            login.ended_at = utcnow()
            ended += 1
    session.flush()
    return ended


def session_handle(login: LoginSession) -> str:
    """A name for a session that pages may show and post (it does not let anyone use it)."""
    return hashlib.sha256(login.id.encode()).hexdigest()[:16]


def end_session_by_handle(*, session: Session, account: Account, handle: str) -> bool:
    """End the account's live session with this handle; False when there is none."""
    for login in list_login_sessions(session=session, account=account):
        if secrets.compare_digest(session_handle(login), handle):
            end_login_session(session=session, sid=login.id)
            return True
    return False
