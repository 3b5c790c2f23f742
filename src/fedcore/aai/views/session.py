"""The browser's sign-in at the provider: the signed session cookie carries the id of a
:class:`LoginSession` under ``op_sid``. The sign-in pages and the authorization endpoint use
these helpers, so there is one place that reads, starts and ends it, and one rule for where a
browser may be sent afterwards.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from fedcore.aai.models import Account, LoginSession
from fedcore.aai.service import accounts, profile, sessions
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.core.forms import redirect

SESSION_KEY = "op_sid"
PENDING_KEY = "aai_pending"
"""A sign-in waiting for its second factor: ``{"account_id", "next", "since"}``."""


def current_login_session(request: Request, session: Session) -> LoginSession | None:
    """The browser's live sign-in session, or None (and the stale id is forgotten)."""
    sid = request.session.get(SESSION_KEY)
    if not isinstance(sid, str):
        return None
    login = sessions.get_login_session(session=session, sid=sid)
    if login is None:
        request.session.pop(SESSION_KEY, None)
    return login


def signed_in(request: Request, session: Session) -> tuple[LoginSession, Account] | None:
    """The browser's live sign-in session and its account, or None."""
    login = current_login_session(request, session)
    if login is None:
        return None
    account = accounts.get_account(session=session, account_id=login.account_id)
    return (login, account) if account is not None else None


def begin_browser_session(request: Request, login_session: LoginSession) -> None:
    """Remember a new sign-in in the cookie; the form token changes with it (a token seen
    before the sign-in is no good after it) and a pending second-factor step is dropped."""
    request.session.pop(PENDING_KEY, None)
    request.session.pop("csrf", None)
    request.session[SESSION_KEY] = login_session.id


def complete_sign_in(
    request: Request,
    session: Session,
    account: Account,
    next_path: str,
    *,
    amr: list[str],
    identity_issuer: str = LOCAL_ISSUER,
) -> RedirectResponse:
    """Sign the browser in to ``account`` with a new sign-in session (ending the one it had),
    then send it to ``next_path``, by way of the policy page when a newer policy version waits
    for acceptance."""
    end_browser_session(request, session)
    login = sessions.start_login_session(
        session=session,
        account=account,
        amr=amr,
        identity_issuer=identity_issuer,
        user_agent=request.headers.get("user-agent", ""),
        ip_address=request.client.host if request.client else "unknown",
    )
    begin_browser_session(request, login)
    if profile.aup_outdated(settings=request.app.state.settings, account=account):
        return redirect(f"/aai/aup?{urlencode({'next': next_path})}")
    return redirect(next_path)


def end_browser_session(request: Request, session: Session) -> None:
    """Sign the browser out: end its sign-in session (for good) and forget it."""
    sid = request.session.pop(SESSION_KEY, None)
    request.session.pop(PENDING_KEY, None)
    if isinstance(sid, str):
        sessions.end_login_session(session=session, sid=sid)


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/``: a sign-in never sends the browser
    to another site (``//host`` and ``/\\host`` are other sites to browsers)."""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and all(c.isprintable() and not c.isspace() for c in target)
    ):
        return target
    return "/"
