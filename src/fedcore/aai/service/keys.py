"""Signing keys of the OpenID provider, kept in the database.

A key's life: created and published in the JWKS at once; signs from ``active_from``; stops
signing at ``retired_at`` (when the next key takes over); leaves the JWKS at ``expires_at`` =
``retired_at`` + the longest token lifetime, so every token it signed stays verifiable until it
expires. :func:`rotate_keys` publishes the next key ``key_publish_lead`` seconds before it signs,
so relying parties that cache the JWKS already know it when the first token signed by it arrives.

Imported key objects are cached per ``kid`` (a key never changes once written); which key signs
is read from the database at most every ``SIGNER_CACHE_SECONDS`` and again when the next key
becomes active, so every process of a deployment follows a rotation on time.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwk
from joserfc.jwk import ECKey, KeyParameters, RSAKey
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fedcore.aai.models import SigningKey
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import ValidationFailed

SIGNING_ALGS = ("RS256", "ES256")
SIGNER_CACHE_SECONDS = 5.0
CLOCK_SKEW = timedelta(seconds=60)

_imported: dict[str, RSAKey | ECKey] = {}


def _generate(alg: str) -> tuple[dict[str, Any], dict[str, Any]]:
    kid = secrets.token_urlsafe(12)
    parameters: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    key: RSAKey | ECKey
    if alg == "RS256":
        key = RSAKey.generate_key(2048, parameters=parameters)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters=parameters)
    else:
        raise ValidationFailed(f"must be one of {', '.join(SIGNING_ALGS)}", field="alg")
    return dict(key.as_dict(private=True)), dict(key.as_dict(private=False))


def _add_key(session: Session, alg: str, active_from: datetime) -> SigningKey:
    private, public = _generate(alg)
    row = SigningKey(
        kid=private["kid"], alg=alg, private_jwk=private, public_jwk=public, active_from=active_from
    )
    session.add(row)
    session.flush()
    return row


def longest_token_lifetime(settings: Settings) -> timedelta:
    """How long a signed token can stay valid: access and ID tokens, plus clock skew."""
    return timedelta(seconds=settings.access_token_lifetime) + CLOCK_SKEW


def list_keys(*, session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.active_from)))


def rotate_keys(*, session: Session, settings: Settings, alg: str | None = None) -> SigningKey:
    """Publish a new key that signs from ``now + key_publish_lead``; retire the others then.

    With no key yet, the first one signs at once (nobody can have cached an older JWKS).
    """
    now = utcnow()
    current = [
        key for key in list_keys(session=session) if key.retired_at is None or key.retired_at > now
    ]
    lead = timedelta(seconds=settings.key_publish_lead) if current else timedelta(0)
    new = _add_key(session, alg or settings.signing_alg, now + lead)
    for key in current:
        key.retired_at = min(new.active_from, key.retired_at or new.active_from)
        key.expires_at = key.retired_at + longest_token_lifetime(settings)
    session.flush()
    forget_cached()
    return new


@dataclass(frozen=True)
class Signer:
    kid: str
    alg: str
    key: RSAKey | ECKey


_signer: tuple[float, Signer] | None = None
"""The signing key in use and until when (``time.monotonic``) this process may keep using it."""


def signer(*, session: Session, settings: Settings) -> Signer:
    """The key that signs now (made on first use).

    Kept for at most ``SIGNER_CACHE_SECONDS`` and never past the next key's ``active_from``,
    so a rotation takes effect in every process on time without a query per token.
    """
    global _signer
    cached = _signer
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    now = utcnow()
    row = session.scalars(
        select(SigningKey)
        .where(SigningKey.active_from <= now)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now))
        .order_by(SigningKey.active_from.desc(), SigningKey.id.desc())
        .limit(1)
    ).first()
    if row is None:
        row = rotate_keys(session=session, settings=settings)
    upcoming = session.scalar(
        select(func.min(SigningKey.active_from)).where(SigningKey.active_from > now)
    )
    keep = SIGNER_CACHE_SECONDS
    if upcoming is not None:
        keep = min(keep, (upcoming - now).total_seconds())
    current = Signer(row.kid, row.alg, _import(row.kid, row.private_jwk))
    _signer = (time.monotonic() + keep, current)
    return current


def signer_cached() -> bool:
    """Whether :func:`signer` answers from this process's memory (and so writes nothing: only
    the first key, made on first use, is written)."""
    cached = _signer
    return cached is not None and cached[0] > time.monotonic()


def forget_cached() -> None:
    """Drop what this process remembers about keys (after a rotation, and between tests)."""
    global _signer
    _signer = None
    _imported.clear()


def verification_key(*, session: Session, kid: str) -> RSAKey | ECKey | None:
    """The published key with this ``kid``, or None if unknown or expired (the key object is
    the one signing imports too, cached per ``kid``; verifying uses its public part)."""
    known = _imported.get(kid)
    columns = (SigningKey.expires_at,) if known else (SigningKey.expires_at, SigningKey.private_jwk)
    row = session.execute(select(*columns).where(SigningKey.kid == kid)).first()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return known or _import(kid, row.private_jwk)


def _import(kid: str, data: dict[str, Any]) -> RSAKey | ECKey:
    key = _imported.get(kid)
    if key is None:
        imported = jwk.import_key(data)
        assert isinstance(imported, (RSAKey, ECKey))
        key = _imported[kid] = imported
    return key


def _published(session: Session) -> list[SigningKey]:
    return list(
        session.scalars(
            select(SigningKey)
            .where(or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > utcnow()))
            .order_by(SigningKey.active_from.desc())
        )
    )


def public_jwks(*, session: Session, settings: Settings) -> dict[str, Any]:
    """The JWKS document: every key not yet expired, newest first (made on first use)."""
    rows = _published(session)
    if not rows:
        forget_cached()
        signer(session=session, settings=settings)
        rows = _published(session)
    return {"keys": [row.public_jwk for row in rows]}


def prune_keys(*, session: Session) -> int:
    """Delete keys past ``expires_at``; returns how many."""
    rows = session.scalars(select(SigningKey).where(SigningKey.expires_at <= utcnow())).all()
    for row in rows:
        session.delete(row)
        _imported.pop(row.kid, None)
    session.flush()
    return len(rows)
