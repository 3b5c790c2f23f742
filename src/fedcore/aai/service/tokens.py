"""Tokens: grants, RFC 9068 JWT access tokens, ID tokens, rotating refresh tokens, revocation.

* A :class:`TokenGrant` is one family of tokens (one login at one client, one device approval,
  one exchange). Its id travels in every access token as the ``gid`` claim, so revoking the
  grant refuses every token of the family at once.
* Access tokens are JWTs signed by the current key (``typ: at+jwt``, RFC 9068 §2.1); the state
  read when one is verified is its revocation (grant, single ``jti``) and whether its client is
  still approved.
* Refresh tokens are opaque (``fcr_`` + 256 random bits), stored as SHA-256 and rotated on every
  use: presenting one that was already used revokes the whole family (RFC 9700 §4.14.2).
* Client-credentials tokens have no grant: they are revoked one by one (``jti``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from fedcore.aai.enums import ClientStatus
from fedcore.aai.models import Account, Client, RefreshToken, RevokedToken, TokenGrant
from fedcore.aai.service import keys
from fedcore.aai.service.claims import subject_claims
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import NotAuthenticated
from fedcore.core.security import hash_token

REFRESH_PREFIX = "fcr_"
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105  (a media type, RFC 9068)
ENTITLEMENT_SCOPES = frozenset({"eduperson_entitlement", "entitlements"})


class TokenRefused(NotAuthenticated):
    """A presented token or grant that is unknown, expired, revoked or reused."""


@dataclass(frozen=True)
class AccessTokenInfo:
    claims: dict[str, Any]

    @property
    def subject(self) -> str:
        return str(self.claims["sub"])

    @property
    def client_id(self) -> str:
        return str(self.claims["client_id"])

    @property
    def scopes(self) -> list[str]:
        return str(self.claims.get("scope", "")).split()

    @property
    def grant_id(self) -> str | None:
        gid = self.claims.get("gid")
        return str(gid) if gid else None


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def create_grant(
    *,
    session: Session,
    client: Client,
    account: Account | None,
    scope: str,
    source: str,
    login_session_id: str | None = None,
    auth_time: datetime | None = None,
) -> TokenGrant:
    subject = account.voperson_id if account is not None else client.service_subject or ""
    grant = TokenGrant(
        id=uuid.uuid4().hex,
        client_id=client.client_id,
        account_id=account.id if account is not None else None,
        subject=subject,
        scope=scope,
        source=source,
        login_session_id=login_session_id,
        auth_time=auth_time,
    )
    session.add(grant)
    session.flush()
    return grant


def sign(*, session: Session, settings: Settings, claims: dict[str, Any], typ: str = "JWT") -> str:
    current = keys.signer(session=session, settings=settings)
    return jwt.encode({"alg": current.alg, "kid": current.kid, "typ": typ}, claims, current.key)


def issue_access_token(
    *,
    session: Session,
    settings: Settings,
    client: Client,
    grant: TokenGrant | None,
    subject: str,
    scope: str,
    audience: str | None = None,
) -> tuple[str, int]:
    """A signed RFC 9068 access token and its lifetime in seconds.

    For a client with ``entitlements_in_token`` and a scope with ``eduperson_entitlement`` or
    ``entitlements``, the token carries the subject's entitlements as they are at issue (they
    are a snapshot: userinfo and introspection stay the live answer)."""
    now = utcnow()
    lifetime = min(client.access_token_lifetime, settings.access_token_lifetime)
    claims: dict[str, Any] = {
        "iss": settings.effective_issuer,
        "sub": subject,
        "aud": audience or client.client_id,
        "exp": _epoch(now) + lifetime,
        "iat": _epoch(now),
        "nbf": _epoch(now),
        "jti": secrets.token_hex(16),
        "client_id": client.client_id,
        "scope": scope,
    }
    if grant is not None:
        claims["gid"] = grant.id
        if grant.auth_time is not None:
            claims["auth_time"] = _epoch(grant.auth_time)
    if client.entitlements_in_token and set(scope.split()) & ENTITLEMENT_SCOPES:
        current = subject_claims(
            session=session, settings=settings, subject=subject, scopes=["eduperson_entitlement"]
        )
        claims["eduperson_entitlement"] = (current or {}).get("eduperson_entitlement", [])
    token = sign(session=session, settings=settings, claims=claims, typ=ACCESS_TOKEN_TYPE)
    return token, lifetime


def issue_refresh_token(
    *, session: Session, settings: Settings, grant: TokenGrant, scope: str
) -> str:
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=hash_token(raw),
            grant_id=grant.id,
            scope=scope,
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_lifetime),
        )
    )
    session.flush()
    return raw


def find_refresh_token(
    *, session: Session, raw: str, for_update: bool = False
) -> RefreshToken | None:
    """The stored refresh token; ``for_update`` locks its row until the transaction ends, so two
    concurrent refreshes with one token cannot both spend it (the second sees it spent)."""
    if not raw.startswith(REFRESH_PREFIX):
        return None
    stmt = select(RefreshToken).where(RefreshToken.token_hash == hash_token(raw))
    return session.scalar(stmt.with_for_update() if for_update else stmt)


def use_refresh_token(*, session: Session, row: RefreshToken) -> TokenGrant:
    """Spend a refresh token; its grant, or TokenRefused. A second use revokes the family."""
    grant = session.get(TokenGrant, row.grant_id)
    if grant is None or grant.revoked_at is not None:
        raise TokenRefused("the refresh token was revoked")
    if row.used_at is not None:
        revoke_grant(session=session, grant_id=grant.id, reason="refresh token reused")
        raise TokenRefused("the refresh token was already used; its grant is now revoked")
    if row.expires_at <= utcnow():
        raise TokenRefused("the refresh token expired")
    row.used_at = grant.last_used_at = utcnow()
    session.flush()
    return grant


def revoke_grant(*, session: Session, grant_id: str, reason: str) -> None:
    grant = session.get(TokenGrant, grant_id)
    if grant is not None and grant.revoked_at is None:
        grant.revoked_at = utcnow()
        grant.revoked_reason = reason
        session.flush()


def revoke_grants(
    *, session: Session, reason: str, keep_offline: bool = False, **match: object
) -> int:
    """Revoke every live grant whose columns equal ``match`` (e.g. ``client_id=``,
    ``account_id=``, ``login_session_id=``); ``keep_offline`` spares ``offline_access`` grants,
    which are meant to outlive a sign-in session (reference §A.3). Returns how many."""
    stmt = select(TokenGrant).where(TokenGrant.revoked_at.is_(None)).filter_by(**match)
    grants = [
        grant
        for grant in session.scalars(stmt)
        if not (keep_offline and "offline_access" in grant.scope.split())
    ]
    now = utcnow()
    for grant in grants:
        grant.revoked_at = now
        grant.revoked_reason = reason
    session.flush()
    return len(grants)


def list_grants(*, session: Session, account: Account) -> list[TokenGrant]:
    """The account's grants that are not revoked, newest first."""
    return list(
        session.scalars(
            select(TokenGrant)
            .where(TokenGrant.account_id == account.id)
            .where(TokenGrant.revoked_at.is_(None))
            .order_by(TokenGrant.created_at.desc())
        )
    )


