"""Joining groups (issue 5, reference §A.9): enrolment configurations, applications,
invitations, expiry reminders and expiry.

* An **enrolment** is a group's way in: approval required or automatic, the membership's
  length (a VO root group at most :data:`ROOT_MAX_DAYS`, a subgroup any length or unlimited),
  the roles that may be asked for, an optional justification field, whether non-members see it
  and whether it is enabled. Whoever joins a VO that has an acceptable-use policy accepts it
  (its version is recorded); an enrolment cannot waive that (``aup_required`` stays true).
* An **application** asks to join through an enrolment. Without approval the membership starts
  at once; otherwise every admin of the group and of its ancestors is e-mailed a link to the
  application, with who the applicant is (name, e-mail, identifier, identity sources, assurance),
  and the applicant is e-mailed the decision. A member who applies again (to renew) has the
  membership extended by the enrolment's duration and keeps the roles held.
* An **invitation** mails a one-time link (only its SHA-256 hash is stored) that expires after
  72 hours by default; whoever signs in with it becomes a member with the invited roles.
* :func:`send_expiry_reminders` mails members whose direct membership ends soon, once per
  membership; :func:`expire_memberships` marks the lapsed ones ``expired``.

Functions flush and never commit; refusals raise before anything is changed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
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
    Vo,
)
from fedcore.aai.service import groups, memberships, vos
from fedcore.aai.service.accounts import normalise_email
from fedcore.core.config import Settings
from fedcore.core.db import isoformat_z, utcnow
from fedcore.core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from fedcore.core.mail import send_mail
from fedcore.core.security import Principal, hash_token

ROOT_MAX_DAYS = 365
"""The longest membership of a VO root group, in days (reference §A.9)."""
INVITATION_HOURS = 72
INVITATION_MAX_HOURS = 30 * 24
REMINDER_DAYS = 21
SYSTEM = Principal(subject="system", is_admin=True)
"""The actor of what happens by itself once this module has checked the rules: automatic
approval, accepted invitations, expiry."""

EnrolmentName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]
RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]


class EnrolmentData(BaseModel):
    """A group's enrolment configuration."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: EnrolmentName
    approval_required: bool = True
    aup_required: bool = True
    duration_days: int | None = Field(
        default=ROOT_MAX_DAYS, description="membership length; None = unlimited (subgroups)"
    )
    allowed_roles: list[RoleName] = Field(default_factory=lambda: ["member"])
    justification_label: Label = Field(
        default="", description="when set, applicants must fill in a justification"
    )
    visible: bool = Field(default=True, description="listed to people outside the group")
    enabled: bool = True
    is_default: bool = False


