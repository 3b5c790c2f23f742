"""Claims per scope (reference §A.5/§A.6), always computed from the current database state.

Userinfo and introspection call :func:`subject_claims` for every request, so a change of name,
e-mail, entitlement or assurance is visible at once, without a new token. A person's entitlements
are their group memberships in force (AARC-G069, :mod:`entitlements`) and the registry roles
they hold (GOCDB's form, reference §A.7:
``urn:mace:egi.eu:goc.egi.eu:<id>G0:<entity>:<Role+Name>@egi.eu``); a service account's are
what operators assigned to it and its group memberships.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from fedcore.aai.enums import AccountStatus, ClientStatus
from fedcore.aai.models import Account, Client, LoginSession, TokenGrant
from fedcore.aai.service.entitlements import group_entitlements
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.core.config import Settings
from fedcore.registry.enums import EntityType, RoleStatus
from fedcore.registry.models import Ngi, Project, Role, ServiceGroup, Site, User

REFEDS = "https://refeds.org/assurance"
ASSURANCE_BASE = (
    REFEDS,
    f"{REFEDS}/ID/unique",
    f"{REFEDS}/ID/eppn-unique-no-reassign",
    f"{REFEDS}/ATP/ePA-1m",
)
CAPPUCCINO = f"{REFEDS}/profile/cappuccino"


def _entity(model: type[Project | Ngi | Site | ServiceGroup], kind: EntityType) -> Any:
    return and_(Role.entity_type == kind, Role.entity_id == model.id)


_GRANTED_REGISTRY_ROLES = (
    select(
        Role.id,
        Role.role_type,
        func.coalesce(Project.name, Ngi.name, Site.short_name, ServiceGroup.name, ""),
    )
    .join(User, User.id == Role.user_id)
    .outerjoin(Project, _entity(Project, EntityType.PROJECT))
    .outerjoin(Ngi, _entity(Ngi, EntityType.NGI))
    .outerjoin(Site, _entity(Site, EntityType.SITE))
    .outerjoin(ServiceGroup, _entity(ServiceGroup, EntityType.SERVICE_GROUP))
    .where(User.subject == bindparam("subject"), Role.status == RoleStatus.GRANTED)
    .order_by(Role.id)
)
"""A subject's granted registry roles with the name of what each is held over (one query:
userinfo computes entitlements on every request)."""


def registry_role_entitlements(session: Session, account: Account) -> list[str]:
    """The registry roles granted to the account's subject, as GOCDB releases them."""
    rows = session.execute(_GRANTED_REGISTRY_ROLES, {"subject": account.voperson_id})
    return [
        f"urn:mace:egi.eu:goc.egi.eu:{role_id}G0:{entity}:{role_type.replace(' ', '+')}@egi.eu"
        for role_id, role_type, entity in rows
    ]


def account_entitlements(session: Session, settings: Settings, account: Account) -> list[str]:
    groups = group_entitlements(session=session, settings=settings, subject=account.voperson_id)
    return list(dict.fromkeys([*groups, *registry_role_entitlements(session, account)]))


def service_entitlements(session: Session, settings: Settings, client: Client) -> list[str]:
    subject = client.service_subject or ""
    groups = group_entitlements(session=session, settings=settings, subject=subject)
    return list(dict.fromkeys([*client.entitlements, *groups]))


SECOND_FACTORS = frozenset({"otp", "mfa"})
"""RFC 8176 ``amr`` values of a sign-in that used a second factor."""

_SIGN_IN_OF_GRANT = (
    select(LoginSession.amr, LoginSession.identity_issuer)
    .join(TokenGrant, TokenGrant.login_session_id == LoginSession.id)
    .where(TokenGrant.id == bindparam("grant_id"))
)


@dataclass(frozen=True)
class SignIn:
    """How the person signed in: the ``amr`` (RFC 8176) and the identity source (``local`` or
    an upstream provider's issuer)."""

    amr: tuple[str, ...] = ()
    identity_issuer: str = LOCAL_ISSUER


def sign_in_of(session: Session, grant_id: str | None) -> SignIn:
    """The sign-in a grant came from; none (no methods, the local source) when it has none
    (client credentials, token exchange) or the session is gone."""
    if grant_id is None:
        return SignIn()
    row = session.execute(_SIGN_IN_OF_GRANT, {"grant_id": grant_id}).one_or_none()
    if row is None:
        return SignIn()
    return SignIn(tuple(row.amr or ()), row.identity_issuer)


