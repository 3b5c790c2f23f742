"""OIDC clients and service accounts: registration, approval, secrets, entitlements.

* A client registered by an operator is approved at once; anybody else's waits (``pending``)
  until an operator approves or rejects it. An operator can suspend an approved client and
  approve it again. **Only approved clients may use the protocol**: the OpenID provider looks
  clients up with :func:`protocol_client` and refuses any whose ``status`` is not ``approved``.
  Rejecting, suspending or deleting a client revokes the token grants issued to it.
* ``client_id`` is a random UUID. A confidential client's secret (256 random bits) is returned
  once, by registration and by rotation; only its SHA-256 is stored.
* A client with the ``client_credentials`` grant is a service account: its tokens' ``sub`` is
  ``service_subject`` = ``<32 hex>@<FEDCORE_AAI_DOMAIN>``, minted once and never changed or
  reused, and operators assign it entitlements (URNs released like a person's).
* Only operators decide whether a client's access tokens carry the subject's entitlements
  (``entitlements_in_token``): a JWT shows them to every resource server it reaches, so it is
  guarded like a service account's entitlements (``aai.client.entitlements``).
* Owners may change their clients. A change by the owner that adds a grant sends an approved
  client back to ``pending``, and so does any change to a rejected one (resubmission).
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from fedcore.aai.enums import ClientStatus, GrantType
from fedcore.aai.models import Client
from fedcore.aai.permissions import permissions
from fedcore.aai.schemas import ClientCreate, ClientUpdate, ServiceEntitlements
from fedcore.aai.service import accounts, tokens
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import (
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from fedcore.core.security import Principal, hash_token

DECISIONS: dict[ClientStatus, frozenset[ClientStatus]] = {
    ClientStatus.APPROVED: frozenset(
        {ClientStatus.PENDING, ClientStatus.REJECTED, ClientStatus.SUSPENDED}
    ),
    ClientStatus.REJECTED: frozenset({ClientStatus.PENDING}),
    ClientStatus.SUSPENDED: frozenset({ClientStatus.APPROVED}),
}
"""An operator's decision -> the statuses a client may have before it."""

MAX_REASON = 1000


def _new_secret() -> tuple[str, str]:
    """A client secret and the hash that is stored."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_token(secret)


def find_client(*, session: Session, client_id: str) -> Client | None:
    """The client, or None; no permission check (the protocol layer authenticates clients)."""
    return session.scalar(select(Client).where(Client.client_id == client_id))


CLIENT_CACHE_SECONDS = 5.0
_protocol_clients: dict[str, tuple[float, Client]] = {}


def protocol_client(*, session: Session, client_id: str) -> Client | None:
    """A registered client as the token endpoint sees it, read at most every
    ``CLIENT_CACHE_SECONDS`` per process (changes made here are seen at once).

    The copy is detached from any session. Tokens of a client that is no longer approved are
    refused when they are verified (``tokens.verify_access_token``), cached or not.
    """
    hit = _protocol_clients.get(client_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    row = find_client(session=session, client_id=client_id)
    if row is None:
        return None
    columns = Client.__mapper__.column_attrs
    copy = Client(**{column.key: getattr(row, column.key) for column in columns})
    _protocol_clients[client_id] = (time.monotonic() + CLIENT_CACHE_SECONDS, copy)
    return copy


def forget_clients() -> None:
    """Drop the protocol's cached clients (after any change, and between tests)."""
    _protocol_clients.clear()


def get_client(*, session: Session, client_id: str) -> Client:
    client = find_client(session=session, client_id=client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id}")
    return client


def show_client(*, session: Session, actor: Principal, client_id: str) -> Client:
    """The client, for its owner or an operator."""
    client = get_client(session=session, client_id=client_id)
    permissions.require("aai.client.read", session=session, actor=actor, target=client)
    return client


def check_client_secret(client: Client, secret: str) -> bool:
    """Whether ``secret`` is the confidential client's secret (compared in constant time)."""
    if client.public or client.secret_hash is None:
        return False
    return hmac.compare_digest(client.secret_hash, hash_token(secret))


def _require_token_entitlements_decider(
    session: Session, actor: Principal, client: Client | None
) -> None:
    if not permissions.allows(
        "aai.client.entitlements", session=session, actor=actor, target=client
    ):
        raise Forbidden(
            "only operators decide whether a client's tokens carry entitlements",
            field="entitlements_in_token",
        )


def register_client(
    *, session: Session, settings: Settings, actor: Principal, data: ClientCreate
) -> tuple[Client, str | None]:
    """Register a client owned by ``actor``; returns it and its secret (None for a public
    client), which is not kept and cannot be shown again."""
    permissions.require("aai.client.create", session=session, actor=actor)
    if data.entitlements_in_token:
        _require_token_entitlements_decider(session, actor, None)
    secret, secret_hash = (None, None) if data.public else _new_secret()
    now = utcnow()
    client = Client(
        client_id=str(uuid.uuid4()),
        secret_hash=secret_hash,
        name=data.name,
        description=data.description,
        owner_subject=actor.subject,
        public=data.public,
        redirect_uris=data.redirect_uris,
        post_logout_redirect_uris=data.post_logout_redirect_uris,
        grant_types=[g.value for g in data.grant_types],
        scopes=data.scopes,
        pkce_required=data.pkce_required,
        entitlements_in_token=data.entitlements_in_token,
        status=ClientStatus.APPROVED if actor.is_admin else ClientStatus.PENDING,
        service_subject=(
            accounts.mint_voperson_id(settings)
            if GrantType.CLIENT_CREDENTIALS in data.grant_types
            else None
        ),
        entitlements=[],
        created_at=now,
        decided_at=now if actor.is_admin else None,
        decided_by=actor.subject if actor.is_admin else "",
    )
    session.add(client)
    session.flush()
    return client, secret


