"""Helpers for protocol tests: clients, a verified local account with a login session, PKCE."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Client, LoginSession
from fedcore.aai.schemas import ClientCreate
from fedcore.aai.service import accounts, clients, sessions
from fedcore.core.config import Settings
from fedcore.core.security import principal_for

REDIRECT = "https://rp.example.org/cb"
ALL_SCOPES = "openid profile email voperson_id eduperson_entitlement offline_access"


@dataclass
class Registered:
    row: Client
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def auth(self) -> tuple[str, str]:
        assert self.secret is not None
        return (self.row.client_id, self.secret)


def make_client(
    session: Session,
    settings: Settings,
    *,
    grants: list[str],
    public: bool = False,
    scopes: str = ALL_SCOPES,
    redirect_uris: list[str] | None = None,
    pkce_required: bool = True,
    name: str = "test client",
) -> Registered:
    operator = principal_for(settings.admin_subject, settings.admin_subject)
    if redirect_uris is None:
        redirect_uris = [REDIRECT] if "authorization_code" in grants or "code" in grants else []
    data = ClientCreate.model_validate(
        {
            "name": name,
            "public": public,
            "grant_types": grants,
            "scopes": scopes.split(),
            "redirect_uris": redirect_uris,
            "pkce_required": pkce_required,
        }
    )
    row, secret = clients.register_client(
        session=session, settings=settings, actor=operator, data=data
    )
    session.commit()
    return Registered(row, secret)


PASSWORD = "correct horse battery staple"


def make_person(
    session: Session, settings: Settings, email: str = "ada@example.org"
) -> tuple[Account, LoginSession]:
    account = accounts.sign_up(
        session=session,
        settings=settings,
        email=email,
        password=PASSWORD,
        given_name="Ada",
        family_name="Lovelace",
        accept_aup=True,
    )
    account.email_verified = True
    login = sessions.start_login_session(session=session, account=account, amr=["pwd"])
    session.commit()
    return account, login


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
