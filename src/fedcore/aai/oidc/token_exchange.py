"""OAuth 2.0 Token Exchange (RFC 8693), as Check-in offers it (reference §A.3).

A confidential client presents a user's access token (``subject_token``, type access_token) and
gets a new one for itself or for ``audience``, which must be the client id of a registered,
approved client. The scopes are a subset of the subject token's; ``offline_access`` among them
yields a refresh token. The new tokens start a grant of their own, so revoking the original does
not revoke them, and the other way round.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)

from fedcore.aai.enums import ClientStatus, GrantType
from fedcore.aai.models import Account
from fedcore.aai.oidc.grants import CONFIDENTIAL_AUTH, IssuesTokens
from fedcore.aai.service import clients, tokens

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105


class TokenExchangeGrant(IssuesTokens, grants.BaseGrant, grants.TokenEndpointMixin):  # type: ignore[misc]
    GRANT_TYPE = GrantType.TOKEN_EXCHANGE.value
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("the client may not use token exchange")
        self.request.client = client
        form = self.request.form
        if not form.get("subject_token"):
            raise InvalidRequestError("Missing 'subject_token'")
        if form.get("subject_token_type") != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(f"subject_token_type must be {ACCESS_TOKEN_TYPE}")
        wanted_type = form.get("requested_token_type")
        if wanted_type and wanted_type not in {ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE}:
            raise InvalidRequestError("requested_token_type is not supported")
        session, settings = self.server.session, self.server.settings
        try:
            info = tokens.verify_access_token(
                session=session, settings=settings, token=form["subject_token"]
            )
        except tokens.TokenRefused as exc:
            raise InvalidGrantError(f"subject_token: {exc}") from exc
        audience = form.get("audience")
        if audience:
            target = clients.find_client(session=session, client_id=audience)
            if target is None or target.status != ClientStatus.APPROVED:
                raise InvalidClientError(description="audience not found")
        original = info.scopes
        requested = (self.request.payload.scope or " ".join(original)).split()
        if not set(requested) <= set(original):
            raise InvalidScopeError("scope must be a subset of the subject token's scope")
        self.check_client_scope(" ".join(requested))
        account = session.query(Account).filter(Account.voperson_id == info.subject).one_or_none()
        if account is None:
            raise InvalidGrantError("subject_token does not belong to a person")
        self.request.user = account
        self.request.fedcore = {"audience": audience or None, "id_token": False}
        self.request.exchange_scope = " ".join(requested)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        token = self.generate_token(user=self.request.user, scope=self.request.exchange_scope)
        token["issued_token_type"] = ACCESS_TOKEN_TYPE
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
