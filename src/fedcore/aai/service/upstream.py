"""Upstream OpenID providers as identity sources (reference §A.1: like Check-in, fedcore proxies
the sign-in of other providers and issues its own community identity).

* **Configuration**: ``FEDCORE_UPSTREAM_PROVIDERS`` is a JSON list of :class:`ProviderConfig`
  (``name`` is the slug in URLs). It is checked when a request first needs it; a bad entry is
  refused with a message naming the entry and the field (:class:`UpstreamMisconfigured`).
* **Discovery**: each provider's ``/.well-known/openid-configuration`` and JWKS are fetched over
  TLS (``FEDCORE_UPSTREAM_CA_BUNDLE``, or the system's CAs) and kept for
  :data:`DISCOVERY_TTL` per issuer; the document must name the configured issuer. A token signed
  with an unknown ``kid`` makes the key set be fetched again once (key rotation).
* **Sign-in** (:func:`begin_login`, :func:`complete_login`): authorization code flow with PKCE
  S256, ``state`` and ``nonce``; the answer's ``state`` and RFC 9207 ``iss`` (required when the
  provider advertises it) are checked before the code is redeemed server-to-server. The ID token
  must be signed by a key of the provider's JWKS with an asymmetric algorithm, and name the
  provider (``iss``), this client (``aud``, ``azp``), the sign-in's ``nonce``, and not be
  expired. Userinfo must be about the same ``sub``.
* **Identities**: ``(issuer, sub)`` in :class:`Identity`. A known identity signs in to its account;
  an unknown one creates an account (:func:`register_account`, after the person accepted the
  policy) or is linked to the signed-in account (:func:`link_identity`). An identity belongs to
  one account; an account keeps at least one identity (:func:`unlink_identity`). Accounts are never
  matched by e-mail address.

Profile claims are taken once, when the account is created: names, the e-mail address (verified
only if the provider says so), ``eduperson_scoped_affiliation``, ``eduperson_assurance`` and
``orcid``; the account's ``voperson_id`` is minted here, never taken from upstream.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import ssl
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fedcore.aai.enums import AccountStatus
from fedcore.aai.models import Account, Identity, LocalCredential, LoginSession
from fedcore.aai.service import accounts, profile
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import (
    Conflict,
    FedcoreError,
    NotAuthenticated,
    NotFound,
    RuleViolation,
    ValidationFailed,
)

DISCOVERY_TTL = 300.0
"""Seconds a provider's discovery document and key set are reused."""
HTTP_TIMEOUT = 10.0
CLOCK_SKEW = 60
"""Seconds of clock difference tolerated in ID token times."""
SIGNING_ALGS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""ID token algorithms accepted: asymmetric only (never ``none`` or an HMAC with the secret)."""
FED_AMR = ["fed"]
"""RFC 8176: the person authenticated at a federated identity provider."""
LIST_CLAIM_MAX = 50
_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
_AFFILIATION = re.compile(r"^[A-Za-z-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S{1,500}$")


class UpstreamMisconfigured(FedcoreError):
    """``FEDCORE_UPSTREAM_PROVIDERS`` is wrong: the operators must fix it."""

    status = 500
    title = "Server misconfigured"


class UpstreamFailed(FedcoreError):
    """The upstream provider could not be reached or answered something unusable."""

    status = 502
    title = "Upstream provider failed"


# --- configuration ------------------------------------------------------------------------------


def _check_url(value: str, what: str) -> str:
    """An https URL (http only on a loopback host) without query or fragment."""
    parts = urlsplit(value)
    loopback = parts.hostname in {"127.0.0.1", "::1", "localhost"}
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError(f"{what} must be an https URL (http only on a loopback host)")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not have a query or fragment")
    return value


class ProviderConfig(BaseModel):
    """One upstream OpenID provider, as configured."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(pattern=_SLUG, description="slug used in URLs: a-z, 0-9 and '-'")
    display_name: str = Field(min_length=1, max_length=100)
    issuer: str = Field(min_length=1, max_length=500)
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: str = Field(min_length=1, max_length=1000)
    scope: str = "openid profile email"

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return _check_url(value, "the issuer")

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        scopes = value.split()
        if "openid" not in scopes:
            raise ValueError("the scope must include openid")
        return " ".join(scopes)


