"""Client pages: ``/aai/clients`` (your clients, every client for operators with pending ones
first, and the registration form) and ``/aai/clients/{client_id}`` (details, changes, secret
rotation, deletion; for operators the decision, a service account's entitlements and whether
the client's tokens carry entitlements).

A client secret is shown in the response to the registration or rotation that made it, with
``Cache-Control: no-store``, and never again: it is not kept anywhere, not even in the session.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fedcore.aai.enums import SCOPES, SHORT_GRANTS, ClientStatus, GrantType
from fedcore.aai.models import Client
from fedcore.aai.permissions import permissions
from fedcore.aai.schemas import DEFAULT_SCOPES, ClientCreate, ClientUpdate
from fedcore.aai.service import clients
from fedcore.core.deps import (
    AppSettings,
    CsrfChecked,
    CurrentPrincipal,
    DbSession,
    get_settings_dep,
)
from fedcore.core.forms import Errors, FormFields, attempt, redirect, sign_in_first
from fedcore.core.security import Principal
from fedcore.core.templating import flash, render

router = APIRouter()


GRANT_LABELS = {
    GrantType.AUTHORIZATION_CODE: "Authorization code (sign-in through the browser)",
    GrantType.REFRESH_TOKEN: "Refresh token (needs the offline_access scope)",
    GrantType.DEVICE_CODE: "Device code (command-line tools without a browser)",
    GrantType.CLIENT_CREDENTIALS: "Client credentials (a service account; confidential only)",
    GrantType.TOKEN_EXCHANGE: "Token exchange (RFC 8693; confidential only)",
}
STATUS_COLOURS = {
    ClientStatus.PENDING: "amber",
    ClientStatus.APPROVED: "green",
    ClientStatus.REJECTED: "red",
    ClientStatus.SUSPENDED: "grey",
}


def _form_values(form: FormData, *, operator: bool) -> dict[str, Any]:
    """What the client form sent, as ClientCreate/ClientUpdate fields (an unticked box is
    absent from a form, so it reads as False or an empty list). The entitlements-in-token box
    is on operators' forms only: from anyone else it counts only when sent (and is refused)."""
    values: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "description": str(form.get("description", "")),
        "grant_types": [str(g) for g in form.getlist("grant_types")],
        "pkce_required": form.get("pkce_required") == "on",
        "redirect_uris": str(form.get("redirect_uris", "")),
        "post_logout_redirect_uris": str(form.get("post_logout_redirect_uris", "")),
        "scopes": [str(s) for s in form.getlist("scopes")],
    }
    if operator or "entitlements_in_token" in form:
        values["entitlements_in_token"] = form.get("entitlements_in_token") == "on"
    return values


def _may_entitle_tokens(session: Session, principal: Principal, client: Client | None) -> bool:
    return permissions.allows(
        "aai.client.entitlements", session=session, actor=principal, target=client
    )


def _client_values(client: Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "description": client.description,
        "grant_types": client.grant_types,
        "pkce_required": client.pkce_required,
        "redirect_uris": "\n".join(client.redirect_uris),
        "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
        "scopes": client.scopes,
        "entitlements_in_token": client.entitlements_in_token,
    }


def _common(**context: Any) -> dict[str, Any]:
    return {
        "grant_labels": {g.value: label for g, label in GRANT_LABELS.items()},
        "short_grants": SHORT_GRANTS,
        "scope_labels": SCOPES,
        "status_colours": STATUS_COLOURS,
        **context,
    }


