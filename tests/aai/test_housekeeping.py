"""``fedcore aai prune``: what expired goes, what can still be presented stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.aai.models import RefreshToken, RevokedToken, SigningKey
from fedcore.aai.service import first_party, housekeeping, keys, tokens
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from tests.aai.oauth import make_person


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_prune_keeps_what_can_still_be_presented(session: Session, settings: Settings) -> None:
    account, login = make_person(session, settings)
    web = first_party.web_client(session=session, settings=settings)
    grant = tokens.create_grant(
        session=session, client=web, account=account, scope="openid", source="authorization_code"
    )
    spent = tokens.issue_refresh_token(
        session=session, settings=settings, grant=grant, scope="openid"
    )
    tokens.issue_refresh_token(session=session, settings=settings, grant=grant, scope="openid")
    row = tokens.find_refresh_token(session=session, raw=spent)
    assert row is not None
    tokens.use_refresh_token(session=session, row=row)
    keys.rotate_keys(session=session, settings=settings)
    keys.rotate_keys(session=session, settings=settings)
    session.add(RevokedToken(jti="old", expires_at=utcnow() - timedelta(seconds=1)))
    session.add(RevokedToken(jti="live", expires_at=utcnow() + timedelta(hours=1)))
    session.flush()
    first_round = housekeeping.prune_expired(session=session)
    assert first_round["signing_keys"] == 0, "retired keys stay until their tokens expired"
    assert first_round["tokens"] == 1, "only the revocation past its token's exp"
    assert _count(session, RefreshToken) == 2, "a spent refresh token stays for reuse detection"
    first = keys.list_keys(session=session)[0]
    first.expires_at = utcnow() - timedelta(seconds=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    login.ended_at = utcnow() - housekeeping.SESSION_HISTORY - timedelta(minutes=1)
    counts = housekeeping.prune_expired(session=session)
    assert counts["signing_keys"] == 1
    assert counts["tokens"] == 1
    assert counts["login_sessions"] == 1
    assert _count(session, SigningKey) == 1
    assert session.scalars(select(RevokedToken.jti)).all() == ["live"]
