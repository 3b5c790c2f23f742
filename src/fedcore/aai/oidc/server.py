"""The authorization server: Authlib's :class:`AuthorizationServer` bound to one database session.

One :class:`Provider` is made per HTTP request (cheap: it only registers grant classes), so the
grants and endpoints read and write through the request's own transaction. The web adapter
(``aai/http.py``) builds a :class:`ProtocolRequest` from the HTTP request and turns the
:class:`ProtocolResponse` back into one; nothing here knows the web framework.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc9207 import IssuerParameter
from sqlalchemy.orm import Session

from fedcore.aai.enums import SCOPES, ClientStatus, GrantType
from fedcore.aai.models import Client
from fedcore.aai.service import clients
from fedcore.core.config import Settings


class FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in values:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ProtocolRequest(OAuth2Request):  # type: ignore[misc]
    """An HTTP request as Authlib reads it: query and form values, case-insensitive headers."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = FormPayload(query + form)
        self._args = dict(query)
        self._form = dict(form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass
class ProtocolResponse:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "location"]
        self.headers.append(("Location", value))


class OAuthClient(ClientMixin):  # type: ignore[misc]
    """A registered client as Authlib asks about it."""

    def __init__(self, row: Client) -> None:
        self.row = row

    @property
    def client_id(self) -> str:
        return self.row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return ""
        allowed = set(self.row.scopes)
        return " ".join(s for s in dict.fromkeys(scope.split()) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.check_client_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.public:
            return method == "none"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and GrantType.AUTHORIZATION_CODE in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


def authenticate_public_client(query_client: Any, request: ProtocolRequest) -> Any:
    """``none`` client authentication: ``client_id`` in the body, or (as oidc-agent sends it)
    as the user of an HTTP Basic header with an empty password; never with a secret."""
    if request.payload.data.get("client_secret"):
        return None
    client_id = request.payload.client_id
    if not client_id:
        user, password = extract_basic_authorization(request.headers)
        client_id = user if user and not password else None
    return query_client(client_id) if client_id else None


class Provider(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, *, session: Session, settings: Settings) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self.settings = settings
        self.current_request: ProtocolRequest | None = None
        from fedcore.aai.oidc import endpoints, grants, token_exchange

        issuer = IssuerParameter()
        issuer.get_issuer = lambda: settings.effective_issuer
        self.register_extension(issuer)
        self.register_client_auth_method("none", authenticate_public_client)
        self.register_grant(grants.CodeGrant, [grants.Pkce()])
        self.register_grant(grants.RefreshGrant)
        self.register_grant(grants.DeviceGrant)
        self.register_grant(grants.ServiceAccountGrant)
        self.register_grant(token_exchange.TokenExchangeGrant)
        self.register_endpoint(endpoints.DeviceAuthorization(self))
        self.register_endpoint(endpoints.Revocation(self))
        self.register_endpoint(endpoints.Introspection(self))

    def authenticate_client(
        self, request: ProtocolRequest, methods: list[str], endpoint: str = "token"
    ) -> OAuthClient:
        """Authlib's client authentication, with an error that says what to send."""
        try:
            client: OAuthClient = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            if str(error.description).startswith("The client cannot authenticate"):
                ways = {
                    "client_secret_basic": "client_id and client_secret as HTTP Basic",
                    "client_secret_post": "client_id and client_secret in the form",
                    "none": "client_id alone (public clients)",
                }
                error.description = (
                    "unknown client_id, wrong client_secret, or a client that is not approved;"
                    " send " + ", or ".join(ways[m] for m in methods if m in ways)
                )
            raise
        return client

    def query_client(self, client_id: str) -> OAuthClient | None:
        row = clients.protocol_client(session=self.session, client_id=client_id)
        if row is None or row.status != ClientStatus.APPROVED:
            return None
        return OAuthClient(row)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tokens are stored while they are made (see ``grants.IssuesTokens``)."""

    def create_oauth2_request(self, request: ProtocolRequest) -> ProtocolRequest:
        self.current_request = request
        return request

    def create_json_request(self, request: ProtocolRequest) -> ProtocolRequest:
        self.current_request = request
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> ProtocolResponse:
        return ProtocolResponse(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals are not used: reactions are explicit calls."""