class EnrolmentChanges(BaseModel):
    """Changes to an enrolment; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: EnrolmentName | None = None
    approval_required: bool | None = None
    aup_required: bool | None = None
    duration_days: int | None = None
    allowed_roles: list[RoleName] | None = None
    justification_label: Label | None = None
    visible: bool | None = None
    enabled: bool | None = None
    is_default: bool | None = None


# --- enrolment configurations -------------------------------------------------------------------


def create_enrolment(
    *, session: Session, actor: Principal, group: Group, data: EnrolmentData
) -> Enrolment:
    """A new enrolment configuration of ``group`` (its admins)."""
    groups.require_admin(session, actor, group, "configure enrolment")
    _check_enrolment(session, group, data)
    enrolment = Enrolment(group_id=group.id, **data.model_dump())
    if data.is_default:
        _clear_default(session, group)
    session.add(enrolment)
    session.flush()
    return enrolment


def update_enrolment(
    *, session: Session, actor: Principal, enrolment_id: int, changes: EnrolmentChanges
) -> Enrolment:
    """Change an enrolment (its group's admins); the result must be valid as a whole."""
    enrolment = get_enrolment(session=session, enrolment_id=enrolment_id)
    group = _group(session, enrolment.group_id)
    groups.require_admin(session, actor, group, "configure enrolment")
    current = EnrolmentData.model_validate(
        {name: getattr(enrolment, name) for name in EnrolmentData.model_fields}
    )
    merged = current.model_copy(update=changes.model_dump(exclude_unset=True))
    merged = EnrolmentData.model_validate(merged.model_dump())
    _check_enrolment(session, group, merged)
    if merged.is_default and not enrolment.is_default:
        _clear_default(session, group)
    for name, value in merged.model_dump().items():
        setattr(enrolment, name, value)
    session.flush()
    return enrolment


def get_enrolment(*, session: Session, enrolment_id: int) -> Enrolment:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound(f"no enrolment {enrolment_id}", field="enrolment_id")
    return enrolment


def list_enrolments(*, session: Session, group: Group, actor: Principal) -> list[Enrolment]:
    """The group's enrolments, the default first: all of them for its admins, the enabled ones
    for whoever has a membership row (also an expired one, to apply again), the enabled and
    visible ones for everybody else."""
    query = select(Enrolment).where(Enrolment.group_id == group.id)
    if not groups.is_admin(session, actor, group):
        query = query.where(Enrolment.enabled.is_(True))
        if _membership(session, group.id, actor.subject) is None:
            query = query.where(Enrolment.visible.is_(True))
    return list(session.scalars(query.order_by(Enrolment.is_default.desc(), Enrolment.id)))


def _check_enrolment(session: Session, group: Group, data: EnrolmentData) -> None:
    days = data.duration_days
    if group.parent_id is None and (days is None or not 1 <= days <= ROOT_MAX_DAYS):
        raise ValidationFailed(
            f"a VO root group's membership lasts 1 to {ROOT_MAX_DAYS} days", field="duration_days"
        )
    if days is not None and days < 1:
        raise ValidationFailed(
            "must be at least 1 day, or empty for unlimited", field="duration_days"
        )
    if not data.aup_required and vos.has_aup(groups.vo_of(session, group)):
        raise ValidationFailed(
            "the VO has an acceptable-use policy, which every member accepts when joining",
            field="aup_required",
        )
    if not data.allowed_roles:
        raise ValidationFailed("allow at least one role", field="allowed_roles")
    _check_roles(session, group, data.allowed_roles, field="allowed_roles")


def _clear_default(session: Session, group: Group) -> None:
    for other in session.scalars(
        select(Enrolment).where(Enrolment.group_id == group.id, Enrolment.is_default.is_(True))
    ):
        other.is_default = False


# --- applications -------------------------------------------------------------------------------


def apply(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    enrolment_id: int,
    roles: Iterable[str],
    justification: str,
    accept_aup: bool,
) -> Application:
    """Ask to join the enrolment's group with ``roles``. Without approval the membership is
    made at once; otherwise the group's admins (and its ancestors') are e-mailed."""
    applicant = _applicant(session, actor)
    enrolment = get_enrolment(session=session, enrolment_id=enrolment_id)
    group = _group(session, enrolment.group_id)
    vo = groups.vo_of(session, group)
    if vo.status != VoStatus.ACTIVE:
        raise RuleViolation(f"the VO {vo.name} is {vo.status}", field="enrolment_id")
    if not enrolment.enabled:
        raise RuleViolation("this enrolment is disabled", field="enrolment_id")
    wanted = _requested_roles(roles, enrolment)
    justification = justification.strip()
    if enrolment.justification_label and not justification:
        raise ValidationFailed(f"fill in: {enrolment.justification_label}", field="justification")
    if len(justification) > 4000:
        raise ValidationFailed("at most 4000 characters", field="justification")
    aup_version = _accepted_aup(vo, accept_aup)
    pending = session.scalar(
        select(Application).where(
            Application.group_id == group.id,
            Application.subject == actor.subject,
            Application.status == ApplicationStatus.PENDING,
        )
    )
    if pending is not None:
        raise Conflict(
            f"you already have a pending application ({pending.id}) to {group.path}",
            field="enrolment_id",
        )
    current = _membership(session, group.id, actor.subject)
    if current is not None and current.status == MembershipStatus.SUSPENDED:
        raise RuleViolation(
            f"your membership of {group.path} is suspended; ask its administrators",
            field="enrolment_id",
        )
    _require_parent_membership(session, group, actor.subject)
    application = Application(
        enrolment_id=enrolment.id,
        group_id=group.id,
        subject=actor.subject,
        roles=wanted,
        justification=justification,
        aup_version=aup_version,
        status=ApplicationStatus.PENDING,
    )
    session.add(application)
    session.flush()
    if enrolment.approval_required:
        _mail_admins(session, settings, group, application, applicant)
    else:
        _approve(session, SYSTEM, group, enrolment, application)
        _mail_decision(session, settings, applicant, group, application)
    return application


def get_application(*, session: Session, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field="application_id")
    return application


def list_applications(
    *, session: Session, actor: Principal, group: Group, status: ApplicationStatus | None = None
) -> list[Application]:
    """The group's applications, newest first (its admins)."""
    groups.require_admin(session, actor, group, "read applications")
    query = select(Application).where(Application.group_id == group.id)
    if status is not None:
        query = query.where(Application.status == status)
    return list(session.scalars(query.order_by(Application.id.desc())))


def decide_application(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    application_id: int,
    approve: bool,
    reason: str = "",
) -> Application:
    """Approve (the membership starts now) or deny a pending application (the group's admins);
    the applicant is e-mailed either way."""
    application = get_application(session=session, application_id=application_id)
    group = _group(session, application.group_id)
    groups.require_admin(session, actor, group, "decide applications")
    _require_pending(application)
    reason = _reason(reason)
    enrolment = get_enrolment(session=session, enrolment_id=application.enrolment_id)
    if approve:
        _require_parent_membership(session, group, application.subject)
        vo = groups.vo_of(session, group)
        if application.aup_version != _current_aup(vo):
            raise RuleViolation(
                f"the applicant accepted version {application.aup_version} of the VO's "
                f"acceptable-use policy, which is now at version {vo.aup_version}; "
                "deny the application so that they apply again",
                field="application_id",
            )
        application.reason = reason
        _approve(session, actor, group, enrolment, application)
    else:
        application.status = ApplicationStatus.DENIED
        application.decided_at = utcnow()
        application.decided_by = actor.subject
        application.reason = reason
        session.flush()
    applicant = _account(session, application.subject)
    if applicant is not None:
        _mail_decision(session, settings, applicant, group, application)
    return application


def cancel_application(*, session: Session, actor: Principal, application_id: int) -> Application:
    """Withdraw one's own pending application."""
    application = get_application(session=session, application_id=application_id)
    if not actor.is_authenticated or application.subject != actor.subject:
        raise Forbidden("only the applicant can cancel an application")
    _require_pending(application)
    application.status = ApplicationStatus.CANCELLED
    application.decided_at = utcnow()
    application.decided_by = actor.subject
    session.flush()
    return application


def _approve(
    session: Session,
    actor: Principal,
    group: Group,
    enrolment: Enrolment,
    application: Application,
) -> None:
    """Make the membership; a member who applies again (to renew) has it extended, keeping
    the roles they held."""
    reason = f"application {application.id} approved"
    expires_at = _expiry(enrolment.duration_days)
    current = _membership(session, group.id, application.subject)
    if current is None or not _in_force(current):
        memberships.add_member(
            session=session,
            actor=actor,
            group=group,
            subject=application.subject,
            roles=tuple(application.roles),
            expires_at=expires_at,
            reason=reason,
            aup_version=application.aup_version,
        )
    else:
        memberships.extend_member(
            session=session,
            actor=actor,
            group=group,
            subject=application.subject,
            expires_at=expires_at,
            reason=reason,
        )
        roles = list(dict.fromkeys([*current.roles, *application.roles]))
        if roles != current.roles:
            memberships.set_roles(
                session=session,
                actor=actor,
                group=group,
                subject=application.subject,
                roles=roles,
                reason=reason,
            )
    application.status = ApplicationStatus.APPROVED
    application.decided_at = utcnow()
    application.decided_by = actor.subject
    session.flush()


def _in_force(membership: Membership) -> bool:
    """Whether the row is active or yet to start and not past its own expiry."""
    return membership.status in (MembershipStatus.ACTIVE, MembershipStatus.PENDING) and (
        membership.expires_at is None or membership.expires_at > utcnow()
    )


def _current_aup(vo: Vo) -> int | None:
    return vo.aup_version if vos.has_aup(vo) else None


def _requested_roles(roles: Iterable[str], enrolment: Enrolment) -> list[str]:
    wanted = list(dict.fromkeys(r.strip() for r in roles if r.strip()))
    if not wanted:
        raise ValidationFailed("choose at least one role", field="roles")
    refused = [r for r in wanted if r not in enrolment.allowed_roles]
    if refused:
        raise ValidationFailed(
            f"cannot be requested through this enrolment: {', '.join(refused)}; "
            f"allowed: {', '.join(enrolment.allowed_roles)}",
            field="roles",
        )
    return wanted


def _require_pending(application: Application) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise Conflict(
            f"application {application.id} is already {application.status}",
            field="application_id",
        )


# --- invitations --------------------------------------------------------------------------------


def invite(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    group: Group,
    email: str,
    roles: Iterable[str],
    hours: int = INVITATION_HOURS,
) -> Invitation:
    """Mail ``email`` a one-time link to join ``group`` with ``roles`` (its admins)."""
    groups.require_admin(session, actor, group, "invite")
    email = normalise_email(email)
    wanted = list(dict.fromkeys(r.strip() for r in roles if r.strip()))
    if not wanted:
        raise ValidationFailed("choose at least one role", field="roles")
    _check_roles(session, group, wanted, field="roles")
    if not 1 <= hours <= INVITATION_MAX_HOURS:
        raise ValidationFailed(
            f"an invitation lasts 1 to {INVITATION_MAX_HOURS} hours", field="hours"
        )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        group_id=group.id,
        email=email,
        roles=wanted,
        token_hash=hash_token(raw),
        invited_by=actor.subject,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(invitation)
    session.flush()
    inviter = _account(session, actor.subject)
    by = f"{inviter.name} ({inviter.email})" if inviter and inviter.name else actor.subject
    send_mail(
        session=session,
        settings=settings,
        to=email,
        subject=f"Invitation to join {group.path}",
        body=(
            f"Hello,\n\n{by} invites you to join {group.path} with the role(s) "
            f"{', '.join(wanted)}.\n\nTo accept, sign in and open this link before "
            f"{isoformat_z(invitation.expires_at)}; it works once:\n\n"
            f"{settings.page_url('/aai/invitations/' + raw)}\n\n"
            "If you do not want to join, ignore this message.\n"
        ),
    )
    return invitation


def get_invitation(*, session: Session, token: str) -> Invitation:
    """The invitation behind a link's token (used or not, expired or not)."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token.strip()))
    )
    if invitation is None:
        raise NotFound("this invitation link is not valid", field="token")
    return invitation


def accept_invitation(
    *, session: Session, actor: Principal, token: str, accept_aup: bool
) -> Membership:
    """Join the invitation's group as ``actor``; the link then stops working."""
    _applicant(session, actor)
    invitation = get_invitation(session=session, token=token)
    if invitation.accepted_at is not None:
        raise Conflict("this invitation has already been used", field="token")
    if invitation.expires_at <= utcnow():
        raise RuleViolation(
            f"this invitation expired at {isoformat_z(invitation.expires_at)}; "
            "ask the group's administrators for a new one",
            field="token",
        )
    group = _group(session, invitation.group_id)
    vo = groups.vo_of(session, group)
    if vo.status != VoStatus.ACTIVE:
        raise RuleViolation(f"the VO {vo.name} is {vo.status}", field="token")
    aup_version = _accepted_aup(vo, accept_aup)
    _require_parent_membership(session, group, actor.subject)
    default = session.scalar(
        select(Enrolment).where(Enrolment.group_id == group.id, Enrolment.is_default.is_(True))
    )
    days = default.duration_days if default else None  # a root membership: a year at most
    membership = memberships.add_member(
        session=session,
        actor=SYSTEM,
        group=group,
        subject=actor.subject,
        roles=tuple(invitation.roles),
        expires_at=_expiry(days),
        reason=f"invitation {invitation.id} from {invitation.invited_by} accepted",
        aup_version=aup_version,
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by = actor.subject
    session.flush()
    return membership


# --- reminders and expiry -----------------------------------------------------------------------


def send_expiry_reminders(
    *, session: Session, settings: Settings, days: int = REMINDER_DAYS
) -> int:
    """Mail every person whose active direct membership ends within ``days`` and who was not
    reminded of it yet; returns how many were mailed."""
    now = utcnow()
    due = session.scalars(
        select(Membership)
        .where(
            Membership.status == MembershipStatus.ACTIVE,
            Membership.reminded_at.is_(None),
            Membership.expires_at.is_not(None),
            Membership.expires_at > now,
            Membership.expires_at <= now + timedelta(days=days),
        )
        .order_by(Membership.id)
    )
    sent = 0
    for membership in due:
        account = _account(session, membership.subject)
        if account is None or not account.email:
            continue
        group = _group(session, membership.group_id)
        assert membership.expires_at is not None
        send_mail(
            session=session,
            settings=settings,
            to=account.email,
            subject=f"Your membership of {group.path} expires soon",
            body=(
                f"Hello {account.given_name or account.name},\n\n"
                f"your membership of {group.path} ends at {isoformat_z(membership.expires_at)}."
                f"\n\nTo stay a member, apply again before then:\n\n"
                f"{settings.page_url('/aai/groups/' + group.path)}\n"
            ),
        )
        membership.reminded_at = now
        sent += 1
    session.flush()
    return sent


def expire_memberships(*, session: Session) -> int:
    """Mark active and future memberships whose direct expiry has passed ``expired``, with an
    audit event by ``system``; returns how many."""
    now = utcnow()
    lapsed = list(
        session.scalars(
            select(Membership)
            .where(
                Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.PENDING]),
                Membership.expires_at.is_not(None),
                Membership.expires_at <= now,
            )
            .order_by(Membership.id)
        )
    )
    for membership in lapsed:
        assert membership.expires_at is not None
        membership.status = MembershipStatus.EXPIRED
        membership.updated_at = now
        groups.record_event(
            session,
            group=_group(session, membership.group_id),
            subject=membership.subject,
            action="expired",
            actor=SYSTEM,
            reason="the membership reached its expiry",
            details={"expires_at": isoformat_z(membership.expires_at)},
        )
    session.flush()
    return len(lapsed)


