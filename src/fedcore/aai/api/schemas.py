"""Request bodies and ``Read`` schemas of the communities API that ``schemas_vo`` lacks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fedcore.aai.enums import ApplicationStatus, VoStatus
from fedcore.aai.schemas import UTCTime
from fedcore.aai.schemas_vo import GroupRead
from fedcore.core.pagination import Paging

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VoStatusQuery(_In):
    status: VoStatus | None = Field(
        default=None, description="operators only: VOs of this status instead of the active ones"
    )


class VoDecision(_In):
    status: VoStatus = Field(description="active, suspended or deleted")
    reason: Reason = ""


class SubgroupCreate(_In):
    name: str = Field(description="one path segment: letters, digits, '_', '-', '.'")
    description: Description = ""


class RoleCreate(_In):
    name: str
    description: Description = ""


class RoleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str


class AdminCreate(_In):
    subject: str = Field(description="an account's voperson_id or a service account's subject")
    reason: Reason = ""


class GroupDetailRead(GroupRead):
    vo: str
    parent: str | None
    roles: list[str]
    admins: list[str]
    subgroups: list[str]


class MemberCreate(_In):
    subject: str
    roles: list[str] = Field(default_factory=lambda: ["member"])
    expires_at: datetime | None = None
    valid_from: datetime | None = None
    reason: Reason = ""


class MemberUpdate(_In):
    """Fields left out stay as they are; ``expires_at`` (also null = unlimited, subgroups only)
    extends the membership, ``status`` suspends or resumes it."""

    roles: list[str] | None = None
    expires_at: datetime | None = None
    status: Literal["active", "suspended"] | None = None
    reason: Reason = ""


class MemberRead(BaseModel):
    """A membership with what it is in effect: a subgroup membership never outlives its
    parent's, and a suspended or expired parent membership suspends it too."""

    subject: str
    group: str
    roles: list[str]
    status: str
    effective_status: str
    valid_from: UTCTime
    expires_at: UTCTime | None
    effective_expires_at: UTCTime | None
    updated_at: UTCTime


class ExportRow(BaseModel):
    subject: str
    group: str
    roles: list[str]
    status: str
    valid_from: UTCTime
    expires_at: UTCTime | None


class EnrolmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group: str
    name: str
    approval_required: bool
    aup_required: bool
    duration_days: int | None
    allowed_roles: list[str]
    justification_label: str
    visible: bool
    enabled: bool
    is_default: bool
    created_at: UTCTime


class ApplicationCreate(_In):
    roles: list[str] = Field(default_factory=lambda: ["member"])
    justification: Annotated[str, StringConstraints(max_length=4000)] = ""
    accept_aup: bool = Field(
        default=False, description="accept the current version of the VO's acceptable-use policy"
    )


class EventQuery(Paging):
    subject: str | None = Field(default=None, description="only this subject's events")


class ApplicationQuery(_In):
    status: ApplicationStatus | None = None


class ApplicationDecision(_In):
    approve: bool
    reason: Reason = ""


class ApplicationRead(BaseModel):
    id: int
    enrolment_id: int
    group: str
    subject: str
    roles: list[str]
    justification: str
    aup_version: int | None
    status: str
    created_at: UTCTime
    decided_at: UTCTime | None
    decided_by: str
    reason: str


class InvitationCreate(_In):
    email: str
    roles: list[str] = Field(default_factory=lambda: ["member"])
    hours: int = Field(default=72, description="how long the link works")


class InvitationRead(BaseModel):
    """An invitation; its link is only in the e-mail sent to the invitee."""

    id: int
    group: str
    email: str
    roles: list[str]
    invited_by: str
    created_at: UTCTime
    expires_at: UTCTime
    accepted_at: UTCTime | None
    accepted_by: str


class InvitationAccept(_In):
    accept_aup: bool = False
