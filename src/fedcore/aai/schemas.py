"""Pydantic schemas of the AAI: OIDC clients and service accounts.

The rules a client registration must follow are checked here, at the edge, each error naming its
field:

* ``redirect_uris`` and ``post_logout_redirect_uris`` are absolute URIs without a fragment,
  compared by exact string match later (RFC 9700 §2.1, §4.1.3); https only, except http on a
  loopback host (``127.0.0.1``, ``[::1]``, ``localhost``; RFC 8252 §7.3). Custom schemes are not
  accepted. The ``authorization_code`` grant needs at least one redirect URI; the device grant
  needs none.
* ``grant_types`` take the grant type URIs or their short names (:data:`GRANT_ALIASES`). Public
  clients (no secret) cannot use ``client_credentials`` or token exchange, and ``refresh_token``
  needs a grant that issues refresh tokens.
* Public clients always use PKCE (RFC 9700 §2.1.1): ``pkce_required`` cannot be switched off.
* ``scopes`` are the ones the provider knows (:data:`SCOPES`), "openid profile email" by default.
* ``entitlements_in_token`` puts the subject's entitlements in the client's access tokens (when
  the scope asks for them); off by default, and only operators may change it (the service
  checks that: a JWT shows every resource server it reaches the holder's memberships).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from fedcore.aai.enums import GRANT_ALIASES, SCOPES, SHORT_GRANTS, ClientStatus, GrantType
from fedcore.core.db import isoformat_z

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DEFAULT_SCOPES = ("openid", "profile", "email")
CONFIDENTIAL_ONLY = (GrantType.CLIENT_CREDENTIALS, GrantType.TOKEN_EXCHANGE)
ISSUE_REFRESH_TOKENS = frozenset(
    {GrantType.AUTHORIZATION_CODE, GrantType.DEVICE_CODE, GrantType.TOKEN_EXCHANGE}
)
URN_RE = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$", re.IGNORECASE)
MAX_URI = 2000
MAX_ENTITLEMENT = 1000


def _invalid(reason: str) -> PydanticCustomError:
    # Passed as context, so that braces in a quoted value are not read as a template.
    return PydanticCustomError("invalid", "{reason}", {"reason": reason})


def _words(value: Any, what: str) -> list[str]:
    """A list typed by a person or a script: a list of strings (blank ones ignored), or one
    whitespace-separated string (a form's textarea, a ``--scope "S1 S2"`` option)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    raise _invalid(f"must be a list of {what}")


def grant_choices() -> str:
    return ", ".join(
        f"{grant.value} ({SHORT_GRANTS[grant]})" if grant in SHORT_GRANTS else grant.value
        for grant in GrantType
    )


def _grant_types(value: Any) -> list[GrantType]:
    grants: list[GrantType] = []
    for name in _words(value, "grant types"):
        grant = GRANT_ALIASES.get(name)
        if grant is None:
            try:
                grant = GrantType(name)
            except ValueError:
                raise _invalid(f"{name!r} is not a grant type; use {grant_choices()}") from None
        if grant not in grants:
            grants.append(grant)
    if not grants:
        raise _invalid("choose at least one grant type")
    return grants


def _scopes(value: Any) -> list[str]:
    scopes: list[str] = []
    for name in _words(value, "scopes"):
        if name not in SCOPES:
            raise _invalid(f"{name!r} is not a scope of this provider; use {', '.join(SCOPES)}")
        if name not in scopes:
            scopes.append(name)
    if not scopes:
        raise _invalid("choose at least one scope")
    return scopes


def check_redirect_uri(uri: str) -> str:
    """``uri`` if a client may register it as a redirect URI, else ValueError saying why."""
    if len(uri) > MAX_URI:
        raise ValueError(f"{uri[:60]!r}... is longer than {MAX_URI} characters")
    if any(c.isspace() for c in uri):
        raise ValueError(f"{uri!r} must not contain spaces")
    parts = urlsplit(uri)
    if not parts.scheme:
        raise ValueError(f"{uri!r} is not an absolute URI")
    if parts.scheme not in ("https", "http"):
        raise ValueError(
            f"{uri!r}: the {parts.scheme!r} scheme is not allowed; use https "
            "(http only on a loopback host)"
        )
    if not parts.hostname:
        raise ValueError(f"{uri!r} is not an absolute URI with a host")
    if "#" in uri:
        raise ValueError(f"{uri!r} must not have a fragment")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{uri!r} must not carry a user name or password")
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when asked)
    except ValueError:
        raise ValueError(f"{uri!r} has an invalid port") from None
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{uri!r}: http is only allowed on a loopback host (127.0.0.1, [::1], localhost); "
            "use https"
        )
    return uri


