"""Enrolment configurations, applications, invitations, expiry reminders and expiry
(aai.service.enrolment), on SQLite and PostgreSQL; mail is read from the outbox and, once,
from a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fedcore.aai.enums import ApplicationStatus, MembershipStatus, VoStatus
from fedcore.aai.models import (
    Account,
    Application,
    Enrolment,
    Group,
    Identity,
    Invitation,
    Membership,
    MembershipEvent,
)
from fedcore.aai.schemas_vo import VoCreate, VoUpdate
from fedcore.aai.service import enrolment, groups, vos
from fedcore.aai.service.enrolment import EnrolmentChanges, EnrolmentData
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import (
    Conflict,
    FedcoreError,
    Forbidden,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from fedcore.core.models import MailMessage
from fedcore.core.security import Principal
from tests.aai.test_cli import database, last_json, run  # noqa: F401  (database: a fixture)
from tests.core.test_mail import Inbox, free_port

OPERATOR = Principal(subject="operator", is_admin=True)
VO = "bio.example.org"


@dataclass
class World:
    manager: Account
    sub_admin: Account
    alice: Account
    root: Group
    sub: Group

    def who(self, account: Account) -> Principal:
        return Principal(subject=account.voperson_id)


def person(session: Session, name: str, **extra: object) -> Account:
    account = Account(
        voperson_id=f"{name}0000@fedcore.test",
        email=f"{name}@example.org",
        email_verified=True,
        name=name.capitalize() + " Example",
        given_name=name.capitalize(),
        **extra,
    )
    session.add(account)
    session.flush()
    return account


@pytest.fixture
def world(session: Session) -> World:
    manager, sub_admin = person(session, "mara"), person(session, "sam")
    alice = person(
        session,
        "alice",
        assurance=["https://refeds.org/assurance/IAP/medium", "https://aai.egi.eu/LoA#Substantial"],
    )
    session.add(Identity(account_id=alice.id, issuer="https://idp.uni.example", subject="a-1"))
    vo = vos.register_vo(
        session=session,
        actor=OPERATOR,
        data=VoCreate(name=VO, aup_text="Be nice.", description="Biology"),
        manager=manager.voperson_id,
    )
    root = vos.root_group(session, vo)
    groups.add_role(session=session, actor=OPERATOR, group=root, name="vm_operator")
    sub = groups.create_group(session=session, actor=OPERATOR, path=f"{VO}/lab")
    groups.add_role(session=session, actor=OPERATOR, group=sub, name="pi")
    groups.add_admin(session=session, actor=OPERATOR, group=sub, subject=sub_admin.voperson_id)
    session.flush()
    return World(manager, sub_admin, alice, root, sub)


def config(session: Session, group: Group, **fields: object) -> Enrolment:
    return enrolment.create_enrolment(
        session=session,
        actor=OPERATOR,
        group=group,
        data=EnrolmentData.model_validate({"name": "join", **fields}),
    )


def member(session: Session, group: Group, account: Account, **fields: object) -> Membership:
    """A membership row made directly, for the tests that start from one."""
    row = Membership(group_id=group.id, subject=account.voperson_id, roles=["member"], **fields)
    session.add(row)
    session.flush()
    return row


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Enrolment, Application, Membership, Invitation, MailMessage)
    )


def outbox(session: Session, to: str) -> list[MailMessage]:
    return list(
        session.scalars(
            select(MailMessage).where(MailMessage.recipient == to).order_by(MailMessage.id)
        )
    )


def refused(
    session: Session, error: type[FedcoreError], field: str | None, call: Callable[[], object]
) -> FedcoreError:
    before = counts(session)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.field == field
    assert counts(session) == before
    return caught.value


# --- enrolment configurations -------------------------------------------------------------------


@pytest.mark.parametrize("days", [366, None, 0])
def test_a_vo_root_enrolment_lasts_at_most_365_days(
    session: Session, world: World, days: int | None
) -> None:
    error = refused(
        session,
        ValidationFailed,
        "duration_days",
        lambda: config(session, world.root, duration_days=days),
    )
    assert "365" in error.detail
    assert config(session, world.root, duration_days=365).duration_days == 365


def test_a_subgroup_enrolment_may_be_unlimited_but_not_negative(
    session: Session, world: World
) -> None:
    assert config(session, world.sub, duration_days=None).duration_days is None
    assert config(session, world.sub, duration_days=1000).duration_days == 1000
    refused(
        session,
        ValidationFailed,
        "duration_days",
        lambda: config(session, world.sub, duration_days=-1),
    )


def test_allowed_roles_must_be_roles_of_the_group(session: Session, world: World) -> None:
    error = refused(
        session,
        ValidationFailed,
        "allowed_roles",
        lambda: config(session, world.root, allowed_roles=["member", "pi"]),
    )
    assert "pi" in error.detail
    refused(
        session,
        ValidationFailed,
        "allowed_roles",
        lambda: config(session, world.root, allowed_roles=[]),
    )
    made = config(session, world.sub, allowed_roles=["member", "pi"])
    assert made.allowed_roles == ["member", "pi"]


def test_only_group_admins_configure_enrolment(session: Session, world: World) -> None:
    data = EnrolmentData(name="join")
    refused(
        session,
        Forbidden,
        None,
        lambda: enrolment.create_enrolment(
            session=session, actor=world.who(world.alice), group=world.root, data=data
        ),
    )
    refused(
        session,
        Forbidden,
        None,
        lambda: enrolment.create_enrolment(
            session=session, actor=world.who(world.sub_admin), group=world.root, data=data
        ),
    )
    # admin rights flow down: the VO manager configures the subgroup
    made = enrolment.create_enrolment(
        session=session, actor=world.who(world.manager), group=world.sub, data=data
    )
    assert made.group_id == world.sub.id


def test_one_default_and_updates_are_checked_as_a_whole(session: Session, world: World) -> None:
    first = config(session, world.root, is_default=True)
    second = config(session, world.root, name="second", is_default=True)
    assert (first.is_default, second.is_default) == (False, True)
    changed = enrolment.update_enrolment(
        session=session,
        actor=world.who(world.manager),
        enrolment_id=first.id,
        changes=EnrolmentChanges(is_default=True, approval_required=False),
    )
    assert (changed.is_default, changed.approval_required, second.is_default) == (
        True,
        False,
        False,
    )
    refused(
        session,
        ValidationFailed,
        "duration_days",
        lambda: enrolment.update_enrolment(
            session=session,
            actor=OPERATOR,
            enrolment_id=first.id,
            changes=EnrolmentChanges(duration_days=400),
        ),
    )
    assert first.duration_days == 365
    refused(
        session,
        NotFound,
        "enrolment_id",
        lambda: enrolment.update_enrolment(
            session=session, actor=OPERATOR, enrolment_id=10**6, changes=EnrolmentChanges()
        ),
    )


def test_non_members_see_only_visible_enabled_enrolments(session: Session, world: World) -> None:
    shown = config(session, world.root, name="open")
    hidden = config(session, world.root, name="hidden", visible=False)
    off = config(session, world.root, name="off", enabled=False)

    def names(actor: Principal) -> list[str]:
        listed = enrolment.list_enrolments(session=session, group=world.root, actor=actor)
        return [e.name for e in listed]

    assert names(world.who(world.alice)) == [shown.name]
    assert names(Principal(subject="")) == [shown.name]
    member(session, world.root, world.alice)
    assert names(world.who(world.alice)) == [shown.name, hidden.name]
    assert names(world.who(world.manager)) == [shown.name, hidden.name, off.name]


# --- applications -------------------------------------------------------------------------------


def apply(
    session: Session,
    settings: Settings,
    world: World,
    target: Enrolment,
    roles: tuple[str, ...] = ("member",),
    accept_aup: bool = True,
    justification: str = "",
) -> Application:
    return enrolment.apply(
        session=session,
        settings=settings,
        actor=world.who(world.alice),
        enrolment_id=target.id,
        roles=roles,
        justification=justification,
        accept_aup=accept_aup,
    )


def test_refused_applications_change_nothing(
    session: Session, settings: Settings, world: World
) -> None:
    root = config(session, world.root, allowed_roles=["member"], justification_label="Why?")
    disabled = config(session, world.root, name="off", enabled=False)
    sub = config(session, world.sub, duration_days=None)

    error = refused(
        session, RuleViolation, "enrolment_id", lambda: apply(session, settings, world, disabled)
    )
    assert "disabled" in error.detail
    error = refused(
        session,
        ValidationFailed,
        "roles",
        lambda: apply(session, settings, world, root, roles=("vm_operator",), justification="x"),
    )
    assert "vm_operator" in error.detail
    error = refused(
        session,
        ValidationFailed,
        "accept_aup",
        lambda: apply(session, settings, world, root, accept_aup=False, justification="x"),
    )
    assert "version 1" in error.detail
    refused(
        session, ValidationFailed, "justification", lambda: apply(session, settings, world, root)
    )
    error = refused(
        session, RuleViolation, "enrolment_id", lambda: apply(session, settings, world, sub)
    )
    assert VO in error.detail
    refused(
        session,
        NotFound,
        "enrolment_id",
        lambda: enrolment.apply(
            session=session,
            settings=settings,
            actor=world.who(world.alice),
            enrolment_id=10**6,
            roles=["member"],
            justification="",
            accept_aup=True,
        ),
    )

    first = apply(session, settings, world, root, justification="I study cells")
    error = refused(
        session,
        Conflict,
        "enrolment_id",
        lambda: apply(session, settings, world, root, justification="again"),
    )
    assert str(first.id) in error.detail


def test_application_is_approved_by_an_admin_who_was_mailed(
    session: Session, settings: Settings, world: World
) -> None:
    config(session, world.root)
    member(session, world.root, world.alice, expires_at=utcnow() + timedelta(days=100))
    lab = config(session, world.sub, duration_days=30, allowed_roles=["member", "pi"])
    application = apply(session, settings, world, lab, roles=("pi", "member"))
    assert application.status == ApplicationStatus.PENDING
    assert application.aup_version == 1
    assert application.roles == ["pi", "member"]
    assert session.scalar(select(Membership).where(Membership.group_id == world.sub.id)) is None

    # the subgroup's admin and the VO manager above it are told, with who applies
    for admin in (world.sub_admin, world.manager):
        [mail] = outbox(session, admin.email)
        assert mail.subject == f"Application to join {VO}/lab"
        for text in (
            "Alice Example",
            "alice@example.org",
            world.alice.voperson_id,
            "https://idp.uni.example",
            "https://refeds.org/assurance/IAP/medium",
            "https://aai.egi.eu/LoA#Substantial",
            settings.page_url(f"/aai/groups/{VO}/lab/applications/{application.id}"),
        ):
            assert text in mail.body

    refused(
        session,
        Forbidden,
        None,
        lambda: enrolment.decide_application(
            session=session,
            settings=settings,
            actor=world.who(world.alice),
            application_id=application.id,
            approve=True,
        ),
    )
    before = utcnow()
    decided = enrolment.decide_application(
        session=session,
        settings=settings,
        actor=world.who(world.sub_admin),
        application_id=application.id,
        approve=True,
        reason="welcome",
    )
    assert (decided.status, decided.decided_by) == (
        ApplicationStatus.APPROVED,
        world.sub_admin.voperson_id,
    )
    membership = session.scalar(select(Membership).where(Membership.group_id == world.sub.id))
    assert membership is not None
    assert membership.status == MembershipStatus.ACTIVE
    assert sorted(membership.roles) == ["member", "pi"]
    assert membership.expires_at is not None
    assert before + timedelta(days=30) <= membership.expires_at <= utcnow() + timedelta(days=30)
    [told] = outbox(session, world.alice.email)
    assert told.subject == f"Your application to {VO}/lab was approved"
    assert "welcome" in told.body
    refused(
        session,
        Conflict,
        "application_id",
        lambda: enrolment.decide_application(
            session=session,
            settings=settings,
            actor=OPERATOR,
            application_id=application.id,
            approve=False,
        ),
    )


def test_denied_application_makes_no_membership_and_tells_the_applicant(
    session: Session, settings: Settings, world: World
) -> None:
    target = config(session, world.root)
    application = apply(session, settings, world, target)
    enrolment.decide_application(
        session=session,
        settings=settings,
        actor=world.who(world.manager),
        application_id=application.id,
        approve=False,
        reason="not a biologist",
    )
    assert application.status == ApplicationStatus.DENIED
    assert session.scalar(select(func.count()).select_from(Membership)) == 0
    [told] = outbox(session, world.alice.email)
    assert "denied" in told.subject
    assert "not a biologist" in told.body
    # a decided application no longer blocks a new one
    assert apply(session, settings, world, target).status == ApplicationStatus.PENDING


def test_without_approval_the_membership_starts_at_once(
    session: Session, settings: Settings, world: World
) -> None:
    target = config(session, world.root, approval_required=False, duration_days=90)
    application = apply(session, settings, world, target)
    assert (application.status, application.decided_by) == (ApplicationStatus.APPROVED, "system")
    membership = session.scalar(select(Membership).where(Membership.group_id == world.root.id))
    assert membership is not None
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.expires_at is not None
    assert membership.expires_at - utcnow() > timedelta(days=89)
    assert outbox(session, world.manager.email) == []
    [told] = outbox(session, world.alice.email)
    assert "approved" in told.subject


def test_only_the_applicant_cancels_a_pending_application(
    session: Session, settings: Settings, world: World
) -> None:
    target = config(session, world.root)
    application = apply(session, settings, world, target)
    refused(
        session,
        Forbidden,
        None,
        lambda: enrolment.cancel_application(
            session=session, actor=world.who(world.manager), application_id=application.id
        ),
    )
    enrolment.cancel_application(
        session=session, actor=world.who(world.alice), application_id=application.id
    )
    assert application.status == ApplicationStatus.CANCELLED
    refused(
        session,
        Conflict,
        "application_id",
        lambda: enrolment.cancel_application(
            session=session, actor=world.who(world.alice), application_id=application.id
        ),
    )


def test_admins_are_mailed_through_a_real_smtp_server(
    session: Session, settings: Settings, world: World
) -> None:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        application = apply(session, settings, world, config(session, world.root))
    finally:
        controller.stop()
    [received] = inbox.messages()
    assert received["To"] == world.manager.email
    assert received["Subject"] == f"Application to join {VO}"
    body = received.get_payload()
    assert isinstance(body, str)
    assert world.alice.voperson_id in body
    assert f"/aai/groups/{VO}/applications/{application.id}" in body
    [stored] = outbox(session, world.manager.email)
    assert stored.sent_at is not None


# --- invitations --------------------------------------------------------------------------------


def invitation_token(session: Session, email: str) -> str:
    [mail] = outbox(session, email)
    found = re.search(r"/aai/invitations/(\S+)", mail.body)
    assert found is not None
    return found.group(1)


def test_an_invitation_is_accepted_once(session: Session, settings: Settings, world: World) -> None:
    invitation = enrolment.invite(
        session=session,
        settings=settings,
        actor=world.who(world.manager),
        group=world.root,
        email=" Guest@Example.org ",
        roles=["vm_operator"],
    )
    assert invitation.email == "guest@example.org"
    assert invitation.expires_at - utcnow() > timedelta(hours=71)
    token = invitation_token(session, "guest@example.org")
    assert invitation.token_hash != token
    alice = world.who(world.alice)
    refused(
        session,
        ValidationFailed,
        "accept_aup",
        lambda: enrolment.accept_invitation(
            session=session, actor=alice, token=token, accept_aup=False
        ),
    )
    membership = enrolment.accept_invitation(
        session=session, actor=alice, token=token, accept_aup=True
    )
    assert (membership.group_id, membership.roles) == (world.root.id, ["vm_operator"])
    assert membership.expires_at is not None  # a root membership is never unlimited
    assert invitation.accepted_by == world.alice.voperson_id
    error = refused(
        session,
        Conflict,
        "token",
        lambda: enrolment.accept_invitation(
            session=session, actor=world.who(world.sub_admin), token=token, accept_aup=True
        ),
    )
    assert "already been used" in error.detail


def test_expired_and_unknown_invitations_are_refused(
    session: Session, settings: Settings, world: World
) -> None:
    invitation = enrolment.invite(
        session=session,
        settings=settings,
        actor=OPERATOR,
        group=world.root,
        email="guest@example.org",
        roles=["member"],
        hours=1,
    )
    token = invitation_token(session, "guest@example.org")
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    alice = world.who(world.alice)
    error = refused(
        session,
        RuleViolation,
        "token",
        lambda: enrolment.accept_invitation(
            session=session, actor=alice, token=token, accept_aup=True
        ),
    )
    assert "expired" in error.detail
    refused(
        session,
        NotFound,
        "token",
        lambda: enrolment.accept_invitation(
            session=session, actor=alice, token="nope", accept_aup=True
        ),
    )


@pytest.mark.parametrize(
    ("actor", "email", "roles", "hours", "error", "field"),
    [
        ("alice", "g@example.org", ["member"], 72, Forbidden, None),
        ("manager", "not-an-address", ["member"], 72, ValidationFailed, "email"),
        ("manager", "g@example.org", ["pi"], 72, ValidationFailed, "roles"),
        ("manager", "g@example.org", [], 72, ValidationFailed, "roles"),
        ("manager", "g@example.org", ["member"], 0, ValidationFailed, "hours"),
    ],
)
def test_bad_invitations_are_refused(
    session: Session,
    settings: Settings,
    world: World,
    actor: str,
    email: str,
    roles: list[str],
    hours: int,
    error: type[FedcoreError],
    field: str | None,
) -> None:
    refused(
        session,
        error,
        field,
        lambda: enrolment.invite(
            session=session,
            settings=settings,
            actor=world.who(getattr(world, actor)),
            group=world.root,
            email=email,
            roles=roles,
            hours=hours,
        ),
    )


# --- reminders and expiry -----------------------------------------------------------------------


def test_expiry_reminders_are_sent_once(session: Session, settings: Settings, world: World) -> None:
    soon = member(session, world.root, world.alice, expires_at=utcnow() + timedelta(days=10))
    member(session, world.root, world.manager, expires_at=utcnow() + timedelta(days=40))
    member(session, world.root, world.sub_admin)  # unlimited
    assert enrolment.send_expiry_reminders(session=session, settings=settings) == 1
    [mail] = outbox(session, world.alice.email)
    assert mail.subject == f"Your membership of {VO} expires soon"
    assert settings.page_url(f"/aai/groups/{VO}") in mail.body
    assert soon.reminded_at is not None
    assert enrolment.send_expiry_reminders(session=session, settings=settings) == 0
    assert enrolment.send_expiry_reminders(session=session, settings=settings, days=60) == 1
    assert len(outbox(session, world.alice.email)) == 1
    assert len(outbox(session, world.manager.email)) == 1


def test_lapsed_memberships_expire_with_an_audit_event(session: Session, world: World) -> None:
    lapsed = member(session, world.root, world.alice, expires_at=utcnow() - timedelta(minutes=1))
    current = member(session, world.root, world.manager, expires_at=utcnow() + timedelta(days=1))
    assert enrolment.expire_memberships(session=session) == 1
    assert (lapsed.status, current.status) == (MembershipStatus.EXPIRED, MembershipStatus.ACTIVE)
    [event] = session.scalars(
        select(MembershipEvent).where(
            MembershipEvent.subject == world.alice.voperson_id, MembershipEvent.action == "expired"
        )
    )
    assert (event.actor, event.group_id) == ("system", world.root.id)
    assert enrolment.expire_memberships(session=session) == 0


def test_an_enrolment_cannot_waive_the_vos_aup(session: Session, world: World) -> None:
    refused(
        session,
        ValidationFailed,
        "aup_required",
        lambda: config(session, world.root, aup_required=False),
    )
    vos.update_vo(session=session, actor=OPERATOR, name=VO, data=VoUpdate(aup_text=""))
    assert config(session, world.root, aup_required=False).aup_required is False


def test_applying_again_renews_the_membership_and_keeps_its_roles(
    session: Session, settings: Settings, world: World
) -> None:
    target = config(
        session,
        world.root,
        approval_required=False,
        duration_days=100,
        allowed_roles=["member", "vm_operator"],
    )
    current = member(session, world.root, world.alice, expires_at=utcnow() + timedelta(days=5))
    current.reminded_at = utcnow()
    apply(session, settings, world, target, roles=("vm_operator",))
    assert current.roles == ["member", "vm_operator"]
    assert current.expires_at is not None
    assert current.expires_at - utcnow() > timedelta(days=99)
    assert current.reminded_at is None
    actions = session.scalars(
        select(MembershipEvent.action)
        .where(MembershipEvent.subject == world.alice.voperson_id)
        .order_by(MembershipEvent.id)
    )
    assert list(actions) == ["extended", "roles_changed"]


def test_no_application_from_a_suspended_member_nor_to_an_inactive_vo(
    session: Session, settings: Settings, world: World
) -> None:
    target = config(session, world.root)
    member(session, world.root, world.alice, status=MembershipStatus.SUSPENDED)
    error = refused(
        session, RuleViolation, "enrolment_id", lambda: apply(session, settings, world, target)
    )
    assert "suspended" in error.detail
    vos.decide_vo(session=session, actor=OPERATOR, name=VO, status=VoStatus.SUSPENDED)
    error = refused(
        session, RuleViolation, "enrolment_id", lambda: apply(session, settings, world, target)
    )
    assert f"{VO} is suspended" in error.detail


def test_an_application_for_an_outdated_aup_is_not_approved(
    session: Session, settings: Settings, world: World
) -> None:
    application = apply(session, settings, world, config(session, world.root))
    vos.update_vo(session=session, actor=OPERATOR, name=VO, data=VoUpdate(aup_text="Be nicer."))
    error = refused(
        session,
        RuleViolation,
        "application_id",
        lambda: enrolment.decide_application(
            session=session,
            settings=settings,
            actor=world.who(world.manager),
            application_id=application.id,
            approve=True,
        ),
    )
    assert "version 1" in error.detail
    assert application.status == ApplicationStatus.PENDING


def test_the_member_remind_and_expire_commands(database: Engine) -> None:  # noqa: F811
    with Session(database) as session:
        alice = person(session, "alice")
        vo = vos.register_vo(
            session=session, actor=OPERATOR, data=VoCreate(name=VO), manager=alice.voperson_id
        )
        root = vos.root_group(session, vo)
        member(session, root, alice, expires_at=utcnow() + timedelta(days=3))
        session.commit()
    result = run("member", "remind", "--days", "7")
    assert result.exit_code == 0, result.stderr
    assert last_json(result.stdout) == {"reminded": 1}
    assert last_json(run("member", "remind").stdout) == {"reminded": 0}
    with Session(database) as session:
        [mail] = outbox(session, "alice@example.org")
        assert mail.body.count("https://fedcore.example.org/aai/groups/bio.example.org") == 1
        lapsed = session.scalars(select(Membership)).one()
        lapsed.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert last_json(run("member", "expire").stdout) == {"expired": 1}
    assert last_json(run("member", "expire").stdout) == {"expired": 0}
    with Session(database) as session:
        assert session.scalars(select(Membership.status)).one() == MembershipStatus.EXPIRED