def list_clients(
    *, session: Session, actor: Principal, status: ClientStatus | None = None
) -> list[Client]:
    """The actor's own clients, or every client for an operator; pending first, then newest."""
    if not actor.is_authenticated:
        raise NotAuthenticated("listing clients needs an authenticated caller")
    query = select(Client)
    if not actor.is_admin:
        query = query.where(Client.owner_subject == actor.subject)
    if status is not None:
        query = query.where(Client.status == status)
    pending_first = case((Client.status == ClientStatus.PENDING, 0), else_=1)
    return list(
        session.scalars(query.order_by(pending_first, Client.created_at.desc(), Client.id.desc()))
    )


def _as_create(client: Client) -> dict[str, object]:
    return {
        "name": client.name,
        "description": client.description,
        "public": client.public,
        "grant_types": client.grant_types,
        "pkce_required": client.pkce_required,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "scopes": client.scopes,
        "entitlements_in_token": client.entitlements_in_token,
    }


def update_client(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    client_id: str,
    data: ClientUpdate,
) -> Client:
    client = get_client(session=session, client_id=client_id)
    permissions.require("aai.client.update", session=session, actor=actor, target=client)
    if data.entitlements_in_token not in (None, client.entitlements_in_token):
        _require_token_entitlements_decider(session, actor, client)
    merged = ClientCreate.model_validate(
        {**_as_create(client), **data.model_dump(exclude_none=True)}
    )
    grants = [g.value for g in merged.grant_types]
    added_grant = bool(set(grants) - set(client.grant_types))
    client.name = merged.name
    client.description = merged.description
    client.grant_types = grants
    client.pkce_required = merged.pkce_required
    client.redirect_uris = merged.redirect_uris
    client.post_logout_redirect_uris = merged.post_logout_redirect_uris
    client.scopes = merged.scopes
    client.entitlements_in_token = merged.entitlements_in_token
    if GrantType.CLIENT_CREDENTIALS in grants and client.service_subject is None:
        client.service_subject = accounts.mint_voperson_id(settings)
    if not actor.is_admin and (
        client.status == ClientStatus.REJECTED
        or (client.status == ClientStatus.APPROVED and added_grant)
    ):
        client.status = ClientStatus.PENDING
        client.decided_at = None
        client.decided_by = ""
        client.decision_reason = ""
    session.flush()
    forget_clients()
    return client


def delete_client(*, session: Session, actor: Principal, client_id: str) -> None:
    """Delete the client with its consents, revoking the grants issued to it. Its
    ``service_subject`` is never minted again (it is random)."""
    client = get_client(session=session, client_id=client_id)
    permissions.require("aai.client.delete", session=session, actor=actor, target=client)
    tokens.revoke_grants(session=session, reason="client deleted", client_id=client.client_id)
    session.delete(client)
    session.flush()
    forget_clients()


def rotate_client_secret(
    *, session: Session, actor: Principal, client_id: str
) -> tuple[Client, str]:
    """A new secret for a confidential client; the old one stops working at once."""
    client = get_client(session=session, client_id=client_id)
    permissions.require("aai.client.rotate_secret", session=session, actor=actor, target=client)
    if client.public:
        raise RuleViolation("a public client has no secret to rotate")
    secret, client.secret_hash = _new_secret()
    session.flush()
    forget_clients()
    return client, secret


def decide_client(
    *, session: Session, actor: Principal, client_id: str, status: str, reason: str = ""
) -> Client:
    """An operator approves, rejects or suspends a client. Rejecting or suspending revokes
    the grants issued to it."""
    client = get_client(session=session, client_id=client_id)
    permissions.require("aai.client.decide", session=session, actor=actor, target=client)
    decision = next((d for d in DECISIONS if d == status), None)
    if decision is None:
        raise ValidationFailed(
            f"{status!r} is not a decision; use {', '.join(DECISIONS)}", field="status"
        )
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"must be at most {MAX_REASON} characters", field="reason")
    if client.status not in DECISIONS[decision]:
        allowed = " or ".join(d for d, before in DECISIONS.items() if client.status in before)
        raise RuleViolation(
            f"cannot be {decision}: the client is {client.status} (it can be {allowed})",
            field="status",
        )
    client.status = decision
    client.decided_at = utcnow()
    client.decided_by = actor.subject
    client.decision_reason = reason
    if decision != ClientStatus.APPROVED:
        tokens.revoke_grants(
            session=session, reason=f"client {decision}", client_id=client.client_id
        )
    session.flush()
    forget_clients()
    return client


def set_service_entitlements(
    *, session: Session, actor: Principal, client_id: str, entitlements: list[str]
) -> Client:
    """An operator sets a service account's entitlements (URNs; duplicates dropped, order
    kept). They are released in its tokens' claims from the next token on."""
    client = get_client(session=session, client_id=client_id)
    permissions.require("aai.client.entitlements", session=session, actor=actor, target=client)
    if client.service_subject is None or GrantType.CLIENT_CREDENTIALS not in client.grant_types:
        raise RuleViolation(
            "only service accounts (clients with the client_credentials grant) hold entitlements",
            field="entitlements",
        )
    client.entitlements = ServiceEntitlements(entitlements=entitlements).entitlements
    session.flush()
    forget_clients()
    return client
