"""Upstream identities and the accounts they sign in to: ``(issuer, sub)`` in :class:`Identity`.
A known identity signs in to its account (:func:`sign_in_account`); an unknown one creates an
account (:func:`register_account`, after the person accepted the policy) or is linked to the
signed-in account (:func:`link_identity`). An identity belongs to one account; an account keeps at
least one identity (:func:`unlink_identity`). Accounts are never matched by e-mail address.

Profile claims are taken once, when the account is created; the account's ``voperson_id`` is
minted here, never taken from upstream.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fedcore.aai.enums import AccountStatus
from fedcore.aai.models import Account, Identity, LocalCredential, LoginSession
from fedcore.aai.service import accounts
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.aai.service.upstream.flow import UpstreamLogin
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    RuleViolation,
    ValidationFailed,
)

FED_AMR = ["fed"]
"""RFC 8176: the person authenticated at a federated identity provider."""


def find_identity(*, session: Session, issuer: str, subject: str) -> Identity | None:
    return session.scalars(
        select(Identity).where(Identity.issuer == issuer).where(Identity.subject == subject)
    ).one_or_none()


def sign_in_account(*, session: Session, login: UpstreamLogin) -> Account | None:
    """The account of a known identity (its use recorded), or None for an unknown identity;
    NotAuthenticated when the account is suspended.

    What the provider says about the person's home organisation at this sign-in (scoped
    affiliation, assurance) replaces what the account had: it is the provider's to assert. The
    names and e-mail address are the person's to edit and stay as they are."""
    identity = find_identity(session=session, issuer=login.issuer, subject=login.subject)
    if identity is None:
        return None
    account = session.get(Account, identity.account_id)
    assert account is not None
    if account.status != AccountStatus.ACTIVE:
        raise NotAuthenticated("this account is suspended; contact the operators")
    identity.last_used_at = utcnow()
    if login.claims.get("email"):
        identity.email = str(login.claims["email"])
    account.affiliations = list(login.claims.get("affiliations", []))
    account.assurance = list(login.claims.get("assurance", []))
    session.flush()
    return account


def _identity_taken() -> Conflict:
    return Conflict(
        "this identity is already linked to another account; sign in with it to use that "
        "account, or unlink it there first",
        field="identity",
    )


def register_account(
    *, session: Session, settings: Settings, login: UpstreamLogin, accept_aup: bool
) -> Account:
    """A new account for an identity seen for the first time, from its claims; the person must
    accept the acceptable-use policy."""
    if not accept_aup:
        raise ValidationFailed(
            "you need to accept the acceptable-use policy to get an account", field="accept_aup"
        )
    if find_identity(session=session, issuer=login.issuer, subject=login.subject) is not None:
        raise _identity_taken()
    claims = login.claims
    now = utcnow()
    try:
        with session.begin_nested():
            account = Account(
                voperson_id=accounts.mint_voperson_id(settings),
                status=AccountStatus.ACTIVE,
                email=str(claims.get("email", "")),
                email_verified=bool(claims.get("email_verified")),
                name=str(claims.get("name", "")),
                given_name=str(claims.get("given_name", "")),
                family_name=str(claims.get("family_name", "")),
                orcid=str(claims.get("orcid", "")),
                affiliations=list(claims.get("affiliations", [])),
                assurance=list(claims.get("assurance", [])),
                aup_accepted_at=now,
                aup_version=settings.aup_version,
                created_at=now,
            )
            session.add(account)
            session.flush()
            session.add(
                Identity(
                    account_id=account.id,
                    issuer=login.issuer,
                    subject=login.subject,
                    email=account.email,
                    created_at=now,
                    last_used_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        raise _identity_taken() from None
    return account


def link_identity(*, session: Session, account: Account, login: UpstreamLogin) -> Identity:
    """Link an upstream identity to ``account``; Conflict when it belongs to another account,
    RuleViolation when it is linked to this one already."""
    existing = find_identity(session=session, issuer=login.issuer, subject=login.subject)
    if existing is not None:
        if existing.account_id == account.id:
            raise RuleViolation("this identity is linked to your account already")
        raise _identity_taken()
    now = utcnow()
    identity = Identity(
        account_id=account.id,
        issuer=login.issuer,
        subject=login.subject,
        email=str(login.claims.get("email", "")),
        created_at=now,
        last_used_at=now,
    )
    try:
        with session.begin_nested():
            session.add(identity)
            session.flush()
    except IntegrityError:
        raise _identity_taken() from None
    return identity


def unlink_identity(
    *, session: Session, account: Account, identity_id: int, keep_session: str | None = None
) -> Identity:
    """Remove one of the account's identities: it no longer signs in (for the local one, the
    password and second factor are deleted too), and the account's sign-in sessions made with
    it end (unless another of its identities has the same issuer), except ``keep_session``. The
    last identity stays: RuleViolation."""
    identity = session.get(Identity, identity_id)
    if identity is None or identity.account_id != account.id:
        raise NotFound("no such identity of yours (it may have been unlinked already)")
    others = list(
        session.scalars(
            select(Identity)
            .where(Identity.account_id == account.id)
            .where(Identity.id != identity.id)
        )
    )
    if not others:
        raise RuleViolation(
            "this is the only way to sign in to your account; link another identity before "
            "unlinking this one",
            field="identity",
        )
    if identity.issuer == LOCAL_ISSUER:
        session.execute(delete(LocalCredential).where(LocalCredential.account_id == account.id))
    if all(other.issuer != identity.issuer for other in others):
        now = utcnow()
        for login in session.scalars(
            select(LoginSession)
            .where(LoginSession.account_id == account.id)
            .where(LoginSession.identity_issuer == identity.issuer)
            .where(LoginSession.ended_at.is_(None))
        ):
            if login.id != keep_session:
                login.ended_at = now
    session.delete(identity)
    session.flush()
    return identity
