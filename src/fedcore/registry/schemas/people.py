"""Schemas of users, roles and site API credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import (
    Field,
    StringConstraints,
)

from fedcore.registry.enums import (
    CredentialKind,
    EntityType,
    RoleStatus,
    RoleType,
)

if TYPE_CHECKING:
    from fedcore.registry.models import (
        Role,
        User,
    )

# Shapes of GOCDB's field validators (config/gocdb_schema.xml), simplified to what matters.
from fedcore.registry.schemas.fields import Dn, Email, ShortText, UTCTime, _In, _Out, read_dict

# --- users, roles, API credentials ---------------------------------------------------------------


class UserCreate(_In):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    forename: ShortText = ""
    surname: ShortText = ""
    title: ShortText = ""
    email: Email = ""
    telephone: ShortText = ""
    working_hours_start: ShortText = ""
    working_hours_end: ShortText = ""
    certdn: Dn = ""
    home_site: str | None = None


class UserUpdate(_In):
    forename: ShortText | None = None
    surname: ShortText | None = None
    title: ShortText | None = None
    email: Email | None = None
    telephone: ShortText | None = None
    working_hours_start: ShortText | None = None
    working_hours_end: ShortText | None = None
    certdn: Dn | None = None
    home_site: str | None = None


class UserRead(_Out):
    id: int
    subject: str
    forename: str
    surname: str
    title: str
    email: str
    telephone: str
    certdn: str
    home_site: str | None
    created_at: UTCTime

    @classmethod
    def from_model(cls, user: User) -> UserRead:
        return cls.model_validate(
            read_dict(user, home_site=user.home_site.short_name if user.home_site else None)
        )


class RoleRequest(_In):
    role_type: RoleType
    entity_type: EntityType
    entity_id: int


class RoleRead(_Out):
    id: int
    user_subject: str
    role_type: str
    entity_type: str
    entity_id: int
    entity_name: str
    status: RoleStatus
    requested_at: UTCTime
    decided_at: UTCTime | None
    decided_by: str

    @classmethod
    def from_model(cls, role: Role, *, entity_name: str) -> RoleRead:
        """``entity_name`` comes from ``service.entity_name`` (roles point at several tables)."""
        return cls.model_validate(
            read_dict(role, user_subject=role.user.subject, entity_name=entity_name)
        )


class RoleFilter(_In):
    entity_type: EntityType | None = None
    entity_id: int | None = None
    status: RoleStatus | None = None
    subject: str | None = Field(default=None, description="the role holder's subject")


class RoleDecisionRead(_Out):
    id: int
    role_type: str
    entity_type: str
    entity_id: int
    user_subject: str
    old_status: str
    new_status: str
    decided_by: str
    decided_at: UTCTime


class ApiCredentialCreate(_In):
    kind: CredentialKind
    identifier: Dn
    allow_write: bool = False


class ApiCredentialRead(_Out):
    id: int
    site_id: int
    kind: str
    identifier: str
    owner_subject: str
    allow_write: bool
    created_at: UTCTime
    last_used_at: UTCTime | None
    last_renewed_at: UTCTime
