"""Vocabularies of the OpenID provider: grant types, scopes, statuses."""

from __future__ import annotations

from enum import StrEnum


class GrantType(StrEnum):
    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"  # noqa: S105  (a grant name, not a secret)
    DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
    CLIENT_CREDENTIALS = "client_credentials"
    TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105


GRANT_ALIASES = {
    "code": GrantType.AUTHORIZATION_CODE,
    "refresh": GrantType.REFRESH_TOKEN,
    "device": GrantType.DEVICE_CODE,
    "token-exchange": GrantType.TOKEN_EXCHANGE,
}
"""Short names accepted wherever a grant type is typed by a person (CLI, forms)."""
SHORT_GRANTS = {grant.value: alias for alias, grant in GRANT_ALIASES.items()}
"""A grant type's short name, where it has one (tables, labels)."""


SCOPES: dict[str, str] = {
    "openid": "your identifier at this provider",
    "profile": "your name and user name",
    "email": "your e-mail address",
    "aarc": "your name, e-mail address and community identifier",
    "voperson_id": "your community identifier",
    "eduperson_entitlement": "your community memberships and roles",
    "entitlements": "your community memberships and roles",
    "eduperson_scoped_affiliation": "your affiliation with your home organisation",
    "eduperson_assurance": "how well your identity is verified",
    "ssh_public_key": "your SSH public keys",
    "orcid": "your ORCID iD",
    "offline_access": "access while you are not signed in (a refresh token)",
}
"""Every scope the provider knows (reference §A.5), with the consent screen's wording."""


class ClientStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class VoStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    """Starts in the future (``valid_from``)."""
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REMOVED = "removed"


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"
