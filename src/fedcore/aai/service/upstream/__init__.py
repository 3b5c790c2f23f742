"""Upstream OpenID providers as identity sources (reference §A.1: like Check-in, fedcore proxies
the sign-in of other providers and issues its own community identity).

* :mod:`.config`: ``FEDCORE_UPSTREAM_PROVIDERS``, checked on first use (errors name the entry and
  the field), with each provider's level of assurance.
* :mod:`.discovery`: each provider's discovery document and JWKS, cached per issuer, and the HTTP
  clients that speak to providers.
* :mod:`.flow`: the authorization code flow (:func:`begin_login`, :func:`complete_login`), the ID
  token checks and the profile claims fedcore keeps.
* :mod:`.identities`: ``(issuer, sub)`` identities: sign-in, first sign-in (account creation),
  linking and unlinking. Accounts are never matched by e-mail address.
"""

from fedcore.aai.service.upstream.config import (
    ProviderConfig,
    UpstreamMisconfigured,
    configured_providers,
    get_provider,
    provider_assurance,
    provider_names,
)
from fedcore.aai.service.upstream.discovery import (
    DISCOVERY_TTL,
    HTTP_TIMEOUT,
    SIGNING_ALGS,
    Discovery,
    UpstreamFailed,
    discover,
)
from fedcore.aai.service.upstream.flow import (
    CLOCK_SKEW,
    LIST_CLAIM_MAX,
    UpstreamLogin,
    begin_login,
    complete_login,
    profile_claims,
    verify_id_token,
)
from fedcore.aai.service.upstream.identities import (
    FED_AMR,
    find_identity,
    link_identity,
    register_account,
    sign_in_account,
    unlink_identity,
)

__all__ = [
    "CLOCK_SKEW",
    "DISCOVERY_TTL",
    "FED_AMR",
    "HTTP_TIMEOUT",
    "LIST_CLAIM_MAX",
    "SIGNING_ALGS",
    "Discovery",
    "ProviderConfig",
    "UpstreamFailed",
    "UpstreamLogin",
    "UpstreamMisconfigured",
    "begin_login",
    "complete_login",
    "configured_providers",
    "discover",
    "find_identity",
    "get_provider",
    "link_identity",
    "profile_claims",
    "provider_assurance",
    "provider_names",
    "register_account",
    "sign_in_account",
    "unlink_identity",
    "verify_id_token",
]
