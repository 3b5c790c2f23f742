"""Sign-in through upstream OpenID providers, under ``/aai/upstream/``:

* ``{name}/start?next=...``: begins the authorization code flow at provider ``name`` (the
  sign-in page's "Sign in with ..." buttons); with ``link=1`` a signed-in person links another
  identity to the account (the account page's "Link another identity").
* ``{name}/callback``: the provider's answer. A known identity signs in to its account (``amr``
  ``["fed"]``); an identity linked elsewhere is refused when linking; an unknown identity goes to
  ``register``.
* ``register``: the first sign-in with an identity: the claims received and the acceptable-use
  policy; accepting creates the account and signs in.

What the browser is waiting for is kept in the signed session cookie: the flow (``state``,
``nonce``, PKCE verifier, ``next``; 10 minutes) and then the identity waiting for its account (15
minutes). Afterwards the browser goes to ``next``, a path on this site only, so a sign-in that an
authorization request started resumes there.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.aai.models import Account
from fedcore.aai.service import upstream
from fedcore.aai.service.upstream import UpstreamLogin
from fedcore.aai.views.session import (
    complete_sign_in,
    local_path,
    signed_in,
)
from fedcore.core.config import Settings
from fedcore.core.deps import AppSettings, CsrfChecked, DbSession
from fedcore.core.errors import FedcoreError, NotAuthenticated, RuleViolation
from fedcore.core.forms import redirect
from fedcore.core.logging import get_logger
from fedcore.core.templating import flash, render

router = APIRouter()
log = get_logger(__name__)

FLOW_KEY = "aai_upstream"
"""The sign-in under way at a provider: provider, state, nonce, verifier, next, link_sid, since."""
NEW_KEY = "aai_upstream_new"
"""An identity seen for the first time, waiting for its account: login, next, since."""
FLOW_LIFETIME = 600
NEW_LIFETIME = 900


def redirect_uri(settings: Settings, name: str) -> str:
    """Where provider ``name`` sends the browser back (register it at the provider)."""
    return f"{settings.base_url.rstrip('/')}/aai/upstream/{name}/callback"


def sign_in_choices(settings: Settings) -> dict[str, Any]:
    """For pages with "Sign in with ..." or "Link ..." buttons: the configured providers
    (``upstream``), or why there are none (``upstream_error``)."""
    try:
        return {"upstream": upstream.configured_providers(settings=settings), "upstream_error": ""}
    except upstream.UpstreamMisconfigured as exc:
        log.error("upstream providers misconfigured", detail=exc.detail)
        return {
            "upstream": [],
            "upstream_error": "Signing in with another identity provider is not available now: "
            "the server's configuration is wrong (the operators are told).",
        }


def _failed(request: Request, exc: FedcoreError) -> Response:
    log.info("upstream sign-in refused", reason=exc.detail)
    return render(
        request,
        "aai/upstream_error.html",
        status_code=exc.status,
        title=exc.title,
        message=exc.detail,
    )


def _sign_in(
    request: Request, session: Session, account: Account, login: UpstreamLogin, next_path: str
) -> Response:
    log.info("upstream sign-in", provider=login.provider, account=account.voperson_id)
    return complete_sign_in(
        request, session, account, next_path, amr=upstream.FED_AMR, identity_issuer=login.issuer
    )


@router.get("/upstream/{name}/start")
def start(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    name: str,
    next: str = "/",
    link: bool = False,
) -> Response:
    link_sid = None
    if link:
        user = signed_in(request, session)
        if user is None:
            return redirect(f"/aai/login?{urlencode({'next': '/aai/account'})}")
        link_sid = user[0].id
    try:
        provider = upstream.get_provider(settings=settings, name=name)
        url, pending = upstream.begin_login(
            settings=settings, provider=provider, redirect_uri=redirect_uri(settings, name)
        )
    except FedcoreError as exc:
        return _failed(request, exc)
    request.session[FLOW_KEY] = {
        **pending,
        "provider": name,
        "next": local_path(next),
        "link_sid": link_sid,
        "since": int(time.time()),
    }
    return RedirectResponse(url, status_code=303)


def _link(
    request: Request, session: Session, login: UpstreamLogin, link_sid: str, next_path: str
) -> Response:
    user = signed_in(request, session)
    if user is None or user[0].id != link_sid:
        raise NotAuthenticated(
            "you were signed out before the identity could be linked; sign in and link it again"
        )
    display = upstream.get_provider(settings=request.app.state.settings, name=login.provider)
    try:
        upstream.link_identity(session=session, account=user[1], login=login)
    except RuleViolation:
        flash(request, f"This {display.display_name} identity is linked to your account already.")
        return redirect(next_path)
    flash(request, f"Your {display.display_name} identity is linked: you can sign in with it now.")
    return redirect(next_path)


@router.get("/upstream/{name}/callback")
def callback(request: Request, session: DbSession, settings: AppSettings, name: str) -> Response:
    pending = request.session.pop(FLOW_KEY, None)
    try:
        if (
            not isinstance(pending, dict)
            or pending.get("provider") != name
            or time.time() - float(pending.get("since", 0)) > FLOW_LIFETIME
        ):
            raise NotAuthenticated(
                "this sign-in answer does not belong to a sign-in this browser started, or it "
                "took too long; start again"
            )
        provider = upstream.get_provider(settings=settings, name=name)
        login = upstream.complete_login(
            settings=settings,
            provider=provider,
            redirect_uri=redirect_uri(settings, name),
            pending=pending,
            params=dict(request.query_params),
        )
        next_path = local_path(str(pending.get("next", "/")))
        if pending.get("link_sid"):
            return _link(request, session, login, str(pending["link_sid"]), next_path)
        account = upstream.sign_in_account(session=session, login=login)
    except FedcoreError as exc:
        return _failed(request, exc)
    if account is not None:
        return _sign_in(request, session, account, login, next_path)
    request.session[NEW_KEY] = {
        "login": login.as_dict(),
        "next": next_path,
        "since": int(time.time()),
    }
    return redirect("/aai/upstream/register")


def _waiting(request: Request) -> tuple[UpstreamLogin, str] | None:
    """The identity waiting for its account and where it goes next, unless that wait is over."""
    waiting = request.session.get(NEW_KEY)
    if not isinstance(waiting, dict) or time.time() - waiting.get("since", 0) > NEW_LIFETIME:
        request.session.pop(NEW_KEY, None)
        return None
    return UpstreamLogin.from_dict(waiting["login"]), local_path(str(waiting.get("next", "/")))


def _register_page(
    request: Request, login: UpstreamLogin, errors: dict[str, str], status_code: int = 200
) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "aai/upstream_register.html",
        status_code=status_code,
        provider=upstream.provider_names(settings=settings).get(login.issuer, login.issuer),
        login=login,
        claims=login.claims,
        aup_url=settings.aup_url,
        errors=errors,
    )


@router.get("/upstream/register")
def register_form(request: Request) -> Response:
    waiting = _waiting(request)
    if waiting is None:
        flash(request, "That took too long; sign in again.")
        return redirect("/aai/login")
    return _register_page(request, waiting[0], errors={})


@router.post("/upstream/register")
def register(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    accept_aup: Annotated[str, Form()] = "",
) -> Response:
    waiting = _waiting(request)
    if waiting is None:
        flash(request, "That took too long; sign in again.")
        return redirect("/aai/login")
    login, next_path = waiting
    try:
        account = upstream.register_account(
            session=session, settings=settings, login=login, accept_aup=bool(accept_aup)
        )
    except FedcoreError as exc:
        if exc.field == "accept_aup":
            return _register_page(request, login, {"accept_aup": exc.detail}, exc.status)
        request.session.pop(NEW_KEY, None)
        return _failed(request, exc)
    request.session.pop(NEW_KEY, None)
    return _sign_in(request, session, account, login, next_path)