def _redirect_uris(value: Any) -> list[str]:
    uris: list[str] = []
    for uri in _words(value, "URIs"):
        try:
            check_redirect_uri(uri)
        except ValueError as exc:
            raise _invalid(str(exc)) from None
        if uri not in uris:
            uris.append(uri)
    return uris


def _entitlements(value: Any) -> list[str]:
    entitlements: list[str] = []
    for item in _words(value, "entitlements"):
        if len(item) > MAX_ENTITLEMENT or not URN_RE.match(item):
            raise _invalid(
                f"{item[:80]!r} is not an entitlement: a URN (urn:<namespace>:...) without "
                f"spaces, at most {MAX_ENTITLEMENT} characters"
            )
        if item not in entitlements:
            entitlements.append(item)
    return entitlements


GrantTypes = Annotated[list[GrantType], BeforeValidator(_grant_types)]
Scopes = Annotated[list[str], BeforeValidator(_scopes)]
RedirectUris = Annotated[list[str], BeforeValidator(_redirect_uris)]
Entitlements = Annotated[list[str], BeforeValidator(_entitlements)]
ClientName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
UTCTime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClientCreate(_In):
    """A new OIDC client. Fields are validated in this order; the later ones are checked
    against the earlier (a public client's grants, the redirect URIs a grant needs)."""

    name: ClientName
    description: Description = ""
    public: bool = False
    grant_types: GrantTypes
    pkce_required: bool = Field(
        default=True,
        validate_default=True,
        description="the authorization code flow must carry a PKCE S256 challenge",
    )
    redirect_uris: RedirectUris = Field(default_factory=list, validate_default=True)
    post_logout_redirect_uris: RedirectUris = Field(default_factory=list)
    scopes: Scopes = Field(default_factory=lambda: list(DEFAULT_SCOPES))
    entitlements_in_token: bool = Field(
        default=False,
        description="access tokens carry eduperson_entitlement when the scope asks for it",
    )

    @field_validator("grant_types")
    @classmethod
    def _grants_fit_the_client(
        cls, grants: list[GrantType], info: ValidationInfo
    ) -> list[GrantType]:
        if info.data.get("public"):
            refused = [g.value for g in CONFIDENTIAL_ONLY if g in grants]
            if refused:
                raise _invalid(
                    f"a public client cannot use {' or '.join(refused)}; "
                    "register a confidential client (with a secret)"
                )
        if GrantType.REFRESH_TOKEN in grants and not ISSUE_REFRESH_TOKENS.intersection(grants):
            raise _invalid(
                "refresh_token needs a grant that issues refresh tokens: "
                "authorization_code, device or token-exchange"
            )
        return grants

    @field_validator("pkce_required")
    @classmethod
    def _public_clients_use_pkce(cls, required: bool, info: ValidationInfo) -> bool:
        if info.data.get("public") and not required:
            raise _invalid("public clients always use PKCE; it cannot be switched off")
        return required

    @field_validator("redirect_uris")
    @classmethod
    def _code_flow_needs_a_redirect(cls, uris: list[str], info: ValidationInfo) -> list[str]:
        if GrantType.AUTHORIZATION_CODE in info.data.get("grant_types", []) and not uris:
            raise _invalid("the authorization_code grant needs at least one redirect URI")
        return uris


class ClientUpdate(_In):
    """Changes to a client; fields left out (or None) stay as they are. The result must still
    be a valid :class:`ClientCreate` (whether the client is public cannot change)."""

    name: ClientName | None = None
    description: Description | None = None
    grant_types: GrantTypes | None = None
    pkce_required: bool | None = None
    redirect_uris: RedirectUris | None = None
    post_logout_redirect_uris: RedirectUris | None = None
    scopes: Scopes | None = None
    entitlements_in_token: bool | None = None


class ServiceEntitlements(_In):
    """The entitlements an operator assigns to a service account (URNs, order kept, no
    duplicates)."""

    entitlements: Entitlements


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    name: str
    description: str
    owner_subject: str
    public: bool
    status: ClientStatus
    grant_types: list[str]
    scopes: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    pkce_required: bool
    entitlements_in_token: bool
    service_subject: str | None
    entitlements: list[str]
    created_at: UTCTime
    decided_at: UTCTime | None
    decided_by: str
    decision_reason: str
