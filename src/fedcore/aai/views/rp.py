"""fedcore's pages as a client of its own provider (``/login``, ``/login/callback``, ``/logout``).

Signing in runs the authorization code flow with PKCE, ``state`` and ``nonce`` for the
first-party client ``fedcore-web``; the callback checks ``state``, the RFC 9207 ``iss`` and the ID
token's ``nonce``, then redeems the code at the provider's token endpoint (in process: the same
Authlib code path as over HTTP). The page session keeps the access token; every request verifies
it as an API call would, so revoking it signs the browser out at once. When it expires, ``/login``
gets a new one without a prompt while the provider's session lasts.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636.challenge import create_s256_code_challenge
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from fedcore.aai.oidc.server import ProtocolRequest, Provider
from fedcore.aai.service import first_party, tokens
from fedcore.aai.views.session import local_path
from fedcore.core.deps import CsrfChecked, DbSession, get_settings_dep
from fedcore.core.logging import get_logger
from fedcore.core.templating import render

router = APIRouter()
log = get_logger(__name__)

RP_KEY = "rp_login"
ACCESS_KEY = "access_token"
ID_TOKEN_KEY = "id_token"  # noqa: S105  (a session key)


def _issuer_path(request: Request) -> str:
    return urlsplit(get_settings_dep(request).effective_issuer).path


@router.get("/login")
def login(request: Request, session: DbSession, next: str = "/") -> Response:
    settings = get_settings_dep(request)
    client = first_party.web_client(session=session, settings=settings)
    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    request.session[RP_KEY] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": local_path(next),
    }
    params = {
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uris[0],
        "response_type": "code",
        "scope": first_party.WEB_SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return RedirectResponse(f"{_issuer_path(request)}/oidc/authorize?{urlencode(params)}", 303)


def _failed(request: Request, reason: str) -> Response:
    log.info("page sign-in refused", reason=reason)
    return render(
        request,
        "aai/authorize_error.html",
        status_code=400,
        error="sign-in failed",
        description=reason,
    )


@router.get("/login/callback")
def callback(request: Request, session: DbSession) -> Response:
    settings = get_settings_dep(request)
    pending = request.session.pop(RP_KEY, None)
    query = request.query_params
    if not isinstance(pending, dict) or not hmac.compare_digest(
        query.get("state", ""), str(pending.get("state", ""))
    ):
        return _failed(request, "the sign-in answer does not belong to this browser (state)")
    if query.get("iss") != settings.effective_issuer:
        return _failed(request, "the sign-in answer names another issuer (iss)")
    if "error" in query:
        return _failed(request, query.get("error_description") or query["error"])
    client = first_party.web_client(session=session, settings=settings)
    form = [
        ("grant_type", "authorization_code"),
        ("code", query.get("code", "")),
        ("redirect_uri", client.redirect_uris[0]),
        ("client_id", client.client_id),
        ("code_verifier", str(pending["verifier"])),
    ]
    token_request = ProtocolRequest(
        "POST", f"{settings.effective_issuer}/oidc/token", headers={}, query=[], form=form
    )
    result = Provider(session=session, settings=settings).create_token_response(token_request)
    if result.status != 200:
        return _failed(request, str(result.body.get("error_description") or result.body["error"]))
    claims = tokens.decode_signed(session=session, token=result.body["id_token"])
    if not hmac.compare_digest(str(claims.get("nonce", "")), str(pending["nonce"])):
        return _failed(request, "the ID token was not issued for this sign-in (nonce)")
    request.session.pop("csrf", None)
    request.session[ACCESS_KEY] = result.body["access_token"]
    request.session[ID_TOKEN_KEY] = result.body["id_token"]
    log.info("page sign-in", subject=claims["sub"])
    return RedirectResponse(str(pending["next"]), status_code=303)


@router.post("/logout")
def logout(request: Request, _: CsrfChecked) -> Response:
    """Sign out of the pages and of the provider (RP-initiated logout with the ID token)."""
    settings = get_settings_dep(request)
    request.session.pop(ACCESS_KEY, None)
    request.session.pop("token_id", None)
    id_token = request.session.pop(ID_TOKEN_KEY, None)
    if not isinstance(id_token, str):
        return RedirectResponse("/", status_code=303)
    params = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": settings.base_url.rstrip("/") + "/",
    }
    return RedirectResponse(f"{_issuer_path(request)}/oidc/logout?{urlencode(params)}", 303)