def revoke_access_token(*, session: Session, info: AccessTokenInfo) -> None:
    jti = str(info.claims["jti"])
    if session.get(RevokedToken, jti) is None:
        expires = datetime.fromtimestamp(int(info.claims["exp"]), tz=utcnow().tzinfo)
        session.add(RevokedToken(jti=jti, expires_at=expires))
        session.flush()


def decode_signed(
    *, session: Session, token: str, typ: str | None = None, verify_time: bool = True
) -> dict[str, Any]:
    """Claims of a JWT this provider signed, or TokenRefused.

    The key is chosen by ``kid`` among the provider's published keys and the algorithm must be
    that key's own: ``alg: none``, HMAC algorithms and RSA/EC confusion are all refused.
    """
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenRefused("the token is not a signed JWT") from exc
    if typ is not None and str(header.get("typ", "")).lower() not in {typ, f"application/{typ}"}:
        raise TokenRefused(f"the token type is not {typ}")
    key = keys.verification_key(session=session, kid=str(header.get("kid", "")))
    if key is None:
        raise TokenRefused("the token was not signed by a key of this provider")
    alg = key.alg
    if header.get("alg") != alg:
        raise TokenRefused("the token's algorithm does not match its key")
    try:
        claims = dict(jwt.decode(token, key, algorithms=[str(alg)]).claims)
    except (JoseError, ValueError) as exc:
        raise TokenRefused("the token signature is not valid") from exc
    if verify_time:
        now = _epoch(utcnow())
        if int(claims.get("exp", 0)) <= now:
            raise TokenRefused("the token expired")
        if int(claims.get("nbf", 0)) > now + 60:
            raise TokenRefused("the token is not valid yet")
    return claims


