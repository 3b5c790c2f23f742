"""The provider's browser-facing protocol pages, relative to the issuer and under ``/aai``:

* ``/oidc/authorize``: validates the request (client, exact redirect URI, scopes, PKCE) before
  anything else; errors that cannot be sent back to a verified redirect URI are shown here. A
  visitor without a login session goes to the login page and comes back; ``prompt=none``
  answers ``login_required`` instead. The consent screen lists the scopes this client has not
  been granted yet (``prompt=consent`` asks again); first-party clients need no consent.
* ``/aai/device``: the RFC 8628 user-code page: type (or follow) the code, see who asks for what,
  approve or deny.
* ``/oidc/logout``: RP-initiated logout. With a valid ``id_token_hint`` the session ends at once;
  otherwise the user confirms. ``post_logout_redirect_uri`` must be registered for the client.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fedcore.aai.enums import SCOPES
from fedcore.aai.http import Protocol, as_response
from fedcore.aai.models import LoginSession
from fedcore.aai.oidc.server import ProtocolRequest, ProtocolResponse, Provider
from fedcore.aai.service import accounts, authorizations, clients, tokens
from fedcore.aai.views.session import current_login_session, end_browser_session, signed_in
from fedcore.core.db import utcnow
from fedcore.core.deps import CsrfChecked, DbSession, get_settings_dep
from fedcore.core.errors import FedcoreError
from fedcore.core.templating import render

issuer_router = APIRouter()
router = APIRouter()

OIDC_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "response_mode",
)


def _redirect(result: ProtocolResponse) -> Response:
    if result.location:
        return RedirectResponse(result.location, status_code=302)
    return as_response(result)


def _error_response(
    request: Request, provider: Provider, protocol: ProtocolRequest, error: OAuth2Error
) -> Response:
    """Back to the client when its redirect URI was verified, else an error page here."""
    result = provider.handle_error_response(protocol, error)
    if result.location:
        issuer = provider.settings.effective_issuer
        return RedirectResponse(add_params_to_uri(result.location, {"iss": issuer}), 302)
    return render(
        request,
        "aai/authorize_error.html",
        status_code=400,
        error=error.error,
        description=error.description or "",
    )


def _params(protocol: ProtocolRequest) -> dict[str, str]:
    data = protocol.payload.data
    return {name: data[name] for name in OIDC_PARAMS if data.get(name)}


def _login_redirect(request: Request, protocol: ProtocolRequest) -> Response:
    params = {k: v for k, v in _params(protocol).items() if k not in {"prompt", "max_age"}}
    back = f"{request.url.path}?{urlencode(params)}"
    return RedirectResponse(f"/aai/login?{urlencode({'next': back})}", status_code=303)


def _expired(login: LoginSession, protocol: ProtocolRequest) -> bool:
    """OIDC ``max_age``: the login is older than the client accepts."""
    max_age = protocol.payload.data.get("max_age", "")
    return max_age.isdigit() and (utcnow() - login.auth_time).total_seconds() > int(max_age)


def _back_to_client(
    request: Request, provider: Provider, protocol: ProtocolRequest, grant: Any, error: OAuth2Error
) -> Response:
    error.state = protocol.payload.state
    error.redirect_uri = grant.redirect_uri
    return _error_response(request, provider, protocol, error)


@issuer_router.get("/oidc/authorize", include_in_schema=False)
def authorize(request: Request, session: DbSession, protocol: Protocol) -> Response:
    settings = get_settings_dep(request)
    provider = Provider(session=session, settings=settings)
    try:
        grant = provider.get_consent_grant(request=protocol)
    except OAuth2Error as error:
        return _error_response(request, provider, protocol, error)
    prompt = protocol.payload.data.get("prompt", "").split()
    user = signed_in(request, session)
    if user is not None and ("login" in prompt or _expired(user[0], protocol)):
        end_browser_session(request, session)
        user = None
    if user is None:
        if "none" in prompt:
            return _back_to_client(request, provider, protocol, grant, LoginRequiredError())
        return _login_redirect(request, protocol)
    login, account = user
    client = grant.client.row
    scopes = (grant.request.scope or "").split()
    if client.first_party:
        missing: list[str] = []
    elif "consent" in prompt:
        missing = scopes
    else:
        missing = authorizations.missing_consent(
            session=session, account=account, client_id=client.client_id, scopes=scopes
        )
    if missing:
        if "none" in prompt:
            return _back_to_client(request, provider, protocol, grant, ConsentRequiredError())
        return render(
            request,
            "aai/consent.html",
            client=client,
            account=account,
            scopes=[(s, SCOPES.get(s, s), s in missing) for s in scopes],
            params=_params(protocol),
        )
    return _redirect(
        provider.create_authorization_response(protocol, grant_user=login, grant=grant)
    )


@issuer_router.post("/oidc/authorize", include_in_schema=False)
def decide(
    request: Request,
    session: DbSession,
    protocol: Protocol,
    _: CsrfChecked,
    decision: Annotated[str, Form()] = "",
) -> Response:
    """The consent form's answer; the request is validated again from its own parameters."""
    settings = get_settings_dep(request)
    provider = Provider(session=session, settings=settings)
    try:
        grant = provider.get_consent_grant(request=protocol)
    except OAuth2Error as error:
        return _error_response(request, provider, protocol, error)
    user = signed_in(request, session)
    if user is None:
        return _login_redirect(request, protocol)
    if decision != "allow":
        return _redirect(
            provider.create_authorization_response(protocol, grant_user=None, grant=grant)
        )
    login, account = user
    authorizations.record_consent(
        session=session,
        account=account,
        client_id=grant.client.client_id,
        scopes=(grant.request.scope or "").split(),
    )
    return _redirect(
        provider.create_authorization_response(protocol, grant_user=login, grant=grant)
    )


