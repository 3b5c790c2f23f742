"""Demo identities for the demo federation: an account for the operator and for each person the
registry demo knows, all with one generated password, plus a service account with an
entitlement, and two communities: ``vo.demo.example`` (an AUP, approval required, a ``cloud``
subgroup with a ``vm_operator`` role, one application waiting for its manager) and
``biomed.demo.example`` (automatic enrolment). Credentials are written to
``<data dir>/demo-credentials.json`` (mode 0600) and printed by ``fedcore demo``.

The demo people are fictitious: their accounts are made as an operator makes them (verified, no
mail) and marked as having accepted the policy, so the demo can be explored at once. The registry
demo keys its people by e-mail-like subjects; their demo accounts keep those
subjects as ``voperson_id``, so their registry roles are theirs when they sign in. Real accounts
always get a minted ``<hex>@<domain>`` identifier.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Identity
from fedcore.aai.schemas import ClientCreate
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import accounts, clients, enrolment, groups, memberships, profile, vos
from fedcore.aai.service.enrolment import EnrolmentData
from fedcore.aai.service.sessions import LOCAL_ISSUER
from fedcore.core.config import Settings
from fedcore.core.errors import ValidationFailed
from fedcore.core.security import Principal, principal_for
from fedcore.registry import service as registry_service

DEMO_VO_ENTITLEMENT = "urn:mace:egi.eu:group:vo.demo.example:role=member#aai.egi.eu"


def credentials_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-credentials.json"


def _account(
    session: Session,
    settings: Settings,
    *,
    subject: str,
    email: str,
    given: str,
    family: str,
    password: str,
) -> Account:
    account = accounts.sign_up(
        session=session,
        settings=settings,
        email=email,
        password=password,
        given_name=given,
        family_name=family,
        accept_aup=False,
        by_operator=True,
    )
    profile.accept_aup(session=session, settings=settings, account=account)
    identity = session.scalar(
        select(Identity).where(Identity.account_id == account.id, Identity.issuer == LOCAL_ISSUER)
    )
    assert identity is not None
    account.voperson_id = identity.subject = subject
    session.flush()
    return account


def _login_email(subject: str) -> str:
    """The subject when it is an e-mail address, else a demo address for it."""
    try:
        return accounts.normalise_email(subject)
    except ValidationFailed:
        return f"{subject.split('@')[0]}@demo.example"


def _communities(
    session: Session, settings: Settings, operator: Principal, people: list[Account]
) -> None:
    """The demo VOs, with the first demo people (after the operator) as managers and members."""
    manager, member, cloud_operator, applicant, biomed_manager = people[1:6]
    demo = vos.register_vo(
        session=session,
        actor=operator,
        manager=manager.voperson_id,
        data=VoCreate(
            name="vo.demo.example",
            description="The demo federation's example community: shared cloud and storage.",
            discipline="Multidisciplinary",
            homepage="https://vo.demo.example",
            aup_text="Use the resources for research only, cite the federation, report incidents.",
            contacts=[manager.email],
        ),
    )
    root = vos.root_group(session, demo)
    cloud = groups.create_group(
        session=session, actor=operator, path=f"{demo.name}/cloud", description="Cloud users"
    )
    groups.add_role(session=session, actor=operator, group=cloud, name="vm_operator")
    for account in (member, cloud_operator):
        memberships.add_member(
            session=session, actor=operator, group=root, subject=account.voperson_id
        )
    memberships.add_member(
        session=session,
        actor=operator,
        group=cloud,
        subject=cloud_operator.voperson_id,
        roles=["member", "vm_operator"],
    )
    join = enrolment.create_enrolment(
        session=session,
        actor=operator,
        group=root,
        data=EnrolmentData(
            name="Join vo.demo.example",
            duration_days=365,
            justification_label="What will you use the resources for?",
            is_default=True,
        ),
    )
    enrolment.apply(
        session=session,
        settings=settings,
        actor=Principal(subject=applicant.voperson_id),
        enrolment_id=join.id,
        roles=["member"],
        justification="Training neural networks on the cloud.",
        accept_aup=True,
    )
    biomed = vos.register_vo(
        session=session,
        actor=operator,
        manager=biomed_manager.voperson_id,
        data=VoCreate(
            name="biomed.demo.example",
            description="Biomedical research (open enrolment).",
            discipline="Medical and health sciences",
        ),
    )
    enrolment.create_enrolment(
        session=session,
        actor=operator,
        group=vos.root_group(session, biomed),
        data=EnrolmentData(
            name="Join biomed", approval_required=False, aup_required=False, duration_days=180
        ),
    )


def load_demo(*, session: Session, settings: Settings) -> dict[str, Any]:
    """Create the demo accounts and clients; returns what ``credentials_path`` now holds."""
    password = secrets.token_urlsafe(12)
    operator_subject = settings.admin_subject or "operator@fedcore.demo"
    people = [(operator_subject, "Olivia", "Operator")] + [
        (user.subject, user.forename, user.surname)
        for user in registry_service.list_users(session=session)
        if "@" in user.subject and user.subject != operator_subject
    ]
    made = [
        _account(
            session,
            settings,
            subject=subject,
            email=_login_email(subject),
            given=given,
            family=family,
            password=password,
        )
        for subject, given, family in people
    ]
    operator = principal_for(operator_subject, operator_subject)
    _communities(session, settings, operator, made)
    service, service_secret = clients.register_client(
        session=session,
        settings=settings,
        actor=operator,
        data=ClientCreate.model_validate(
            {
                "name": "Demo monitoring (service account)",
                "grant_types": ["client_credentials"],
                "scopes": ["openid", "voperson_id", "eduperson_entitlement", "entitlements"],
            }
        ),
    )
    clients.set_service_entitlements(
        session=session,
        actor=operator,
        client_id=service.client_id,
        entitlements=[DEMO_VO_ENTITLEMENT],
    )
    credentials: dict[str, Any] = {
        "password": password,
        "accounts": [_login_email(subject) for subject, _, _ in people],
        "service_account": {"client_id": service.client_id, "client_secret": service_secret},
    }
    path = credentials_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    return credentials
