"""The token endpoint's grants on Authlib, storing through ``aai/service``.

* authorization code (RFC 6749 §4.1) with PKCE (RFC 7636, ``S256`` only): mandatory for public
  clients and for clients registered with ``pkce_required``; a code presented twice revokes the
  tokens issued from it (RFC 9700 §4.5);
* refresh token (§6), only when ``offline_access`` was granted, rotated on every use; a reused
  refresh token revokes its family (RFC 9700 §4.14.2);
* device code (RFC 8628 §3.4), with ``slow_down`` and optional PKCE;
* client credentials (§4.4) for service accounts, whose ``sub`` is the client's stable subject.

Every grant issues tokens through :class:`IssuesTokens`: one :class:`TokenGrant` per login or
approval (reused by refreshes), an RFC 9068 access token, a refresh token for ``offline_access``
and an ID token for ``openid`` when a person is behind the grant.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc8628 import DeviceCodeGrant

from fedcore.aai.enums import AccountStatus
from fedcore.aai.models import (
    Account,
    AuthorizationCode,
    Client,
    DeviceCode,
    LoginSession,
    RefreshToken,
)
from fedcore.aai.service import authorizations, tokens
from fedcore.core.db import utcnow

CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]
CONFIDENTIAL_AUTH = ["client_secret_basic", "client_secret_post"]


def check_client_scope(client: Client, scope: str | None) -> None:
    """InvalidScopeError naming the requested scopes the client was not registered for."""
    allowed = set(client.scopes)
    refused = [s for s in (scope or "").split() if s not in allowed]
    if refused:
        raise InvalidScopeError(f"the client may not ask for: {' '.join(refused)}")


class IssuesTokens:
    """Mixin for Authlib grants: issue fedcore's tokens instead of Authlib's bearer strings."""

    server: Any
    request: Any
    GRANT_TYPE: str

    def check_client_scope(self, scope: str | None) -> None:
        check_client_scope(self.request.client.row, scope)

    def generate_token(
        self,
        user: Account | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        session, settings = self.server.session, self.server.settings
        client = self.request.client.row
        scope = scope or ""
        context: dict[str, Any] = getattr(self.request, "fedcore", {})
        grant = context.get("grant")
        if grant is None and user is not None:
            grant = tokens.create_grant(
                session=session,
                client=client,
                account=user,
                scope=scope,
                source=self.GRANT_TYPE,
                login_session_id=context.get("login_session_id"),
                auth_time=context.get("auth_time"),
            )
        self.request.fedcore = {**context, "grant": grant}
        subject = user.voperson_id if user is not None else client.service_subject or ""
        access_token, lifetime = tokens.issue_access_token(
            session=session,
            settings=settings,
            client=client,
            grant=grant,
            subject=subject,
            scope=scope,
            audience=context.get("audience"),
        )
        token: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
        }
        scopes = scope.split()
        if include_refresh_token and grant is not None and "offline_access" in scopes:
            token["refresh_token"] = tokens.issue_refresh_token(
                session=session, settings=settings, grant=grant, scope=scope
            )
        if user is not None and "openid" in scopes and context.get("id_token", True):
            token["id_token"] = tokens.issue_id_token(
                session=session,
                settings=settings,
                client=client,
                account=user,
                nonce=context.get("nonce"),
                auth_time=context.get("auth_time"),
                amr=context.get("amr", []),
                access_token=access_token,
            )
        return token


def _active_account(session: Any, account_id: int | None) -> Account | None:
    account = session.get(Account, account_id) if account_id is not None else None
    return account if account is not None and account.status == AccountStatus.ACTIVE else None


class StoredCode:
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE with ``S256`` only; required for public clients and clients registered for it."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") and not data.get("code_challenge_method"):
            client = grant.request.client.row
            if client.public or client.pkce_required:
                raise InvalidRequestError("Missing parameter: code_challenge_method")
            return
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(IssuesTokens, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def validate_authorization_request(self) -> Any:
        result = super().validate_authorization_request()
        self.check_client_scope(self.request.scope)
        return result

    def save_authorization_code(self, code: str, request: Any) -> None:
        login: LoginSession = request.user
        data = request.payload.data
        authorizations.save_authorization_code(
            session=self.server.session,
            code=code,
            client_id=request.client.client_id,
            login=login,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Any) -> StoredCode | None:
        session = self.server.session
        row = authorizations.find_authorization_code(session=session, code=code)
        if row is None or row.client_id != client.client_id:
            return None
        if row.used_at is not None:
            if row.grant_id:
                tokens.revoke_grant(
                    session=session, grant_id=row.grant_id, reason="authorization code reused"
                )
            return None
        if row.expires_at <= utcnow():
            return None
        return StoredCode(row)

    def authenticate_user(self, code: StoredCode) -> Account | None:
        row = code.row
        self.request.fedcore = {
            "login_session_id": row.login_session_id,
            "auth_time": row.auth_time,
            "amr": row.amr,
            "nonce": row.nonce,
        }
        return _active_account(self.server.session, row.account_id)

    def delete_authorization_code(self, code: StoredCode) -> None:
        code.row.used_at = utcnow()
        code.row.grant_id = self.request.fedcore["grant"].id
        self.server.session.flush()


class StoredRefreshToken:
    def __init__(self, row: RefreshToken, client_id: str) -> None:
        self.row = row
        self.client_id = client_id

    def check_client(self, client: Any) -> bool:
        return bool(client.client_id == self.client_id)

    def get_scope(self) -> str:
        return self.row.scope


class RefreshGrant(IssuesTokens, grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredRefreshToken | None:
        session = self.server.session
        row = tokens.find_refresh_token(session=session, raw=refresh_token, for_update=True)
        if row is None:
            return None
        try:
            grant = tokens.use_refresh_token(session=session, row=row)
        except tokens.TokenRefused as exc:
            raise InvalidGrantError(str(exc)) from exc
        self.request.fedcore = {
            "grant": grant,
            "login_session_id": grant.login_session_id,
            "auth_time": grant.auth_time,
        }
        return StoredRefreshToken(row, grant.client_id)

    def authenticate_user(self, refresh_token: StoredRefreshToken) -> Account | None:
        return _active_account(self.server.session, self.request.fedcore["grant"].account_id)

    def revoke_old_credential(self, refresh_token: StoredRefreshToken) -> None:
        """Already spent by :meth:`authenticate_refresh_token`."""


class StoredDeviceCode:
    def __init__(self, row: DeviceCode) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_user_code(self) -> str:
        return self.row.user_code

    def is_expired(self) -> bool:
        return bool(self.row.expires_at <= utcnow())


class DeviceGrant(IssuesTokens, DeviceCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def query_device_credential(self, device_code: str) -> StoredDeviceCode | None:
        row = authorizations.find_device_code(session=self.server.session, device_code=device_code)
        if row is None or row.status in {"used"}:
            return None
        return StoredDeviceCode(row)

    def query_user_grant(self, user_code: str) -> tuple[Account | None, bool] | None:
        row = self.request.credential_row
        if row.status == "pending":
            return None
        self.request.fedcore = {
            "login_session_id": row.login_session_id,
            "auth_time": row.auth_time,
        }
        return _active_account(self.server.session, row.account_id), row.status == "approved"

    def should_slow_down(self, credential: StoredDeviceCode) -> bool:
        return authorizations.poll_too_fast(
            session=self.server.session, row=credential.row, now=utcnow()
        )

    def validate_device_credential(self, credential: StoredDeviceCode) -> Account | None:
        self.request.credential_row = credential.row
        account: Account | None = super().validate_device_credential(credential)
        if account is None:
            raise InvalidGrantError("the account that approved this request is not active")
        row = credential.row
        if row.code_challenge:
            verifier = self.request.form.get("code_verifier") or ""
            if not compare_s256_code_challenge(verifier, row.code_challenge):
                raise InvalidGrantError("code_verifier does not match the code_challenge")
        return account

    def create_token_response(self) -> Any:
        result = super().create_token_response()
        row: DeviceCode = self.request.credential_row
        row.status = "used"
        row.grant_id = self.request.fedcore["grant"].id
        self.server.session.flush()
        return result


class ServiceAccountGrant(IssuesTokens, grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_token_request(self) -> None:
        super().validate_token_request()
        if not self.request.client.row.service_subject:
            raise InvalidRequestError("the client is not a service account")
        self.check_client_scope(self.request.payload.scope)