def assurance(settings: Settings, account: Account, sign_in: SignIn = SignIn()) -> list[str]:
    """The account's ``eduperson_assurance`` for a token from ``sign_in`` (reference §A.10):

    * the REFEDS RAF values every community identity gets;
    * ``IAP/low`` with a verified e-mail address; ``IAP/low`` and ``IAP/medium`` for a sign-in
      through an upstream provider configured with ``"assurance": "substantial"``;
    * ``{issuer}/LoA#Substantial`` for such a sign-in or one with a second factor, else
      ``{issuer}/LoA#Low``;
    * what upstream providers asserted at the account's last sign-in through them;
    * ``profile/cappuccino`` when the values hold ``IAP/medium`` (with the unique identifier and
      the one-month affiliation freshness that every identity has).
    """
    # Imported here: the upstream package signs people in through accounts and tokens, which
    # compute claims with this module.
    from fedcore.aai.service.upstream.config import provider_assurance

    institutional = (
        provider_assurance(settings=settings, issuer=sign_in.identity_issuer) == "substantial"
    )
    values = list(ASSURANCE_BASE)
    if account.email_verified or institutional:
        values.append(f"{REFEDS}/IAP/low")
    if institutional:
        values.append(f"{REFEDS}/IAP/medium")
    substantial = institutional or bool(SECOND_FACTORS & set(sign_in.amr))
    values.append(f"{settings.effective_issuer}/LoA#{'Substantial' if substantial else 'Low'}")
    for value in account.assurance:
        if value not in values:
            values.append(value)
    if f"{REFEDS}/IAP/medium" in values and CAPPUCCINO not in values:
        values.append(CAPPUCCINO)
    return values


def _account_claims(
    session: Session, settings: Settings, account: Account, scopes: set[str], grant_id: str | None
) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": account.voperson_id}
    profile = {
        "name": account.name or " ".join(p for p in (account.given_name, account.family_name) if p),
        "given_name": account.given_name,
        "family_name": account.family_name,
        "preferred_username": account.preferred_username,
    }
    email = {
        "email": account.email,
        "email_verified": account.email_verified,
        "voperson_verified_email": [account.email] if account.email_verified else [],
    }
    if scopes & {"profile", "aarc"}:
        claims.update({k: v for k, v in profile.items() if v})
    if scopes & {"email", "aarc"} and account.email:
        claims.update(email)
    if scopes & {"voperson_id", "aarc"}:
        claims["voperson_id"] = account.voperson_id
    if scopes & {"eduperson_entitlement", "entitlements"}:
        values = account_entitlements(session, settings, account)
        claims["eduperson_entitlement"] = values
        if "entitlements" in scopes:
            claims["entitlements"] = values
    if "eduperson_scoped_affiliation" in scopes:
        claims["eduperson_scoped_affiliation"] = list(account.affiliations)
    if "eduperson_assurance" in scopes:
        claims["eduperson_assurance"] = assurance(settings, account, sign_in_of(session, grant_id))
    if "ssh_public_key" in scopes and account.ssh_public_keys:
        claims["ssh_public_key"] = list(account.ssh_public_keys)
    if "orcid" in scopes and account.orcid:
        claims["orcid"] = account.orcid
    return claims


def _service_claims(
    session: Session, settings: Settings, client: Client, scopes: set[str]
) -> dict[str, Any]:
    subject = client.service_subject or ""
    claims: dict[str, Any] = {"sub": subject, "client_id": client.client_id}
    if scopes & {"profile", "aarc"}:
        claims["name"] = client.name
    if scopes & {"voperson_id", "aarc"}:
        claims["voperson_id"] = subject
    if scopes & {"eduperson_entitlement", "entitlements"}:
        values = service_entitlements(session, settings, client)
        claims["eduperson_entitlement"] = values
        if "entitlements" in scopes:
            claims["entitlements"] = values
    return claims


def subject_claims(
    *,
    session: Session,
    settings: Settings,
    subject: str,
    scopes: Iterable[str],
    grant_id: str | None = None,
) -> dict[str, Any] | None:
    """Claims about ``subject`` (an account or a service account) for these scopes; ``grant_id``
    is the token's grant, whose sign-in (methods and identity source) decides the assurance.

    None when the subject no longer exists or is suspended: its tokens stop working.
    """
    wanted = set(scopes)
    account = session.scalar(select(Account).where(Account.voperson_id == subject))
    if account is not None:
        if account.status != AccountStatus.ACTIVE:
            return None
        return _account_claims(session, settings, account, wanted, grant_id)
    client = session.scalar(select(Client).where(Client.service_subject == subject))
    if client is None or client.status != ClientStatus.APPROVED:
        return None
    return _service_claims(session, settings, client, wanted)
