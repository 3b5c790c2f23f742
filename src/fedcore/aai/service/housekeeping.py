"""Deleting what can no longer matter: ``fedcore aai prune``, meant to run daily (cron or a
systemd timer) on one machine of a deployment.

Nothing is removed while it could still be presented: signing keys only after every token they
signed expired, refresh tokens (spent ones too, for reuse detection) only after their own expiry,
revocation entries only after the revoked token's ``exp``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_
from sqlalchemy.orm import Session

from fedcore.aai.models import AuthorizationCode, DeviceCode, EmailToken, LoginSession
from fedcore.aai.service import keys, tokens
from fedcore.core.db import utcnow

SESSION_HISTORY = timedelta(days=30)
"""How long a sign-in session is kept after it ended or expired (the account page lists only
live sessions)."""


def prune_expired(*, session: Session) -> dict[str, int]:
    """Delete expired keys, tokens, codes, links and old sessions; how many of each."""
    now = utcnow()
    counts = {
        "signing_keys": keys.prune_keys(session=session),
        "tokens": tokens.prune_tokens(session=session),
    }
    for name, stmt in {
        "authorization_codes": delete(AuthorizationCode).where(AuthorizationCode.expires_at <= now),
        "device_codes": delete(DeviceCode).where(DeviceCode.expires_at <= now),
        "email_tokens": delete(EmailToken).where(EmailToken.expires_at <= now),
        "login_sessions": delete(LoginSession).where(
            or_(
                LoginSession.ended_at <= now - SESSION_HISTORY,
                LoginSession.expires_at <= now - SESSION_HISTORY,
            )
        ),
    }.items():
        result = cast(CursorResult[Any], session.execute(stmt))
        counts[name] = result.rowcount
    session.flush()
    return counts
