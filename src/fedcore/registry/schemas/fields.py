"""Shared field types and validators of the registry schemas, and extension properties."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from fedcore.core.db import isoformat_z

if TYPE_CHECKING:
    pass

# Shapes of GOCDB's field validators (config/gocdb_schema.xml), simplified to what matters.


NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9 ._@()\-]*$"
KEY_RE = r"^[A-Za-z0-9\s@_\-\[\]+.]{1,255}$"
VALUE_FORBIDDEN = re.compile(r"['\";()`]")
HOSTNAME_RE = r"^([A-Za-z0-9_]([A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?)*\.?$"
EMAIL_RE = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_RE = r"^$|^[A-Za-z][A-Za-z0-9+.\-]*://\S+$"


def _no_quotes(value: str) -> str:
    if any(c in value for c in "\"'`"):
        raise ValueError("quote characters are not allowed")
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time zone is required (use Z for UTC)")
    return value.astimezone(UTC)


def _ip_address(value: str) -> str:
    if value:
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from exc
    return value


def _timezone(value: str) -> str:
    if value != "UTC" and value not in available_timezones():
        raise ValueError(f"{value!r} is not an IANA time zone name")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=NAME_RE)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255, pattern=EMAIL_RE)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000, pattern=URL_RE)]
Hostname = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253, pattern=HOSTNAME_RE)
]
UTCTime = Annotated[datetime, AfterValidator(_utc), PlainSerializer(isoformat_z, return_type=str)]
Timezone = Annotated[str, AfterValidator(_timezone)]
IpAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_ip_address)
]
Dn = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(_no_quotes)
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- extension properties -------------------------------------------------------------------


class PropertyIn(_In):
    key: Annotated[str, StringConstraints(pattern=KEY_RE)]
    value: Annotated[str, StringConstraints(max_length=255)] = ""

    @field_validator("value")
    @classmethod
    def _value_chars(cls, value: str) -> str:
        if VALUE_FORBIDDEN.search(value):
            raise ValueError("quotes, ';', parentheses and backticks are not allowed")
        return value


class PropertyRead(_Out):
    id: int
    key: str
    value: str


class NameFilter(_In):
    """The list filter of entities found by name only (scopes, projects, service types,
    service groups)."""

    name: str | None = Field(default=None, description="exact name or SQL LIKE pattern with %")


def read_dict(obj: Any, **extra: Any) -> dict[str, Any]:
    """Column values of ``obj`` plus ``extra``: the input of an ``XRead.model_validate``."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns} | extra