# --- helpers ------------------------------------------------------------------------------------


def _applicant(session: Session, actor: Principal) -> Account:
    if not actor.is_authenticated:
        raise NotAuthenticated("sign in first")
    account = _account(session, actor.subject)
    if account is None:
        raise Forbidden("only people with an account can join groups")
    return account


def _account(session: Session, subject: str) -> Account | None:
    return session.scalar(select(Account).where(Account.voperson_id == subject))


def _group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    assert group is not None  # a foreign key
    return group


def _membership(session: Session, group_id: int, subject: str) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.group_id == group_id, Membership.subject == subject)
    )


def _check_roles(session: Session, group: Group, roles: list[str], *, field: str) -> None:
    defined = groups.role_names(session, group)
    unknown = [r for r in roles if r not in defined]
    if unknown:
        raise ValidationFailed(
            f"not a role of {group.path}: {', '.join(unknown)}; its roles: {', '.join(defined)}",
            field=field,
        )


def _accepted_aup(vo: Vo, accept_aup: bool) -> int | None:
    """The version of the VO's AUP that the person accepts (None when the VO has none);
    refuses when they did not accept it."""
    if not vos.has_aup(vo):
        return None
    if not accept_aup:
        raise ValidationFailed(
            f"accept the acceptable use policy of {vo.name} (version {vo.aup_version})",
            field="accept_aup",
        )
    return vo.aup_version