def _entry_error(index: int, entry: object, exc: ValidationError) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    label = f"entry {index + 1}" + (f" ({name!r})" if isinstance(name, str) and name else "")
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'entry'}: {error['msg']}"
        for error in exc.errors()
    )
    return f"FEDCORE_UPSTREAM_PROVIDERS {label}: {problems}"


@lru_cache(maxsize=8)
def _parse_providers(raw: str) -> tuple[ProviderConfig, ...]:
    if not raw.strip():
        return ()
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UpstreamMisconfigured(
            f"FEDCORE_UPSTREAM_PROVIDERS is not valid JSON: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    if not isinstance(entries, list):
        raise UpstreamMisconfigured("FEDCORE_UPSTREAM_PROVIDERS must be a JSON list of objects")
    providers: list[ProviderConfig] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UpstreamMisconfigured(
                f"FEDCORE_UPSTREAM_PROVIDERS entry {index + 1}: must be an object"
            )
        try:
            provider = ProviderConfig.model_validate(entry)
        except ValidationError as exc:
            raise UpstreamMisconfigured(_entry_error(index, entry, exc)) from None
        for other in providers:
            for field in ("name", "issuer"):
                if getattr(other, field) == getattr(provider, field):
                    raise UpstreamMisconfigured(
                        f"FEDCORE_UPSTREAM_PROVIDERS entry {index + 1} ({provider.name!r}): "
                        f"{field}: {getattr(provider, field)!r} is used by another entry"
                    )
        providers.append(provider)
    return tuple(providers)


def configured_providers(*, settings: Settings) -> list[ProviderConfig]:
    """The configured providers in their order; UpstreamMisconfigured when the setting is wrong."""
    return list(_parse_providers(settings.upstream_providers))


def get_provider(*, settings: Settings, name: str) -> ProviderConfig:
    for provider in configured_providers(settings=settings):
        if provider.name == name:
            return provider
    raise NotFound(f"no upstream identity provider is called {name!r}")


def provider_names(*, settings: Settings) -> dict[str, str]:
    """Display names by issuer, for pages listing identities (empty when misconfigured)."""
    try:
        providers = configured_providers(settings=settings)
    except UpstreamMisconfigured:
        return {}
    return {p.issuer: p.display_name for p in providers}


# --- discovery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """What fedcore uses of a provider's discovery document, and its key set."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str | None
    jwks_uri: str
    signing_algs: frozenset[str]
    token_auth_method: str
    iss_parameter: bool
    keys: KeySet
    fetched_at: float


_cache: dict[str, Discovery] = {}
_cache_lock = threading.Lock()


def _tls(settings: Settings) -> ssl.SSLContext:
    if settings.upstream_ca_bundle:
        try:
            return ssl.create_default_context(cafile=settings.upstream_ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamMisconfigured(
                f"FEDCORE_UPSTREAM_CA_BUNDLE: cannot read {settings.upstream_ca_bundle!r} ({exc})"
            ) from None
    return ssl.create_default_context()


def _http(settings: Settings) -> httpx2.Client:
    return httpx2.Client(verify=_tls(settings), timeout=HTTP_TIMEOUT, follow_redirects=False)


def _get_json(http: httpx2.Client, provider: ProviderConfig, url: str, what: str) -> Any:
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx2.HTTPError as exc:
        raise UpstreamFailed(
            f"{provider.display_name} could not be reached for its {what}: {exc}"
        ) from None
    if response.status_code != 200:
        raise UpstreamFailed(
            f"{provider.display_name} answered HTTP {response.status_code} for its {what}"
        )
    try:
        return response.json()
    except ValueError:
        raise UpstreamFailed(f"{provider.display_name} sent a {what} that is not JSON") from None


def _key_set(http: httpx2.Client, provider: ProviderConfig, jwks_uri: str) -> KeySet:
    document = _get_json(http, provider, jwks_uri, "key set")
    try:
        return KeySet.import_key_set(document)
    except (JoseError, ValueError, KeyError, TypeError):
        raise UpstreamFailed(f"{provider.display_name} published an unusable key set") from None


def _fetch_discovery(settings: Settings, provider: ProviderConfig) -> Discovery:
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    with _http(settings) as http:
        document = _get_json(http, provider, url, "discovery document")
        if not isinstance(document, dict):
            raise UpstreamFailed(f"{provider.display_name}'s discovery document is not an object")
        if document.get("issuer") != provider.issuer:
            raise UpstreamFailed(
                f"{provider.display_name}'s discovery document names the issuer "
                f"{document.get('issuer')!r}, not the configured {provider.issuer!r}"
            )
        endpoints: dict[str, str] = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            try:
                endpoints[name] = _check_url(str(value or ""), name)
            except ValueError as exc:
                raise UpstreamFailed(
                    f"{provider.display_name}'s discovery document: {name}: {exc}"
                ) from None
        userinfo = document.get("userinfo_endpoint")
        if userinfo is not None:
            try:
                userinfo = _check_url(str(userinfo), "userinfo_endpoint")
            except ValueError as exc:
                raise UpstreamFailed(
                    f"{provider.display_name}'s discovery document: userinfo_endpoint: {exc}"
                ) from None
        keys = _key_set(http, provider, endpoints["jwks_uri"])
    advertised = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return Discovery(
        issuer=provider.issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        userinfo_endpoint=userinfo,
        jwks_uri=endpoints["jwks_uri"],
        signing_algs=frozenset(a for a in advertised if a in SIGNING_ALGS),
        token_auth_method=(
            "client_secret_post"
            if "client_secret_basic" not in methods and "client_secret_post" in methods
            else "client_secret_basic"
        ),
        iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
        keys=keys,
        fetched_at=time.monotonic(),
    )


def discover(*, settings: Settings, provider: ProviderConfig) -> Discovery:
    """The provider's discovery document and keys, fetched at most every DISCOVERY_TTL seconds."""
    with _cache_lock:
        cached = _cache.get(provider.issuer)
    if cached is not None and time.monotonic() - cached.fetched_at < DISCOVERY_TTL:
        return cached
    discovery = _fetch_discovery(settings, provider)
    with _cache_lock:
        _cache[provider.issuer] = discovery
    return discovery


def _refresh_keys(settings: Settings, provider: ProviderConfig, discovery: Discovery) -> Discovery:
    with _http(settings) as http:
        keys = _key_set(http, provider, discovery.jwks_uri)
    fresh = replace(discovery, keys=keys)
    with _cache_lock:
        _cache[provider.issuer] = fresh
    return fresh


# --- the authorization code flow ----------------------------------------------------------------


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


def _oauth(
    settings: Settings, provider: ProviderConfig, discovery: Discovery, redirect_uri: str
) -> Any:
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=discovery.token_auth_method,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        verify=_tls(settings),
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
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
    with _oauth(settings, provider, discovery, redirect_uri) as client:
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
        discovery = _refresh_keys(settings, provider, discovery)
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
    with _http(settings) as http:
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
    with _oauth(settings, provider, discovery, redirect_uri) as client:
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


# --- identities and accounts --------------------------------------------------------------------


def find_identity(*, session: Session, issuer: str, subject: str) -> Identity | None:
    return session.scalars(
        select(Identity).where(Identity.issuer == issuer).where(Identity.subject == subject)
    ).one_or_none()


def sign_in_account(*, session: Session, login: UpstreamLogin) -> Account | None:
    """The account of a known identity (its use recorded), or None for an unknown identity;
    NotAuthenticated when the account is suspended."""
    identity = find_identity(session=session, issuer=login.issuer, subject=login.subject)
    if identity is None:
        return None
    account = session.get(Account, identity.account_id)
    assert account is not None
    if account.status != AccountStatus.ACTIVE:
        raise NotAuthenticated("this account is suspended; contact the operators")
    identity.last_used_at = utcnow()
    if login.claims.get("email"):
        identity.email = str(login.claims["email"])
    session.flush()
    return account


def _identity_taken() -> Conflict:
    return Conflict(
        "this identity is already linked to another account; sign in with it to use that "
        "account, or unlink it there first",
        field="identity",
    )


def register_account(
    *, session: Session, settings: Settings, login: UpstreamLogin, accept_aup: bool
) -> Account:
    """A new account for an identity seen for the first time, from its claims; the person must
    accept the acceptable-use policy."""
    if not accept_aup:
        raise ValidationFailed(
            "you need to accept the acceptable-use policy to get an account", field="accept_aup"
        )
    if find_identity(session=session, issuer=login.issuer, subject=login.subject) is not None:
        raise _identity_taken()
    claims = login.claims
    now = utcnow()
    try:
        with session.begin_nested():
            account = Account(
                voperson_id=accounts.mint_voperson_id(settings),
                status=AccountStatus.ACTIVE,
                email=str(claims.get("email", "")),
                email_verified=bool(claims.get("email_verified")),
                name=str(claims.get("name", "")),
                given_name=str(claims.get("given_name", "")),
                family_name=str(claims.get("family_name", "")),
                orcid=str(claims.get("orcid", "")),
                affiliations=list(claims.get("affiliations", [])),
                assurance=list(claims.get("assurance", [])),
                aup_accepted_at=now,
                aup_version=settings.aup_version,
                created_at=now,
            )
            session.add(account)
            session.flush()
            session.add(
                Identity(
                    account_id=account.id,
                    issuer=login.issuer,
                    subject=login.subject,
                    email=account.email,
                    created_at=now,
                    last_used_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        raise _identity_taken() from None
    return account


def link_identity(*, session: Session, account: Account, login: UpstreamLogin) -> Identity:
    """Link an upstream identity to ``account``; Conflict when it belongs to another account,
    RuleViolation when it is linked to this one already."""
    existing = find_identity(session=session, issuer=login.issuer, subject=login.subject)
    if existing is not None:
        if existing.account_id == account.id:
            raise RuleViolation("this identity is linked to your account already")
        raise _identity_taken()
    now = utcnow()
    identity = Identity(
        account_id=account.id,
        issuer=login.issuer,
        subject=login.subject,
        email=str(login.claims.get("email", "")),
        created_at=now,
        last_used_at=now,
    )
    try:
        with session.begin_nested():
            session.add(identity)
            session.flush()
    except IntegrityError:
        raise _identity_taken() from None
    return identity


def unlink_identity(
    *, session: Session, account: Account, identity_id: int, keep_session: str | None = None
) -> Identity:
    """Remove one of the account's identities: it no longer signs in (for the local one, the
    password and second factor are deleted too), and the account's sign-in sessions made with
    it end (unless another of its identities has the same issuer), except ``keep_session``. The
    last identity stays: RuleViolation."""
    identity = session.get(Identity, identity_id)
    if identity is None or identity.account_id != account.id:
        raise NotFound("no such identity of yours (it may have been unlinked already)")
    others = list(
        session.scalars(
            select(Identity)
            .where(Identity.account_id == account.id)
            .where(Identity.id != identity.id)
        )
    )
    if not others:
        raise RuleViolation(
            "this is the only way to sign in to your account; link another identity before "
            "unlinking this one",
            field="identity",
        )
    if identity.issuer == LOCAL_ISSUER:
        session.execute(delete(LocalCredential).where(LocalCredential.account_id == account.id))
    if all(other.issuer != identity.issuer for other in others):
        now = utcnow()
        for login in session.scalars(
            select(LoginSession)
            .where(LoginSession.account_id == account.id)
            .where(LoginSession.identity_issuer == identity.issuer)
            .where(LoginSession.ended_at.is_(None))
        ):
            if login.id != keep_session:
                login.ended_at = now
    session.delete(identity)
    session.flush()
    return identity
