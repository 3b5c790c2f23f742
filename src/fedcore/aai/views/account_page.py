"""The account page ``/aai/account``: profile, the policy, identities (link another through an
upstream provider, unlink any but the last), sign-in sessions (end one or all others), the TOTP
second factor (set up with a code, turn off with a code), the token grants issued to clients
(revoke) and tokens for the command line. Every change needs the browser's sign-in session;
without one the browser goes to the sign-in page and comes back.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from fedcore.aai.models import Account, LoginSession
from fedcore.aai.service import (
    accounts,
    clients,
    first_party,
    profile,
    sessions,
    tokens,
    upstream,
)
from fedcore.aai.views.session import signed_in
from fedcore.aai.views.upstream import sign_in_choices
from fedcore.core.deps import CsrfChecked, DbSession
from fedcore.core.errors import FedcoreError, NotFound
from fedcore.core.forms import redirect
from fedcore.core.templating import flash, render

router = APIRouter()

ACCOUNT = "/aai/account"


def _sign_in_first() -> RedirectResponse:
    return redirect(f"/aai/login?{urlencode({'next': ACCOUNT})}")


def _page(
    request: Request,
    session: Session,
    login: LoginSession,
    account: Account,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    credential = accounts.get_local_credential(session=session, account=account)
    pending_totp = None
    if credential and credential.totp_secret and credential.totp_enabled_at is None:
        pending_totp = {"secret": credential.totp_secret, "uri": accounts.totp_uri(credential)}
    grants = tokens.list_grants(session=session, account=account)
    client_names = {}
    for grant in grants:
        client = clients.find_client(session=session, client_id=grant.client_id)
        client_names[grant.client_id] = client.name if client else grant.client_id
    return render(
        request,
        "aai/account.html",
        status_code=status_code,
        account=account,
        credential=credential,
        pending_totp=pending_totp,
        identities=accounts.list_identities(session=session, account=account),
        provider_names=upstream.provider_names(settings=settings),
        **sign_in_choices(settings),
        login_sessions=sessions.list_login_sessions(session=session, account=account),
        current_sid=login.id,
        handle=sessions.session_handle,
        fingerprint=profile.ssh_key_fingerprint,
        grants=grants,
        client_names=client_names,
        aup_outdated=profile.aup_outdated(settings=settings, account=account),
        aup_url=settings.aup_url,
        errors=errors or {},
        values=values
        or {
            "given_name": account.given_name,
            "family_name": account.family_name,
            "preferred_username": account.preferred_username,
            "orcid": account.orcid,
            "ssh_public_keys": "\n".join(account.ssh_public_keys),
        },
    )


@router.get("/account")
def account_page(request: Request, session: DbSession) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    return _page(request, session, *user)


@router.post("/account/profile")
def update_profile(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    given_name: Annotated[str, Form()] = "",
    family_name: Annotated[str, Form()] = "",
    preferred_username: Annotated[str, Form()] = "",
    orcid: Annotated[str, Form()] = "",
    ssh_public_keys: Annotated[str, Form()] = "",
) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    login, account = user
    values = {
        "given_name": given_name,
        "family_name": family_name,
        "preferred_username": preferred_username,
        "orcid": orcid,
        "ssh_public_keys": ssh_public_keys,
    }
    try:
        profile.update_profile(
            session=session,
            account=account,
            given_name=given_name,
            family_name=family_name,
            preferred_username=preferred_username,
            orcid=orcid,
            ssh_public_keys=ssh_public_keys.splitlines(),
        )
    except FedcoreError as exc:
        return _page(
            request,
            session,
            login,
            account,
            errors={exc.field or "form": exc.detail},
            values=values,
            status_code=exc.status,
        )
    flash(request, "Your profile is saved.")
    return redirect(ACCOUNT)


@router.post("/account/identities/unlink")
def unlink_identity(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    identity_id: Annotated[str, Form()] = "",
) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    login, account = user
    try:
        upstream.unlink_identity(
            session=session,
            account=account,
            identity_id=int(identity_id) if identity_id.isdigit() else 0,
            keep_session=login.id,
        )
    except FedcoreError as exc:
        return _page(
            request,
            session,
            login,
            account,
            errors={"identity": exc.detail},
            status_code=exc.status,
        )
    flash(request, "The identity is unlinked: it no longer signs in to your account.")
    return redirect(f"{ACCOUNT}#identities")


@router.post("/account/sessions/end")
def end_session(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    handle: Annotated[str, Form()] = "",
) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    _, account = user
    if not sessions.end_session_by_handle(session=session, account=account, handle=handle):
        raise NotFound("no such sign-in session of yours (it may have ended already)")
    flash(request, "The sign-in session is ended.")
    return redirect(ACCOUNT)


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    login, account = user
    ended = sessions.end_other_sessions(session=session, account=account, keep=login.id)
    flash(request, f"{ended} other sign-in session{'' if ended == 1 else 's'} ended.")
    return redirect(ACCOUNT)


@router.post("/account/totp")
def begin_totp(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    login, account = user
    try:
        accounts.begin_totp(session=session, account=account)
    except FedcoreError as exc:
        return _page(
            request, session, login, account, errors={"totp": exc.detail}, status_code=exc.status
        )
    return redirect(f"{ACCOUNT}#totp")


def _totp_change(request: Request, session: Session, code: str, turn_on: bool) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    login, account = user
    try:
        if turn_on:
            accounts.confirm_totp(session=session, account=account, code=code)
        else:
            accounts.disable_totp(session=session, account=account, code=code)
    except FedcoreError as exc:
        return _page(
            request, session, login, account, errors={"code": exc.detail}, status_code=exc.status
        )
    flash(request, "The second factor is on." if turn_on else "The second factor is off.")
    return redirect(f"{ACCOUNT}#totp")


@router.post("/account/totp/confirm")
def confirm_totp(
    request: Request, session: DbSession, _csrf: CsrfChecked, code: Annotated[str, Form()] = ""
) -> Response:
    return _totp_change(request, session, code, turn_on=True)


@router.post("/account/totp/disable")
def disable_totp(
    request: Request, session: DbSession, _csrf: CsrfChecked, code: Annotated[str, Form()] = ""
) -> Response:
    return _totp_change(request, session, code, turn_on=False)


@router.post("/account/tokens/revoke")
def revoke_grant(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    grant_id: Annotated[str, Form()] = "",
) -> Response:
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    _, account = user
    if grant_id not in {g.id for g in tokens.list_grants(session=session, account=account)}:
        raise NotFound("no such token grant of yours (it may have been revoked already)")
    tokens.revoke_grant(session=session, grant_id=grant_id, reason="revoked by the user")
    flash(request, "The grant is revoked: its access and refresh tokens no longer work.")
    return redirect(f"{ACCOUNT}#tokens")


@router.post("/account/tokens/cli")
def cli_token(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    """Mint an access token and a refresh token for the command line (client ``fedcore-cli``);
    shown once, on a page that is not cached."""
    if (user := signed_in(request, session)) is None:
        return _sign_in_first()
    login, account = user
    settings = request.app.state.settings
    client = first_party.cli_client(session=session, settings=settings)
    grant = tokens.create_grant(
        session=session,
        client=client,
        account=account,
        scope=first_party.CLI_SCOPE,
        source="account page",
        login_session_id=login.id,
        auth_time=login.auth_time,
    )
    access_token, expires_in = tokens.issue_access_token(
        session=session,
        settings=settings,
        client=client,
        grant=grant,
        subject=account.voperson_id,
        scope=first_party.CLI_SCOPE,
    )
    refresh_token = tokens.issue_refresh_token(
        session=session, settings=settings, grant=grant, scope=first_party.CLI_SCOPE
    )
    response = render(
        request,
        "aai/cli_token.html",
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=expires_in,
        client_id=client.client_id,
        issuer=settings.effective_issuer,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
