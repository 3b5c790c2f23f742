"""Sign-up, e-mail verification, sign-in (password, then the TOTP code when the account has
one), sign-out, password reset and the acceptable-use policy, under ``/aai/``.

A sign-in is complete only when every factor is right: after the password, the account waits in
the cookie (``aai_pending``, 5 minutes) for its code and is not signed in. Wrong passwords and
codes count towards the account's lockout and the address's failure limit (core ``ratelimit``,
``login``: 429 past it). After sign-in the browser goes to ``next``, a path on this site only,
by way of the policy page when a newer policy version waits for acceptance.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.aai.models import Account
from fedcore.aai.service import accounts, profile
from fedcore.aai.views import account_page
from fedcore.aai.views.session import (
    PENDING_KEY,
    complete_sign_in,
    current_login_session,
    end_browser_session,
    local_path,
    signed_in,
)
from fedcore.aai.views.upstream import sign_in_choices
from fedcore.core.deps import AppSettings, CsrfChecked, DbSession
from fedcore.core.errors import FedcoreError, NotAuthenticated, RuleViolation, ValidationFailed
from fedcore.core.forms import redirect
from fedcore.core.ratelimit import failure_limiter
from fedcore.core.templating import flash, render

router = APIRouter()
router.include_router(account_page.router)

PENDING_LIFETIME = 300
"""Seconds a password-checked sign-in waits for its second factor."""
MFA_AMR = ["pwd", "otp", "mfa"]
"""RFC 8176 methods of a sign-in with password and TOTP code."""


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _too_many(request: Request, template: str, **context: Any) -> Response | None:
    """The page with a 429 and Retry-After when this address failed too often lately."""
    limiter = failure_limiter("login")
    if not limiter.blocked(_address(request)):
        return None
    retry = limiter.retry_after(_address(request))
    response = render(
        request,
        template,
        status_code=429,
        error=f"Too many failed attempts from your network; try again in {retry} seconds.",
        **context,
    )
    response.headers["Retry-After"] = str(retry)
    return response


# --- sign-up and verification --------------------------------------------------------------------


@router.get("/signup")
def signup_form(request: Request, settings: AppSettings) -> Response:
    return render(request, "aai/signup.html", values={}, errors={}, aup_url=settings.aup_url)


@router.post("/signup")
def signup(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    given_name: Annotated[str, Form()] = "",
    family_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_confirm: Annotated[str, Form()] = "",
    accept_aup: Annotated[str, Form()] = "",
) -> Response:
    values = {"given_name": given_name, "family_name": family_name, "email": email}
    try:
        if password != password_confirm:
            raise ValidationFailed("the two passwords differ", field="password_confirm")
        accounts.sign_up(
            session=session,
            settings=settings,
            email=email,
            password=password,
            given_name=given_name,
            family_name=family_name,
            accept_aup=bool(accept_aup),
        )
    except FedcoreError as exc:
        return render(
            request,
            "aai/signup.html",
            status_code=exc.status,
            values=values,
            errors={exc.field or "form": exc.detail},
            aup_url=settings.aup_url,
        )
    flash(request, "Your account is created.")
    return redirect("/aai/verify-email/sent")


@router.get("/verify-email/sent")
def verify_sent(request: Request) -> Response:
    return render(request, "aai/verify_sent.html", errors={}, values={})


@router.post("/verify-email/resend")
def verify_resend(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    email: Annotated[str, Form()] = "",
) -> Response:
    try:
        accounts.resend_verification(session=session, settings=settings, email=email)
    except FedcoreError as exc:
        return render(
            request,
            "aai/verify_sent.html",
            status_code=exc.status,
            values={"email": email},
            errors={exc.field or "email": exc.detail},
        )
    flash(
        request,
        "If that address has an account waiting for confirmation, a new link is on its way.",
    )
    return redirect("/aai/verify-email/sent")


@router.get("/verify-email")
def verify_email(request: Request, session: DbSession, token: str = "") -> Response:
    try:
        accounts.verify_email(session=session, token=token)
    except FedcoreError as exc:
        return render(
            request, "aai/verify_failed.html", status_code=exc.status, error=exc.detail, values={}
        )
    flash(request, "Your e-mail address is confirmed. You can sign in now.")
    return redirect("/aai/login")


# --- sign-in and sign-out ------------------------------------------------------------------------


@router.get("/login")
def login_form(
    request: Request, session: DbSession, settings: AppSettings, next: str = "/"
) -> Response:
    return render(
        request,
        "aai/login.html",
        next=local_path(next),
        email="",
        signed_in=current_login_session(request, session),
        **sign_in_choices(settings),
    )


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    next_path = local_path(next)
    context = {"next": next_path, "email": email, "signed_in": None, **sign_in_choices(settings)}
    if (refused := _too_many(request, "aai/login.html", **context)) is not None:
        return refused
    try:
        account = accounts.authenticate_password(session=session, email=email, password=password)
    except accounts.EmailNotVerified as exc:
        return render(request, "aai/login.html", status_code=403, unverified=exc.detail, **context)
    except NotAuthenticated as exc:
        failure_limiter("login").fail(_address(request))
        return render(request, "aai/login.html", status_code=401, error=exc.detail, **context)
    if accounts.totp_enabled(session=session, account=account):
        request.session[PENDING_KEY] = {
            "account_id": account.id,
            "next": next_path,
            "since": int(time.time()),
        }
        return redirect("/aai/login/totp")
    return complete_sign_in(request, session, account, next_path, amr=["pwd"])


def _pending(request: Request, session: Session) -> tuple[Account, str] | None:
    """The account waiting for its code and where it goes next, unless that wait is over."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_LIFETIME:
        request.session.pop(PENDING_KEY, None)
        return None
    account = accounts.get_account(session=session, account_id=int(pending["account_id"]))
    if account is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return account, local_path(str(pending.get("next", "/")))