_TOKEN_STATE = select(
    exists().where(RevokedToken.jti == bindparam("jti")),
    select(Client.status).where(Client.client_id == bindparam("client_id")).scalar_subquery(),
    exists().where(TokenGrant.id == bindparam("gid"), TokenGrant.revoked_at.is_(None)),
)
"""What can refuse a well-signed access token, read in one statement: its ``jti`` revoked, its
client's status, and whether its grant (if it has one) is still live."""


def verify_access_token(*, session: Session, settings: Settings, token: str) -> AccessTokenInfo:
    """An access token this provider issued that is still valid and not revoked."""
    claims = decode_signed(session=session, token=token, typ=ACCESS_TOKEN_TYPE)
    if claims.get("iss") != settings.effective_issuer:
        raise TokenRefused("the token was issued by another provider")
    if not all(isinstance(claims.get(name), str) for name in ("sub", "jti", "client_id")):
        raise TokenRefused("the token lacks sub, jti or client_id")
    gid = claims.get("gid")
    revoked, status, grant_live = session.execute(
        _TOKEN_STATE,
        {"jti": claims["jti"], "client_id": claims["client_id"], "gid": str(gid or "")},
    ).one()
    if revoked:
        raise TokenRefused("the token was revoked")
    if status != ClientStatus.APPROVED:
        raise TokenRefused("the token's client is no longer approved")
    if gid is not None and not grant_live:
        raise TokenRefused("the token's grant was revoked")
    return AccessTokenInfo(claims)


def prune_tokens(*, session: Session) -> int:
    """Delete revocation entries and refresh tokens (spent or not) past their expiry."""
    now = utcnow()
    rows: list[Any] = [
        *session.scalars(select(RevokedToken).where(RevokedToken.expires_at <= now)),
        *session.scalars(select(RefreshToken).where(RefreshToken.expires_at <= now)),
    ]
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def issue_id_token(
    *,
    session: Session,
    settings: Settings,
    client: Client,
    account: Account,
    nonce: str | None,
    auth_time: datetime | None,
    amr: list[str],
    access_token: str | None,
) -> str:
    """An OpenID Connect ID token: ``sub``, ``voperson_id``, ``preferred_username`` (§A.4)."""
    now = _epoch(utcnow())
    claims: dict[str, Any] = {
        "iss": settings.effective_issuer,
        "sub": account.voperson_id,
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": now,
        "exp": now + settings.access_token_lifetime,
        "voperson_id": account.voperson_id,
    }
    if account.preferred_username:
        claims["preferred_username"] = account.preferred_username
    if nonce:
        claims["nonce"] = nonce
    if auth_time is not None:
        claims["auth_time"] = _epoch(auth_time)
    if amr:
        claims["amr"] = amr
    if access_token:
        claims["at_hash"] = left_half_hash(access_token)
    return sign(session=session, settings=settings, claims=claims)


def left_half_hash(value: str) -> str:
    """OIDC ``at_hash``: base64url of the left half of SHA-256 (all our algorithms use 256)."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
