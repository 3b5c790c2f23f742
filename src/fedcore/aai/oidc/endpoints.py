"""Authlib endpoints: device authorization (RFC 8628 §3.1), revocation (RFC 7009) and
introspection (RFC 7662), plus the discovery document (RFC 8414 / OpenID Discovery)."""

from __future__ import annotations

import secrets
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint

from fedcore.aai.enums import SCOPES, GrantType
from fedcore.aai.models import RefreshToken, TokenGrant
from fedcore.aai.oidc import token_exchange
from fedcore.aai.oidc.grants import CLIENT_AUTH, CONFIDENTIAL_AUTH, check_client_scope
from fedcore.aai.service import authorizations, claims, keys, tokens
from fedcore.core.config import Settings
from fedcore.core.db import utcnow

DEVICE_PAGE = "/aai/device"


class DeviceAuthorization(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH
    EXPIRES_IN = int(authorizations.DEVICE_CODE_LIFETIME.total_seconds())
    INTERVAL = 5

    def create_endpoint_response(self, request: Any) -> Any:
        client = self.authenticate_client(request)
        if not client.check_grant_type(GrantType.DEVICE_CODE):
            raise InvalidRequestError("the client may not use the device flow")
        check_client_scope(client.row, request.payload.scope)
        data = request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        return super().create_endpoint_response(request)

    def generate_user_code(self) -> str:
        alphabet = authorizations.USER_CODE_ALPHABET
        letters = "".join(secrets.choice(alphabet) for _ in range(8))
        return f"{letters[:4]}-{letters[4:]}"

    def get_verification_uri(self) -> str:
        settings: Settings = self.server.settings
        return settings.page_url(DEVICE_PAGE)

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        payload = self.server.current_request.payload.data
        authorizations.save_device_code(
            session=self.server.session,
            device_code=data["device_code"],
            user_code=data["user_code"],
            client_id=client_id,
            scope=scope or "",
            interval=data["interval"],
            code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
        )


class PresentedToken:
    """An access or refresh token presented to revocation or introspection."""

    def __init__(
        self,
        *,
        access: tokens.AccessTokenInfo | None = None,
        refresh: RefreshToken | None = None,
        grant: TokenGrant | None = None,
    ) -> None:
        self.access = access
        self.refresh = refresh
        self.grant = grant

    @property
    def client_id(self) -> str:
        if self.access is not None:
            return self.access.client_id
        assert self.grant is not None
        return self.grant.client_id

    def check_client(self, client: Any) -> bool:
        return bool(client.client_id == self.client_id)

    def is_expired(self) -> bool:
        return self.refresh is not None and self.refresh.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        if self.refresh is None:
            return False
        return self.refresh.used_at is not None or (
            self.grant is not None and self.grant.revoked_at is not None
        )


def _find(server: Any, token: str) -> PresentedToken | None:
    session = server.session
    row = tokens.find_refresh_token(session=session, raw=token)
    if row is not None:
        return PresentedToken(refresh=row, grant=session.get(TokenGrant, row.grant_id))
    try:
        info = tokens.verify_access_token(session=session, settings=server.settings, token=token)
    except tokens.TokenRefused:
        return None
    return PresentedToken(access=info)


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return _find(self.server, token_string)

    def revoke_token(self, token: PresentedToken, request: Any) -> None:
        session = self.server.session
        if token.access is not None:
            tokens.revoke_access_token(session=session, info=token.access)
        elif token.grant is not None:
            tokens.revoke_grant(
                session=session, grant_id=token.grant.id, reason="revoked by client"
            )


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """Any approved confidential client may introspect (resource servers such as Keystone)."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return _find(self.server, token_string)

    def check_permission(self, token: PresentedToken, client: Any, request: Any) -> bool:
        return not client.row.public

    def introspect_token(self, token: PresentedToken) -> dict[str, Any]:
        settings: Settings = self.server.settings
        if token.access is not None:
            body = dict(token.access.claims)
            body["token_type"] = "Bearer"  # noqa: S105
            scopes = token.access.scopes
            subject = token.access.subject
            grant_id = token.access.grant_id
        else:
            assert token.refresh is not None
            assert token.grant is not None
            scopes = token.refresh.scope.split()
            subject = token.grant.subject
            grant_id = token.grant.id
            body = {
                "iss": settings.effective_issuer,
                "sub": subject,
                "client_id": token.grant.client_id,
                "scope": token.refresh.scope,
                "exp": int(token.refresh.expires_at.timestamp()),
                "iat": int(token.refresh.issued_at.timestamp()),
                "token_type": "refresh_token",
            }
        current = claims.subject_claims(
            session=self.server.session,
            settings=settings,
            subject=subject,
            scopes=scopes,
            grant_id=grant_id,
        )
        if current is None:
            return {"active": False}
        # the live claims win over a snapshot the token carries (eduperson_entitlement)
        return {**body, **current, "active": True}


def discovery_document(settings: Settings) -> dict[str, Any]:
    issuer = settings.effective_issuer
    oidc = f"{issuer}/oidc"
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{oidc}/authorize",
        "token_endpoint": f"{oidc}/token",
        "device_authorization_endpoint": f"{oidc}/device",
        "userinfo_endpoint": f"{oidc}/userinfo",
        "introspection_endpoint": f"{oidc}/introspect",
        "revocation_endpoint": f"{oidc}/revoke",
        "end_session_endpoint": f"{oidc}/logout",
        "jwks_uri": f"{oidc}/jwks",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [grant.value for grant in GrantType],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(keys.SIGNING_ALGS),
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH,
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "azp",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "email",
            "email_verified",
            "voperson_id",
            "voperson_verified_email",
            "eduperson_entitlement",
            "entitlements",
            "eduperson_scoped_affiliation",
            "eduperson_assurance",
            "ssh_public_key",
            "orcid",
        ],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
        "service_documentation": f"{settings.base_url.rstrip('/')}/docs",
        "op_policy_uri": settings.aup_url
        if settings.aup_url.startswith("http")
        else f"{issuer}{settings.aup_url}",
        "token_exchange_subject_token_types_supported": [token_exchange.ACCESS_TOKEN_TYPE],
    }
