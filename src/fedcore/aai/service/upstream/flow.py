"""The sign-in at an upstream provider (:func:`begin_login`, :func:`complete_login`):
authorization code flow with PKCE S256, ``state`` and ``nonce``; the answer's ``state`` and RFC
9207 ``iss`` (required when the provider advertises it) are checked before the code is redeemed
server-to-server. The ID token must be signed by a key of the provider's JWKS with an asymmetric
algorithm, and name the provider (``iss``), this client (``aud``, ``azp``), the sign-in's
``nonce``, and not be expired. Userinfo must be about the same ``sub``.

The result, :class:`UpstreamLogin`, carries the profile claims fedcore keeps
(:func:`profile_claims`): names, the e-mail address (verified only if the provider says so),
``eduperson_scoped_affiliation``, ``eduperson_assurance`` and ``orcid``, each checked.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import httpx2
from authlib.integrations.httpx_client import OAuthError
from joserfc import jws, jwt
from joserfc.errors import JoseError

from fedcore.aai.service import accounts, profile
from fedcore.aai.service.upstream.config import ProviderConfig
from fedcore.aai.service.upstream.discovery import (
    Discovery,
    UpstreamFailed,
    discover,
    http_client,
    oauth_client,
    refresh_keys,
)
from fedcore.core.config import Settings
from fedcore.core.errors import NotAuthenticated, ValidationFailed

CLOCK_SKEW = 60
"""Seconds of clock difference tolerated in ID token times."""
LIST_CLAIM_MAX = 50
_AFFILIATION = re.compile(r"^[A-Za-z-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S{1,500}$")


@dataclass(frozen=True)
class UpstreamLogin:
    """A sign-in at an upstream provider: who (``issuer``, ``subject``) and the profile claims
    fedcore keeps (already checked; see :func:`profile_claims`)."""

    provider: str
    issuer: str
    subject: str
    claims: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> UpstreamLogin:
        return cls(
            provider=str(value["provider"]),
            issuer=str(value["issuer"]),
            subject=str(value["subject"]),
            claims=dict(value["claims"]),
        )


def begin_login(
    *, settings: Settings, provider: ProviderConfig, redirect_uri: str
) -> tuple[str, dict[str, str]]:
    """The provider's authorization URL and what the browser session must keep for the answer
    (``state``, ``nonce`` and the PKCE ``verifier``)."""
    discovery = discover(settings=settings, provider=provider)
    pending = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
    }
    with oauth_client(settings, provider, discovery, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            discovery.authorization_endpoint,
            state=pending["state"],
            code_verifier=pending["verifier"],
            nonce=pending["nonce"],
        )
    return str(url), pending


def verify_id_token(
    *,
    settings: Settings,
    provider: ProviderConfig,
    discovery: Discovery,
    token: str,
    nonce: str,
) -> dict[str, Any]:
    """The claims of an ID token from ``provider`` for this sign-in, or NotAuthenticated."""
    refused = f"{provider.display_name} sent an ID token that is not valid"
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, UnicodeError):
        raise NotAuthenticated(f"{refused}: it is not a signed JWT") from None
    algs = discovery.signing_algs or frozenset({"RS256"})
    if header.get("alg") not in algs:
        raise NotAuthenticated(f"{refused}: algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid")
    known = {key.kid for key in discovery.keys}
    if kid is not None and kid not in known:
        discovery = refresh_keys(settings, provider, discovery)
    try:
        claims = dict(jwt.decode(token, discovery.keys, algorithms=sorted(algs)).claims)
    except (JoseError, ValueError) as exc:
        raise NotAuthenticated(
            f"{refused}: its signature does not verify with the provider's keys"
        ) from exc
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_SKEW,
        iss={"essential": True, "value": provider.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": provider.client_id},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise NotAuthenticated(f"{refused}: {exc.description or exc.error}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != provider.client_id:
        raise NotAuthenticated(f"{refused}: it was issued to another client (azp)")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise NotAuthenticated(f"{refused}: it was not issued for this sign-in (nonce)")
    if len(claims["sub"]) > 255:
        raise NotAuthenticated(f"{refused}: its subject is longer than 255 characters")
    return claims


def _userinfo(
    settings: Settings, provider: ProviderConfig, discovery: Discovery, access_token: str
) -> dict[str, Any]:
    assert discovery.userinfo_endpoint is not None
    with http_client(settings) as http:
        try:
            response = http.get(
                discovery.userinfo_endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except httpx2.HTTPError as exc:
            raise UpstreamFailed(
                f"{provider.display_name} could not be reached for userinfo: {exc}"
            ) from None
    if response.status_code != 200:
        raise UpstreamFailed(
            f"{provider.display_name} answered HTTP {response.status_code} for userinfo"
        )
    try:
        document = response.json()
    except ValueError:
        raise UpstreamFailed(f"{provider.display_name} sent userinfo that is not JSON") from None
    if not isinstance(document, dict):
        raise UpstreamFailed(f"{provider.display_name} sent userinfo that is not an object")
    return document


def complete_login(
    *,
    settings: Settings,
    provider: ProviderConfig,
    redirect_uri: str,
    pending: Mapping[str, Any],
    params: Mapping[str, str],
) -> UpstreamLogin:
    """Check the provider's answer to the browser (``params``) against the sign-in the browser
    began (``pending``), redeem the code, verify the ID token and read userinfo.

    NotAuthenticated when the answer is refused (wrong state or issuer, an error from the
    provider, a code or ID token that is not good); UpstreamFailed when the provider fails.
    """
    if not hmac.compare_digest(str(params.get("state", "")), str(pending.get("state", ""))):
        raise NotAuthenticated(
            "this sign-in answer does not belong to a sign-in this browser started (state); "
            "start again"
        )
    discovery = discover(settings=settings, provider=provider)
    iss = params.get("iss")
    if (iss is not None and iss != provider.issuer) or (iss is None and discovery.iss_parameter):
        raise NotAuthenticated(
            f"this sign-in answer was not sent by {provider.display_name} (iss {iss!r})"
        )
    if "error" in params:
        reason = params.get("error_description") or params["error"]
        raise NotAuthenticated(f"{provider.display_name} did not sign you in: {reason}")
    code = params.get("code", "")
    if not code:
        raise NotAuthenticated(f"{provider.display_name} sent no authorization code")
    with oauth_client(settings, provider, discovery, redirect_uri) as client:
        try:
            token = client.fetch_token(
                discovery.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=str(pending["verifier"]),
                redirect_uri=redirect_uri,
            )
        except OAuthError as exc:
            raise NotAuthenticated(
                f"{provider.display_name} refused the authorization code: "
                f"{exc.description or exc.error}"
            ) from None
        except (httpx2.HTTPError, ValueError, TypeError) as exc:
            raise UpstreamFailed(
                f"{provider.display_name}'s token endpoint failed: {exc}"
            ) from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise NotAuthenticated(f"{provider.display_name} sent no ID token")
    claims = verify_id_token(
        settings=settings,
        provider=provider,
        discovery=discovery,
        token=id_token,
        nonce=str(pending["nonce"]),
    )
    received = dict(claims)
    access_token = token.get("access_token")
    if discovery.userinfo_endpoint and isinstance(access_token, str):
        info = _userinfo(settings, provider, discovery, access_token)
        if info.get("sub") != claims["sub"]:
            raise NotAuthenticated(
                f"{provider.display_name}'s userinfo is about another subject than its ID token"
            )
        received.update(info)
    return UpstreamLogin(
        provider=provider.name,
        issuer=provider.issuer,
        subject=str(claims["sub"]),
        claims=profile_claims(received),
    )


# --- claims -------------------------------------------------------------------------------------


def _text(value: object, limit: int = 255) -> str:
    """A claim as a one-line string without control characters, or ''."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    if any(unicodedata.category(c).startswith("C") for c in text):
        return ""
    return text[:limit]


def _values(value: object, pattern: re.Pattern[str]) -> list[str]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    kept: list[str] = []
    for item in items:
        if isinstance(item, str) and pattern.fullmatch(item) and item not in kept:
            kept.append(item)
    return kept[:LIST_CLAIM_MAX]


def profile_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The claims fedcore keeps from an upstream sign-in, each checked; what does not pass is
    left out rather than stored."""
    try:
        email = accounts.normalise_email(str(claims.get("email") or ""))
    except ValidationFailed:
        email = ""
    verified = claims.get("email_verified")
    try:
        orcid = profile.normalise_orcid(_text(claims.get("orcid")))
    except ValidationFailed:
        orcid = ""
    given, family = _text(claims.get("given_name")), _text(claims.get("family_name"))
    return {
        "name": _text(claims.get("name")) or f"{given} {family}".strip(),
        "given_name": given,
        "family_name": family,
        "email": email,
        "email_verified": bool(email) and (verified is True or verified == "true"),
        "affiliations": _values(claims.get("eduperson_scoped_affiliation"), _AFFILIATION),
        "assurance": _values(claims.get("eduperson_assurance"), _URI),
        "orcid": orcid,
    }