def _require_parent_membership(session: Session, group: Group, subject: str) -> None:
    if group.parent_id is None:
        return
    parent = _group(session, group.parent_id)
    membership = _membership(session, parent.id, subject)
    if membership is None or not _in_force(membership):
        raise RuleViolation(
            f"join {parent.path} first: a subgroup needs an active membership of its parent",
            field="enrolment_id",
        )


def _expiry(days: int | None) -> datetime | None:
    return utcnow() + timedelta(days=days) if days is not None else None


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > 2000:
        raise ValidationFailed("at most 2000 characters", field="reason")
    return reason


def applicant_account(session: Session, application: Application) -> Account | None:
    """The account that applied (None for a deleted account)."""
    return _account(session, application.subject)


def identity_sources(session: Session, account: Account) -> list[str]:
    """The issuers of the identities linked to ``account``, oldest first."""
    return list(
        session.scalars(
            select(Identity.issuer).where(Identity.account_id == account.id).order_by(Identity.id)
        )
    )


def _describe(session: Session, account: Account) -> str:
    sources = identity_sources(session, account)
    return (
        f"Name: {account.name or '(none)'}\n"
        f"E-mail: {account.email or '(none)'}"
        f"{'' if account.email_verified else ' (not verified)'}\n"
        f"Identifier: {account.voperson_id}\n"
        f"Identity source: {', '.join(sources) or '(none)'}\n"
        f"Assurance: {', '.join(account.assurance) or '(none)'}\n"
    )


