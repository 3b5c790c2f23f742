"""FastAPI dependencies every subsystem's routers use: the database session of the request,
the calling principal, CSRF checks for forms, and typed aliases for them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import session_scope
from fedcore.core.errors import Forbidden, NotAuthenticated
from fedcore.core.security import (
    ANONYMOUS,
    Principal,
    authenticate,
    principal_for,
    principal_from_token_id,
)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed if the endpoint returns, rolled back if it raises.

    Unsafe methods take the write lock up front (see ``session_scope``).
    """
    write = True if request.method not in SAFE_METHODS else None
    with session_scope(request.app.state.sessionmaker, write=write) as session:
        yield session


@contextmanager
def request_transaction(request: Request, *, write: bool | None) -> Iterator[Session]:
    """The request's transaction for a route that runs outside dependency injection (a hot path
    doing all its work in one worker thread); ``write`` as in ``session_scope``. A replacement of
    :func:`get_session` in ``app.dependency_overrides`` (the tests' rolled-back session) is used
    instead when there is one."""
    override = request.app.dependency_overrides.get(get_session)
    if override is not None:
        with contextmanager(override)() as session:
            yield session
        return
    with session_scope(request.app.state.sessionmaker, write=write) as session:
        yield session


# scope="function": commit before the response is sent. FastAPI's default runs the code after
# ``yield`` once the response is out, so a client following a 303 (post/redirect/get) or reading
# back what it just created could arrive before the commit, and a failed commit would go unseen.
_session = Depends(get_session, scope="function")


def get_principal(request: Request, session: Annotated[Session, _session]) -> Principal:
    """Bearer token first (API clients), then the page session cookie; anonymous otherwise."""
    principal = _resolve_principal(request, session)
    request.state.principal = principal
    return principal


def _resolve_principal(request: Request, session: Session) -> Principal:
    settings = get_settings_dep(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return authenticate(session, token.strip(), settings)
    if settings.client_dn_header:
        dn = request.headers.get(settings.client_dn_header, "").strip()
        if dn and dn != "(null)":
            return principal_for(dn, settings.admin_subject)
    if "session" not in request.scope:
        return ANONYMOUS
    token_id = request.session.get("token_id")
    if isinstance(token_id, int):
        return principal_from_token_id(session, token_id, settings.admin_subject)
    access_token = request.session.get("access_token")
    if isinstance(access_token, str):
        try:
            return authenticate(session, access_token, settings)
        except NotAuthenticated:
            request.session.pop("access_token", None)
    return ANONYMOUS


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def verify_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(str(expected), csrf):
        raise Forbidden("the form is stale or was not sent by this site; reload and try again")


DbSession = Annotated[Session, _session]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]
CsrfChecked = Annotated[None, Depends(verify_csrf)]
