"""Pydantic schemas of communities: VOs (the ID card), groups, roles and memberships.

Checked here, each error naming its field:

* a VO ``name`` is DNS-style: lower-case labels of letters, digits and inner hyphens, joined by
  dots (``vo.example.org``), at most 253 characters. It becomes the root group's path and the
  first group segment of every entitlement, so it cannot change;
* group and role names are one segment of letters, digits, ``_``, ``-`` and ``.`` (no ``:``,
  ``/``, ``#`` or spaces: they appear verbatim in entitlement URNs);
* the home page and the AUP URL are http(s) URLs; contacts are e-mail addresses.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from fedcore.aai.schemas import UTCTime
from fedcore.registry.schemas.fields import EMAIL_RE

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
VO_NAME_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_URL = 2000


def _invalid(reason: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", "{reason}", {"reason": reason})


def check_vo_name(value: str) -> str:
    if not VO_NAME_RE.fullmatch(value):
        raise _invalid(
            f"{value!r} is not a DNS-style name: lower-case labels of letters, digits and "
            "hyphens joined by dots, such as vo.example.org"
        )
    return value


def check_segment(value: str) -> str:
    if not SEGMENT_RE.fullmatch(value):
        raise _invalid(
            f"{value!r} must be 1-64 letters, digits, '_', '-' or '.', starting with a letter "
            "or digit"
        )
    return value


def _url(value: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise _invalid(f"{value!r} is not an http(s) URL")
    return value


def _contacts(value: Any) -> list[str]:
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise _invalid("must be a list of e-mail addresses")
    contacts: list[str] = []
    for item in items:
        address = str(item).strip().lower()
        if not address:
            continue
        if not re.fullmatch(EMAIL_RE, address):
            raise _invalid(f"{address!r} is not an e-mail address")
        if address not in contacts:
            contacts.append(address)
    return contacts


VoName = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True), AfterValidator(check_vo_name)
]
Segment = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_segment)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_URL), AfterValidator(_url)
]
Contacts = Annotated[list[str], BeforeValidator(_contacts)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Line = Annotated[str, StringConstraints(max_length=255)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VoCreate(_In):
    """A VO's ID card as its registrant submits it."""

    name: VoName
    description: Text = ""
    discipline: Line = ""
    homepage: Url = ""
    aup_text: Annotated[str, StringConstraints(max_length=100_000)] = ""
    aup_url: Url = ""
    contacts: Contacts = Field(default_factory=list)


class VoUpdate(_In):
    """A change to a VO's ID card: fields left out stay as they are. The name never changes."""

    description: Text | None = None
    discipline: Line | None = None
    homepage: Url | None = None
    aup_text: Annotated[str, StringConstraints(max_length=100_000)] | None = None
    aup_url: Url | None = None
    contacts: Contacts | None = None


class VoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
    discipline: str
    homepage: str
    aup_text: str
    aup_url: str
    aup_version: int
    contacts: list[str]
    status: str
    registered_by: str
    created_at: UTCTime
    decided_at: UTCTime | None
    decided_by: str


class GroupCreate(_In):
    """A subgroup: ``path`` is ``vo/parent/.../name``; the parent must exist."""

    path: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class GroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    name: str
    description: str
    created_at: UTCTime


class MembershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    roles: list[str]
    status: str
    valid_from: UTCTime
    expires_at: UTCTime | None
    created_at: UTCTime
    updated_at: UTCTime


class MembershipEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject: str
    action: str
    actor: str
    reason: str
    details: dict[str, Any]
    at: UTCTime