def _admin_emails(session: Session, group: Group) -> list[str]:
    subjects = {
        subject
        for above in [*groups.ancestors(session, group), group]
        for subject in groups.admin_subjects(session, above)
    }
    emails = session.scalars(
        select(Account.email)
        .where(Account.voperson_id.in_(subjects), Account.email != "")
        .order_by(Account.email)
    )
    return list(dict.fromkeys(emails))


def _mail_admins(
    session: Session,
    settings: Settings,
    group: Group,
    application: Application,
    applicant: Account,
) -> None:
    link = settings.page_url(f"/aai/groups/{group.path}/applications/{application.id}")
    justification = (
        f"\nJustification:\n{application.justification}\n" if application.justification else ""
    )
    body = (
        f"Hello,\n\nsomebody applied to join {group.path} with the role(s) "
        f"{', '.join(application.roles)}.\n\n{_describe(session, applicant)}{justification}\n"
        f"To approve or deny the application, open:\n\n{link}\n"
    )
    for email in _admin_emails(session, group):
        send_mail(
            session=session,
            settings=settings,
            to=email,
            subject=f"Application to join {group.path}",
            body=body,
        )


def _mail_decision(
    session: Session,
    settings: Settings,
    applicant: Account,
    group: Group,
    application: Application,
) -> None:
    if not applicant.email:
        return
    approved = application.status == ApplicationStatus.APPROVED
    reason = f"\nReason: {application.reason}\n" if application.reason else ""
    send_mail(
        session=session,
        settings=settings,
        to=applicant.email,
        subject=f"Your application to {group.path} was {'approved' if approved else 'denied'}",
        body=(
            f"Hello {applicant.given_name or applicant.name},\n\n"
            + (
                f"you are now a member of {group.path} with the role(s) "
                f"{', '.join(application.roles)}.\n"
                if approved
                else f"your application to join {group.path} was denied.\n"
            )
            + reason
        ),
    )
