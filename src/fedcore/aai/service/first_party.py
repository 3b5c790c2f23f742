"""fedcore's own clients of its provider, made on first use and kept in step with the settings:

* ``fedcore-web``: the pages sign in through the authorization code flow (public, PKCE);
* ``fedcore-cli``: tokens for the command line, minted on the account page or obtained with the
  device flow (public; refresh tokens with ``offline_access``).

Both are first-party: people are not asked for consent.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fedcore.aai.enums import SCOPES, ClientStatus, GrantType
from fedcore.aai.models import Client
from fedcore.aai.service import clients
from fedcore.core.config import Settings
from fedcore.core.db import utcnow

WEB_CLIENT_ID = "fedcore-web"
CLI_CLIENT_ID = "fedcore-cli"
WEB_SCOPE = "openid profile email voperson_id eduperson_entitlement"
CLI_SCOPE = WEB_SCOPE + " offline_access"


def _ensure(
    session: Session,
    client_id: str,
    name: str,
    grants: list[str],
    redirect_uris: list[str],
    post_logout: list[str],
) -> Client:
    row = clients.find_client(session=session, client_id=client_id)
    if row is None:
        row = Client(client_id=client_id, name=name, created_at=utcnow(), decided_at=utcnow())
        session.add(row)
    wanted = {
        "public": True,
        "first_party": True,
        "pkce_required": True,
        "status": ClientStatus.APPROVED.value,
        "grant_types": grants,
        "scopes": list(SCOPES),
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout,
    }
    for name_, value in wanted.items():
        if getattr(row, name_) != value:
            setattr(row, name_, value)
    session.flush()
    return row


def web_client(*, session: Session, settings: Settings) -> Client:
    base = settings.base_url.rstrip("/")
    return _ensure(
        session,
        WEB_CLIENT_ID,
        "fedcore pages",
        [GrantType.AUTHORIZATION_CODE.value],
        [f"{base}/login/callback"],
        [f"{base}/"],
    )


def cli_client(*, session: Session, settings: Settings) -> Client:
    return _ensure(
        session,
        CLI_CLIENT_ID,
        "fedcore command line",
        [GrantType.DEVICE_CODE.value, GrantType.REFRESH_TOKEN.value],
        [],
        [],
    )
