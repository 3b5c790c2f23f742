"""Talking to an upstream provider over HTTP: its ``/.well-known/openid-configuration`` and JWKS
are fetched over TLS (``FEDCORE_UPSTREAM_CA_BUNDLE``, or the system's CAs) and kept for
:data:`DISCOVERY_TTL` per issuer; the document must name the configured issuer. A token signed
with an unknown ``kid`` makes the key set be fetched again once (key rotation,
:func:`refresh_keys`). The HTTP clients for the other calls (token endpoint, userinfo) are made
here too, with the same TLS settings and timeout."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import httpx2
from authlib.integrations.httpx_client import OAuth2Client
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from fedcore.aai.service.upstream.config import ProviderConfig, UpstreamMisconfigured, check_url
from fedcore.core.config import Settings
from fedcore.core.errors import FedcoreError

DISCOVERY_TTL = 300.0
"""Seconds a provider's discovery document and key set are reused."""
HTTP_TIMEOUT = 10.0
SIGNING_ALGS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""ID token algorithms accepted: asymmetric only (never ``none`` or an HMAC with the secret)."""


class UpstreamFailed(FedcoreError):
    """The upstream provider could not be reached or answered something unusable."""

    status = 502
    title = "Upstream provider failed"


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


def http_client(settings: Settings) -> httpx2.Client:
    return httpx2.Client(verify=_tls(settings), timeout=HTTP_TIMEOUT, follow_redirects=False)


def oauth_client(
    settings: Settings, provider: ProviderConfig, discovery: Discovery, redirect_uri: str
) -> Any:
    """Authlib's OAuth 2 client for the provider's authorization and token endpoints."""
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
    with http_client(settings) as http:
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
                endpoints[name] = check_url(str(value or ""), name)
            except ValueError as exc:
                raise UpstreamFailed(
                    f"{provider.display_name}'s discovery document: {name}: {exc}"
                ) from None
        userinfo = document.get("userinfo_endpoint")
        if userinfo is not None:
            try:
                userinfo = check_url(str(userinfo), "userinfo_endpoint")
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


def refresh_keys(settings: Settings, provider: ProviderConfig, discovery: Discovery) -> Discovery:
    """``discovery`` with the provider's key set fetched again (and cached)."""
    with http_client(settings) as http:
        keys = _key_set(http, provider, discovery.jwks_uri)
    fresh = replace(discovery, keys=keys)
    with _cache_lock:
        _cache[provider.issuer] = fresh
    return fresh
