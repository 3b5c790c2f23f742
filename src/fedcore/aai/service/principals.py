"""fedcore access tokens as callers of every fedcore API (plugged into ``core.security``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fedcore.aai.service import claims, tokens
from fedcore.core.config import Settings
from fedcore.core.security import Principal, principal_for


def access_token_verifier(session: Session, raw: str, settings: Settings) -> Principal | None:
    """The caller behind a fedcore JWT access token; None for tokens of other kinds."""
    if raw.count(".") != 2:
        return None
    info = tokens.verify_access_token(session=session, settings=settings, token=raw)
    if (
        claims.subject_claims(session=session, settings=settings, subject=info.subject, scopes=[])
        is None
    ):
        raise tokens.TokenRefused("the token's subject is suspended or no longer exists")
    return principal_for(info.subject, settings.admin_subject)