def _device_login(request: Request, user_code: str) -> Response:
    back = "/aai/device" + (f"?{urlencode({'user_code': user_code})}" if user_code else "")
    return RedirectResponse(f"/aai/login?{urlencode({'next': back})}", status_code=303)


@router.get("/device")
def device_page(request: Request, session: DbSession, user_code: str = "") -> Response:
    if current_login_session(request, session) is None:
        return _device_login(request, user_code)
    return render(request, "aai/device.html", user_code=user_code, error=None)


@router.post("/device")
def device_lookup(
    request: Request,
    session: DbSession,
    _: CsrfChecked,
    user_code: Annotated[str, Form()] = "",
) -> Response:
    if current_login_session(request, session) is None:
        return _device_login(request, user_code)
    try:
        row = authorizations.pending_device_code(session=session, user_code=user_code)
    except FedcoreError as exc:
        return render(
            request, "aai/device.html", status_code=404, user_code=user_code, error=exc.detail
        )
    client = clients.get_client(session=session, client_id=row.client_id)
    scopes = [(s, SCOPES.get(s, s)) for s in row.scope.split()]
    return render(request, "aai/device_confirm.html", row=row, client=client, scopes=scopes)


@router.post("/device/decide")
def device_decide(
    request: Request,
    session: DbSession,
    _: CsrfChecked,
    user_code: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
) -> Response:
    user = signed_in(request, session)
    if user is None:
        return _device_login(request, user_code)
    login, account = user
    try:
        row = authorizations.pending_device_code(session=session, user_code=user_code)
    except FedcoreError as exc:
        return render(
            request, "aai/device.html", status_code=404, user_code=user_code, error=exc.detail
        )
    approve = decision == "allow"
    authorizations.decide_device_code(session=session, row=row, login=login, approve=approve)
    if approve:
        authorizations.record_consent(
            session=session, account=account, client_id=row.client_id, scopes=row.scope.split()
        )
    return render(request, "aai/device_done.html", approved=approve)


def _logout_client(
    session: DbSession, client_id: str, hint: dict[str, Any] | None
) -> tuple[Any, str | None]:
    """The client asking for logout (from ``client_id`` or the hint's audience), or an error."""
    audience = str(hint.get("aud", "")) if hint else ""
    if client_id and audience and client_id != audience:
        return None, "client_id does not match the id_token_hint"
    wanted = client_id or audience
    client = clients.find_client(session=session, client_id=wanted) if wanted else None
    if wanted and client is None:
        return None, "unknown client_id"
    return client, None


@issuer_router.api_route("/oidc/logout", methods=["GET", "POST"], include_in_schema=False)
def logout(request: Request, session: DbSession, protocol: Protocol) -> Response:
    data = protocol.payload.data
    hint: dict[str, Any] | None = None
    if data.get("id_token_hint"):
        try:
            hint = tokens.decode_signed(
                session=session, token=data["id_token_hint"], verify_time=False
            )
        except tokens.TokenRefused:
            return render(
                request,
                "aai/authorize_error.html",
                status_code=400,
                error="invalid_request",
                description="id_token_hint is not an ID token of this provider",
            )
    client, problem = _logout_client(session, data.get("client_id", ""), hint)
    target = data.get("post_logout_redirect_uri", "")
    if (
        not problem
        and target
        and (client is None or target not in client.post_logout_redirect_uris)
    ):
        problem = "post_logout_redirect_uri is not registered for this client"
    if problem:
        return render(
            request,
            "aai/authorize_error.html",
            status_code=400,
            error="invalid_request",
            description=problem,
        )
    login = current_login_session(request, session)
    if hint is not None and login is not None:
        account = accounts.get_account(session=session, account_id=login.account_id)
        if account is None or hint.get("sub") != account.voperson_id:
            hint = None
    expected = str(request.session.get("csrf", ""))
    confirmed = (
        request.method == "POST"
        and data.get("confirm") == "yes"
        and bool(expected)
        and hmac.compare_digest(data.get("csrf", ""), expected)
    )
    if login is not None and hint is None and not confirmed:
        return render(request, "aai/logout.html", params=dict(data), client=client)
    if login is not None:
        tokens.revoke_grants(
            session=session, reason="signed out", keep_offline=True, login_session_id=login.id
        )
        end_browser_session(request, session)
    if target:
        state = data.get("state")
        return RedirectResponse(
            add_params_to_uri(target, {"state": state}) if state else target, status_code=302
        )
    return render(request, "aai/logged_out.html", client=client)