def _render_list(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status: str = "",
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    chosen = ClientStatus(status) if status in ClientStatus.__members__.values() else None
    filter_error = ""
    if status and chosen is None:
        filter_error = f"choose one of: {', '.join(ClientStatus)}"
        status_code = 422
    return render(
        request,
        "aai/clients.html",
        status_code=status_code,
        **_common(
            clients=clients.list_clients(session=session, actor=principal, status=chosen),
            statuses=list(ClientStatus),
            status=status,
            values=values
            or {"grant_types": [], "scopes": list(DEFAULT_SCOPES), "pkce_required": True},
            errors=errors or {},
            filter_error=filter_error,
            may_entitle_tokens=_may_entitle_tokens(session, principal, None),
        ),
    )


def _render_client(
    request: Request,
    session: Session,
    principal: Principal,
    client: Client,
    *,
    secret: str | None = None,
    notice: str | None = None,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    """The client's page; with ``secret`` right after it was made (never cached)."""

    def may(action: str) -> bool:
        return permissions.allows(action, session=session, actor=principal, target=client)

    response = render(
        request,
        "aai/client.html",
        status_code=status_code,
        **_common(
            client=client,
            secret=secret,
            issuer=get_settings_dep(request).effective_issuer,
            values=values or _client_values(client),
            errors=errors or {},
            may_update=may("aai.client.update"),
            may_delete=may("aai.client.delete"),
            may_rotate=may("aai.client.rotate_secret") and not client.public,
            may_decide=may("aai.client.decide"),
            decisions=[d for d, before in clients.DECISIONS.items() if client.status in before],
            may_entitle=may("aai.client.entitlements") and client.service_subject is not None,
            may_entitle_tokens=may("aai.client.entitlements"),
            **({"flash": notice} if notice else {}),
        ),
    )
    if secret is not None:
        response.headers["cache-control"] = "no-store"
    return response


@router.get("/clients")
def client_list(
    request: Request, session: DbSession, principal: CurrentPrincipal, status: str = ""
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    return _render_list(request, session, principal, status=status)


@router.get("/clients/new")
def client_new() -> Response:
    return redirect("/aai/clients#register")


@router.post("/clients/new")
def client_register(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Response:
    operator = _may_entitle_tokens(session, principal, None)
    values = {
        **_form_values(form, operator=operator),
        "public": form.get("client_type") == "public",
    }
    result, errors, status_code = attempt(
        session,
        lambda: clients.register_client(
            session=session, settings=settings, actor=principal, data=ClientCreate(**values)
        ),
    )
    if result is None:
        return _render_list(
            request, session, principal, values=values, errors=errors, status_code=status_code
        )
    client, secret = result
    if secret is None:
        flash(request, _registered(client))
        return redirect(f"/aai/clients/{client.client_id}")
    return _render_client(
        request,
        session,
        principal,
        client,
        secret=secret,
        notice=_registered(client),
        status_code=201,
    )


def _registered(client: Client) -> str:
    if client.status == ClientStatus.APPROVED:
        return f"{client.name} is registered and approved."
    return f"{client.name} is registered; an operator will review it before it can be used."


@router.get("/clients/{client_id}")
def client_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, client_id: str
) -> Response:
    if not principal.is_authenticated:
        return sign_in_first(request)
    client = clients.show_client(session=session, actor=principal, client_id=client_id)
    return _render_client(request, session, principal, client)


@router.post("/clients/{client_id}")
def client_update(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    client_id: str,
) -> Response:
    current = clients.show_client(session=session, actor=principal, client_id=client_id)
    values = _form_values(form, operator=_may_entitle_tokens(session, principal, current))
    client, errors, status_code = attempt(
        session,
        lambda: clients.update_client(
            session=session,
            settings=settings,
            actor=principal,
            client_id=client_id,
            data=ClientUpdate(**values),
        ),
    )
    if client is None:
        return _render_client(
            request,
            session,
            principal,
            current,
            values=values,
            errors=errors,
            status_code=status_code,
        )
    flash(
        request,
        "Saved; an operator will review the change before the client can be used again."
        if client.status == ClientStatus.PENDING
        else "Saved.",
    )
    return redirect(f"/aai/clients/{client_id}")


@router.post("/clients/{client_id}/rotate-secret")
def client_rotate_secret(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    client_id: str,
) -> Response:
    client, secret = clients.rotate_client_secret(
        session=session, actor=principal, client_id=client_id
    )
    return _render_client(
        request,
        session,
        principal,
        client,
        secret=secret,
        notice="A new secret was made; the old one no longer works.",
    )


@router.post("/clients/{client_id}/delete")
def client_delete(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    client_id: str,
) -> Response:
    client = clients.show_client(session=session, actor=principal, client_id=client_id)
    name = client.name
    clients.delete_client(session=session, actor=principal, client_id=client_id)
    flash(request, f"{name} was deleted; its tokens no longer work.")
    return redirect("/aai/clients")


@router.post("/clients/{client_id}/decision")
def client_decide(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    client_id: str,
) -> Response:
    decision = str(form.get("status", ""))
    client, errors, status_code = attempt(
        session,
        lambda: clients.decide_client(
            session=session,
            actor=principal,
            client_id=client_id,
            status=decision,
            reason=str(form.get("reason", "")),
        ),
    )
    if client is None:
        current = clients.show_client(session=session, actor=principal, client_id=client_id)
        return _render_client(
            request, session, principal, current, errors=errors, status_code=status_code
        )
    flash(request, f"{client.name} is {client.status}.")
    return redirect(f"/aai/clients/{client_id}")


@router.post("/clients/{client_id}/entitlements")
def client_entitlements(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
    client_id: str,
) -> Response:
    text = str(form.get("entitlements", ""))
    client, errors, status_code = attempt(
        session,
        lambda: clients.set_service_entitlements(
            session=session, actor=principal, client_id=client_id, entitlements=text.split()
        ),
    )
    if client is None:
        current = clients.show_client(session=session, actor=principal, client_id=client_id)
        return _render_client(
            request,
            session,
            principal,
            current,
            values={**_client_values(current), "entitlements": text},
            errors=errors,
            status_code=status_code,
        )
    flash(request, f"{client.name} holds {len(client.entitlements)} entitlements.")
    return redirect(f"/aai/clients/{client_id}")