@router.get("/login/totp")
def totp_form(request: Request, session: DbSession) -> Response:
    if _pending(request, session) is None:
        return redirect("/aai/login")
    return render(request, "aai/login_totp.html")


@router.post("/login/totp")
def totp_login(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    code: Annotated[str, Form()] = "",
) -> Response:
    waiting = _pending(request, session)
    if waiting is None:
        flash(request, "That took too long; sign in again.")
        return redirect("/aai/login")
    account, next_path = waiting
    if (refused := _too_many(request, "aai/login_totp.html")) is not None:
        return refused
    try:
        accounts.verify_totp(session=session, account=account, code=code)
    except RuleViolation:
        request.session.pop(PENDING_KEY, None)
        return redirect("/aai/login")
    except NotAuthenticated as exc:
        failure_limiter("login").fail(_address(request))
        return render(request, "aai/login_totp.html", status_code=401, error=exc.detail)
    return complete_sign_in(request, session, account, next_path, amr=MFA_AMR)


@router.post("/logout")
def logout(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    end_browser_session(request, session)
    flash(request, "You are signed out.")
    return redirect("/")


# --- password reset -----------------------------------------------------------------------------


@router.get("/password-reset")
def password_reset_form(request: Request, sent: bool = False) -> Response:
    return render(request, "aai/password_reset.html", sent=sent, values={}, errors={})


@router.post("/password-reset")
def password_reset(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    email: Annotated[str, Form()] = "",
) -> Response:
    try:
        accounts.request_password_reset(session=session, settings=settings, email=email)
    except FedcoreError as exc:
        return render(
            request,
            "aai/password_reset.html",
            status_code=exc.status,
            sent=False,
            values={"email": email},
            errors={exc.field or "email": exc.detail},
        )
    return redirect("/aai/password-reset?sent=true")


@router.get("/password-reset/{token}")
def new_password_form(request: Request, session: DbSession, token: str) -> Response:
    try:
        accounts.check_reset_token(session=session, token=token)
    except FedcoreError as exc:
        return render(
            request, "aai/password_new.html", status_code=exc.status, invalid=exc.detail, errors={}
        )
    return render(request, "aai/password_new.html", token=token, errors={})


@router.post("/password-reset/{token}")
def new_password(
    request: Request,
    session: DbSession,
    token: str,
    _csrf: CsrfChecked,
    password: Annotated[str, Form()] = "",
    password_confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        if password != password_confirm:
            accounts.check_reset_token(session=session, token=token)
            raise ValidationFailed("the two passwords differ", field="password_confirm")
        accounts.reset_password(session=session, token=token, new_password=password)
    except FedcoreError as exc:
        if exc.field == "token":
            return render(
                request,
                "aai/password_new.html",
                status_code=exc.status,
                invalid=exc.detail,
                errors={},
            )
        return render(
            request,
            "aai/password_new.html",
            status_code=exc.status,
            token=token,
            errors={exc.field or "password": exc.detail},
        )
    end_browser_session(request, session)
    flash(
        request, "Your password is changed and every sign-in was ended. Sign in with the new one."
    )
    return redirect("/aai/login")


# --- acceptable-use policy ----------------------------------------------------------------------


@router.get("/aup")
def aup(request: Request, session: DbSession, settings: AppSettings, next: str = "/") -> Response:
    user = signed_in(request, session)
    account = user[1] if user else None
    outdated = account is not None and profile.aup_outdated(settings=settings, account=account)
    return render(
        request,
        "aai/aup.html",
        version=settings.aup_version,
        account=account,
        outdated=outdated,
        next=local_path(next),
    )


@router.post("/aup")
def accept_aup(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _csrf: CsrfChecked,
    next: Annotated[str, Form()] = "/",
) -> Response:
    if (user := signed_in(request, session)) is None:
        return redirect("/aai/login?next=%2Faai%2Faup")
    profile.accept_aup(session=session, settings=settings, account=user[1])
    return redirect(local_path(next))
