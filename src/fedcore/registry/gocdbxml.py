"""Reading GOCDB read-PI XML documents into plain, validated records (no database here).

A document is the ``<results>`` output of one PI method (reference: registry.md §2.4): get_ngi,
get_site, get_service_types, get_service / get_service_endpoint, get_service_group,
get_downtime, get_downtime_nested_services or get_user. The method is recognised from the
shape: the name of the record elements (``SITE``, ``SERVICE_ENDPOINT``, ``SERVICE_TYPE``,
``NGI``, ``SERVICE_GROUP``, ``DOWNTIME`` with or without ``SERVICES``, ``EGEE_USER``); the
``<meta>`` block of paged output is skipped.

Parsing is secure (no DTD, no entity expansion, no network) and strict: an unknown element, a
missing required field, a malformed flag, number or date stops the import with an error
naming the file, the element and its line. Optional elements that GOCDB leaves out when empty
read as ``""``; fields that a GOCDB version does not render at all (a service's
``DESCRIPTION`` and ``CONTACT_EMAIL``, an endpoint's ``CONTACT_EMAIL``) read as ``None``,
meaning "not given". The non-nested get_downtime form (one ``DOWNTIME`` per affected service)
is merged into one record per downtime. get_site_list output (attribute-only ``SITE``) is read
too.

The variants ARGO's connectors read (registry.md §3.1; the EUDAT registry and older GOCDB
output) are accepted, each with a warning in ``Document.warnings`` (one per kind and file):
flags spelled ``Y``/``N``, ``TRUE``/``FALSE``, ``True``/``False`` or ``true``/``false`` (empty
or absent: ``None``, "not given"); ``NOTIFY`` for ``NOTIFICATIONS``; elements fedcore does not
store (``IGNORED``); ``not set`` in contact fields; an absent ``SCOPES`` or ``EXTENSIONS``
(``None``: what the registry holds is left as it is, never wiped); a
``PRODUCTION_INFRASTRUCTURE`` outside GOCDB's vocabulary. An id or key that is not GOCDB's (a non-integer ``ID``, a key not ``<n>G0``, a
``TYPE_ID`` its ``PRIMARY_KEY`` contradicts) reads as ``None`` with the reason in
``renumbered``: the importer allocates a new one and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from zoneinfo import available_timezones

from lxml import etree

from fedcore.core.errors import ValidationFailed
from fedcore.registry.enums import (
    CertificationStatus,
    Classification,
    EntityType,
    Infrastructure,
    RoleType,
    Severity,
)

# --- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a record was read: file, element and line (for error messages)."""

    document: str
    element: str
    line: int

    def __str__(self) -> str:
        return f"{self.document}: <{self.element}> at line {self.line}"


@dataclass(frozen=True)
class Extension:
    local_id: int | None  # None: the document's LOCAL_ID is not an integer (see ``given``)
    key: str
    value: str
    given: str = field(default="", compare=False)


@dataclass(frozen=True)
class NgiRecord:
    source: Source = field(compare=False, repr=False)
    id: int
    name: str
    description: str
    email: str
    ggus_su: str
    rod_email: str
    helpdesk_email: str
    security_email: str
    scopes: tuple[str, ...] | None


@dataclass(frozen=True)
class SiteRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    primary_key: str | None
    short_name: str
    official_name: str
    description: str
    home_url: str
    email: str
    telephone: str
    alarm_email: str
    giis_url: str
    tier: str
    country_code: str
    country: str
    ngi: str
    subgrid: str
    infrastructure: str
    certification_status: str
    timezone: str
    latitude: float | None
    longitude: float | None
    csirt_email: str
    notify: bool | None
    domain: str
    ip_range: str
    ipv6_range: str
    scopes: tuple[str, ...] | None
    extensions: tuple[Extension, ...] | None
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class SiteListRecord:
    """A get_site_list entry: a site's identity, NGI, country, sub-grid and GIIS URL only."""

    source: Source = field(compare=False, repr=False)
    id: int
    primary_key: str
    short_name: str
    country_code: str
    country: str
    ngi: str
    subgrid: str
    giis_url: str


@dataclass(frozen=True)
class ServiceTypeRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    name: str
    description: str
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class EndpointRecord:
    id: int
    name: str
    url: str
    interface_name: str
    monitored: bool
    email: str | None
    extensions: tuple[Extension, ...] | None


@dataclass(frozen=True)
class ServiceRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    hostname: str
    host_dn: str
    host_os: str
    host_arch: str
    beta: bool | None
    service_type: str
    host_ip: str
    host_ipv6: str
    production: bool | None
    monitored: bool | None
    notify: bool | None
    site: str
    country_name: str
    country_code: str
    ngi: str
    url: str
    description: str | None
    email: str | None
    endpoints: tuple[EndpointRecord, ...]
    scopes: tuple[str, ...] | None
    extensions: tuple[Extension, ...] | None
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class MemberRecord:
    """A service listed in a service group: a reference by key, hostname and type; when the
    entry names its site (``SITENAME``), also the whole service, to create it if unknown."""

    id: int | None
    key: str
    hostname: str
    service_type: str
    definition: ServiceRecord | None = None


@dataclass(frozen=True)
class ServiceGroupRecord:
    source: Source = field(compare=False, repr=False)
    id: int | None
    name: str
    description: str
    monitored: bool | None
    email: str
    members: tuple[MemberRecord, ...]
    scopes: tuple[str, ...] | None
    extensions: tuple[Extension, ...] | None
    renumbered: str = field(default="", compare=False)


@dataclass(frozen=True)
class AffectedService:
    """A service a downtime affects; ``id`` is only known in the nested form."""

    id: int | None
    hostname: str
    service_type: str
    site: str
    endpoints: tuple[EndpointRecord, ...]


@dataclass(frozen=True)
class DowntimeRecord:
    source: Source = field(compare=False, repr=False)
    id: int
    primary_key: str
    classification: str
    severity: str
    description: str
    inserted_at: datetime
    start_at: datetime
    end_at: datetime
    services: tuple[AffectedService, ...]


@dataclass(frozen=True)
class RoleRecord:
    role_type: str
    entity_type: str
    entity_name: str
    entity_key: str
    projects: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class UserRecord:
    source: Source = field(compare=False, repr=False)
    id: int
    forename: str
    surname: str
    title: str
    email: str
    telephone: str
    working_hours_start: str
    working_hours_end: str
    certdn: str
    egi_checkin: str
    iris_iam: str
    home_site: str
    roles: tuple[RoleRecord, ...]

    @property
    def subject(self) -> str:
        """The identity the user logs in with: Check-in subject, else DN, else IRIS IAM."""
        return self.egi_checkin or self.certdn or self.iris_iam


Record = (
    NgiRecord
    | SiteRecord
    | SiteListRecord
    | ServiceTypeRecord
    | ServiceRecord
    | ServiceGroupRecord
    | DowntimeRecord
    | UserRecord
)


@dataclass(frozen=True)
class Document:
    name: str
    method: str
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()


# --- reading elements -----------------------------------------------------------------------------

KEY = re.compile(r"^(\d+)G0$")
INTEGER = re.compile(r"^\d+$")
MAX_ID = 2**31 - 1  # ids are 32-bit integers in GOCDB and in our tables
FORMATTED_DATE = "%Y-%m-%d %H:%M"
_TIMEZONES = frozenset(available_timezones()) | {"UTC"}


# GOCDB writes Y/N (TRUE/FALSE for a site's NOTIFICATIONS); the EUDAT registry True/False.
FLAGS = {
    **dict.fromkeys(("Y", "TRUE", "True", "true"), True),
    **dict.fromkeys(("N", "FALSE", "False", "false"), False),
}
FLAG_SPELLINGS = "Y, N, TRUE, FALSE, True, False, true or false"
PLACEHOLDER = "not set"
# Contact fields in which the EUDAT registry writes PLACEHOLDER for "none": its sites give
# <CONTACT_TEL>not set</CONTACT_TEL> and <CSIRT_EMAIL>not set</CSIRT_EMAIL> beside real values in
# the other fields (ARGO fixture sample-sites_with_contacts.xml), i.e. the field is empty.
PLACEHOLDER_TAGS = frozenset({"CONTACT_EMAIL", "CONTACT_TEL", "ALARM_EMAIL", "CSIRT_EMAIL"})
# Elements fedcore does not store, by the records they may appear in: read past, with a warning.
IGNORED: dict[str, tuple[frozenset[str], str]] = {
    "DPMT_URL": (
        frozenset({"SITE", "SERVICE_ENDPOINT", "SERVICE_GROUP"}),
        "the EUDAT registry's link to its data-project tool is not stored; ignored",
    ),
    "NOTIFY": (
        frozenset({"SERVICE_GROUP"}),
        "a service group has no notification flag in fedcore; ignored",
    ),
    "NOTIFICATIONS": (
        frozenset({"SERVICE_GROUP"}),
        "a service group has no notification flag in fedcore; ignored",
    ),
}
# NOTIFY is how some feeds spell NOTIFICATIONS (ARGO reads either, registry.md §3.1).
ALIASES = {"NOTIFY": ("NOTIFICATIONS", frozenset({"SITE", "SERVICE_ENDPOINT"}))}


class _Doc(str):
    """A document's name (every error starts with it), collecting the warnings met in it: one
    line per element name and message, with the first line it was met at and how often."""

    notes: dict[tuple[str, str], list[int]]

    def __new__(cls, name: str) -> _Doc:
        doc = super().__new__(cls, name)
        doc.notes = {}
        return doc

    def note(self, element: etree._Element, message: str) -> None:
        self.notes.setdefault((str(element.tag), message), []).append(_line(element))

    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"{self}: <{tag}> at line {lines[0]}"
            + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
            + f": {message}"
            for (tag, message), lines in self.notes.items()
        )


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) else 0


def _fail(document: str, element: etree._Element, message: str) -> NoReturn:
    raise ValidationFailed(f"{document}: <{element.tag}> at line {_line(element)}: {message}")


class _Element:
    """An element whose children must all be among ``known``; typed reads of its children."""

    def __init__(self, document: _Doc, element: etree._Element, known: Iterable[str]) -> None:
        self.document = document
        self.element = element
        self.children: dict[str, list[etree._Element]] = {}
        allowed = frozenset(known)
        for child in _elements(element):
            if child.tag not in allowed:
                _fail(document, child, f"unexpected element inside <{element.tag}>")
            self.children.setdefault(child.tag, []).append(child)

    @property
    def source(self) -> Source:
        return Source(str(self.document), str(self.element.tag), _line(self.element))

    def fail(self, message: str) -> NoReturn:
        _fail(self.document, self.element, message)

    def attribute(self, name: str) -> str:
        value = self.element.get(name)
        if value is None or not value.strip():
            self.fail(f"attribute {name} is missing")
        return value

    def node(self, tag: str) -> etree._Element | None:
        nodes = self.children.get(tag, [])
        if len(nodes) > 1:
            _fail(self.document, nodes[1], f"<{tag}> is given twice")
        return nodes[0] if nodes else None

    def nodes(self, tag: str) -> list[etree._Element]:
        return self.children.get(tag, [])

    def optional(self, tag: str) -> str | None:
        node = self.node(tag)
        return None if node is None else _text(self.document, node)

    def text(self, tag: str, *, required: bool = False) -> str:
        value = self.optional(tag) or ""
        if required and not value.strip():
            self.fail(f"{tag} is missing or empty")
        return value

    def flag(self, tag: str) -> bool | None:
        """A Y/N flag in any of the spellings ARGO accepts; ``None`` when empty or absent."""
        raw = self.text(tag).strip()
        if not raw:
            return None
        value = FLAGS.get(raw)
        if value is None:
            self.fail(f"{tag}: {raw!r} is not a flag ({FLAG_SPELLINGS})")
        return value

    def integer(self, tag: str) -> int:
        return _integer(self, tag, self.text(tag, required=True))

    def number(self, tag: str, limit: float) -> float | None:
        raw = self.text(tag).strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.fail(f"{tag}: {raw!r} is not a number")
        if not -limit <= value <= limit:
            self.fail(f"{tag}: {raw} is outside -{limit:g}..{limit:g}")
        return value

    def choice(self, tag: str, allowed: Iterable[str]) -> str:
        value = self.text(tag, required=True).strip()
        return _choice(self, tag, value, allowed)

    def timestamp(self, tag: str) -> datetime:
        raw = self.text(tag, required=True).strip()
        if not re.fullmatch(r"-?\d+", raw):
            self.fail(f"{tag}: {raw!r} is not a Unix time in seconds")
        value = int(raw)
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            self.fail(f"{tag}: {value} is not a usable Unix time")

    def formatted_date(self, tag: str) -> None:
        raw = self.text(tag).strip()
        if raw:
            try:
                datetime.strptime(raw, FORMATTED_DATE).replace(tzinfo=UTC)
            except ValueError:
                self.fail(f"{tag}: {raw!r} is not a date of the form YYYY-MM-DD HH:MM")

    def container(self, tag: str, *, required: bool) -> etree._Element | None:
        """A list element; one GOCDB always writes (even empty) must be there, for an absent
        list would otherwise read as "none" and replace what the registry holds."""
        node = self.node(tag)
        if node is None and required:
            self.fail(f"{tag} is missing (GOCDB always writes it, if only empty)")
        return node

    def scopes(self) -> tuple[str, ...] | None:
        """The SCOPE names; ``None`` when SCOPES is absent (not "none": left as they are)."""
        node = self.node("SCOPES")
        if node is None:
            self.document.note(
                self.element, "SCOPES is not given; the registry's scopes are left as they are"
            )
            return None
        scopes = _Element(self.document, node, {"SCOPE"})
        names = [scopes.text_of(n, "SCOPE") for n in scopes.nodes("SCOPE")]
        return tuple(dict.fromkeys(names))

    def text_of(self, node: etree._Element, tag: str) -> str:
        value = _text(self.document, node)
        if not value.strip():
            _fail(self.document, node, f"{tag} is empty")
        return value

    def extensions(self, *, noted: bool = True) -> tuple[Extension, ...] | None:
        """The EXTENSION properties; ``None`` when EXTENSIONS is absent (left as they are),
        noted unless the element is one GOCDB versions leave out (a downtime's endpoints)."""
        node = self.node("EXTENSIONS")
        if node is None:
            if noted:
                self.document.note(
                    self.element,
                    "EXTENSIONS is not given; the registry's extension properties are left as "
                    "they are",
                )
            return None
        holder = _Element(self.document, node, {"EXTENSION"})
        items: list[Extension] = []
        for child in holder.nodes("EXTENSION"):
            ext = _Element(self.document, child, {"LOCAL_ID", "KEY", "VALUE"})
            given = ext.text("LOCAL_ID", required=True).strip()
            item = Extension(
                _integer(ext, "LOCAL_ID", given) if INTEGER.match(given) else None,
                ext.text("KEY", required=True),
                ext.text("VALUE"),
                given,
            )
            if any(i.key == item.key for i in items):
                ext.fail(f"KEY {item.key!r} is given twice")
            if item.local_id is not None and any(i.local_id == item.local_id for i in items):
                ext.fail(f"LOCAL_ID {item.local_id} is given twice")
            items.append(item)
        return tuple(items)


def _elements(element: etree._Element) -> list[etree._Element]:
    """Child elements, without comments and processing instructions."""
    return [child for child in element if isinstance(child.tag, str)]


def _text(document: _Doc, node: etree._Element) -> str:
    if _elements(node):
        _fail(document, node, "must hold text, not elements")
    return node.text or ""


def _integer(el: _Element, what: str, raw: str) -> int:
    if not INTEGER.match(raw.strip()):
        el.fail(f"{what}: {raw!r} is not an integer id")
    return _in_range(el, what, int(raw))


def _usable_key(el: _Element, what: str, raw: str) -> tuple[int | None, str]:
    """A key's number, or ``None`` and why it cannot be kept (it is not ``<n>G0``)."""
    if KEY.match(raw.strip()) is None:
        return None, f"{what} {raw.strip()!r} is not a GOCDB key of the form <n>G0"
    return _key(el, what, raw), ""


def _key(el: _Element, what: str, raw: str) -> int:
    """The number of a GOCDB primary key ``<n>G0``."""
    match = KEY.match(raw.strip())
    if match is None:
        el.fail(f"{what}: {raw!r} is not a GOCDB key of the form <n>G0")
    return _in_range(el, what, int(match.group(1)))


def _in_range(el: _Element, what: str, value: int) -> int:
    if value > MAX_ID:
        el.fail(f"{what}: {value} is larger than {MAX_ID}")
    return value


def _choice(el: _Element, tag: str, value: str, allowed: Iterable[str]) -> str:
    options = list(allowed)
    if value not in options:
        el.fail(f"{tag}: {value!r} is not one of {', '.join(options)}")
    return value


def _same_key(el: _Element, attribute: str, child: str = "PRIMARY_KEY") -> str:
    """The ``PRIMARY_KEY`` attribute, which a ``PRIMARY_KEY`` child (if any) must repeat."""
    key = el.attribute(attribute)
    repeated = el.optional(child)
    if repeated is not None and repeated.strip() != key.strip():
        el.fail(f"{child} {repeated!r} differs from the {attribute} attribute {key!r}")
    return key.strip()


# --- one reader per method ------------------------------------------------------------------------


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


NGI_TAGS = _tags(
    "PRIMARY_KEY NAME OBJECT_ID DESCRIPTION EMAIL GGUS_SU ROD_EMAIL HELPDESK_EMAIL "
    "SECURITY_EMAIL SITE_COUNT SCOPES"
)


def _ngi(document: _Doc, node: etree._Element) -> NgiRecord:
    el = _Element(document, node, NGI_TAGS)
    ngi_id = _integer(el, "ID", el.attribute("ID"))
    name = el.attribute("NAME")
    if el.text("NAME", required=True) != name:
        el.fail(f"NAME {el.text('NAME')!r} differs from the NAME attribute {name!r}")
    for tag in ("PRIMARY_KEY", "OBJECT_ID", "SITE_COUNT"):
        if el.text(tag).strip():
            el.integer(tag)
    return NgiRecord(
        source=el.source,
        id=ngi_id,
        name=name,
        description=el.text("DESCRIPTION"),
        email=el.text("EMAIL"),
        ggus_su=el.text("GGUS_SU"),
        rod_email=el.text("ROD_EMAIL"),
        helpdesk_email=el.text("HELPDESK_EMAIL"),
        security_email=el.text("SECURITY_EMAIL"),
        scopes=el.scopes(),
    )


SITE_TAGS = _tags(
    "PRIMARY_KEY SHORT_NAME OFFICIAL_NAME SITE_DESCRIPTION GOCDB_PORTAL_URL HOME_URL "
    "CONTACT_EMAIL CONTACT_TEL ALARM_EMAIL GIIS_URL TIER COUNTRY_CODE COUNTRY ROC SUBGRID "
    "PRODUCTION_INFRASTRUCTURE CERTIFICATION_STATUS TIMEZONE LATITUDE LONGITUDE CSIRT_EMAIL "
    "NOTIFICATIONS DOMAIN SITE_IP SITE_IPV6 SCOPES EXTENSIONS"
)
DOMAIN_TAGS = _tags("DOMAIN_NAME SITE_IP SITE_IPV6")


def _site(document: _Doc, node: etree._Element) -> SiteRecord:
    el = _Element(document, node, SITE_TAGS)
    given_id = el.attribute("ID").strip()
    site_id = _integer(el, "ID", given_id) if INTEGER.match(given_id) else None
    given_key = _same_key(el, "PRIMARY_KEY")
    key_number, bad_key = _usable_key(el, "PRIMARY_KEY", given_key)
    renumbered = "; ".join(
        ([] if site_id is not None else [f"ID {given_id!r} is not an integer id"])
        + ([bad_key] if bad_key else [])
    )
    name = el.attribute("NAME")
    short_name = el.optional("SHORT_NAME")
    if short_name is not None and short_name != name:
        el.fail(f"SHORT_NAME {short_name!r} differs from the NAME attribute {name!r}")
    domain_node = el.node("DOMAIN")
    domain = None if domain_node is None else _Element(document, domain_node, DOMAIN_TAGS)
    timezone = el.text("TIMEZONE").strip()
    if timezone and timezone not in _TIMEZONES:
        el.fail(f"TIMEZONE: {timezone!r} is not an IANA time zone name")
    infrastructure = el.text("PRODUCTION_INFRASTRUCTURE", required=True).strip()
    if infrastructure not in set(Infrastructure):
        # GOCDB's infrastructures are a table each deployment fills (the EUDAT registry has DICE)
        document.note(
            el.element,
            f"PRODUCTION_INFRASTRUCTURE {infrastructure!r} is not one of "
            f"{', '.join(Infrastructure)}; kept as it is",
        )
    return SiteRecord(
        source=el.source,
        id=site_id,
        primary_key=None if key_number is None else given_key,
        short_name=name,
        official_name=el.text("OFFICIAL_NAME"),
        description=el.text("SITE_DESCRIPTION"),
        home_url=el.text("HOME_URL"),
        email=el.text("CONTACT_EMAIL"),
        telephone=el.text("CONTACT_TEL"),
        alarm_email=el.text("ALARM_EMAIL"),
        giis_url=el.text("GIIS_URL"),
        tier=el.text("TIER"),
        country_code=el.text("COUNTRY_CODE", required=True).strip(),
        country=el.text("COUNTRY"),
        ngi=el.text("ROC", required=True),
        subgrid=el.text("SUBGRID"),
        infrastructure=infrastructure,
        certification_status=el.choice("CERTIFICATION_STATUS", CertificationStatus),
        timezone=timezone,
        latitude=el.number("LATITUDE", 90),
        longitude=el.number("LONGITUDE", 180),
        csirt_email=el.text("CSIRT_EMAIL"),
        notify=el.flag("NOTIFICATIONS"),
        domain=domain.text("DOMAIN_NAME") if domain else "",
        ip_range=_beside_or_inside(el, domain, "SITE_IP"),
        ipv6_range=_beside_or_inside(el, domain, "SITE_IPV6"),
        scopes=el.scopes(),
        extensions=el.extensions(),
        renumbered=renumbered,
    )


SITE_LIST_ATTRIBUTES = _tags("ID PRIMARY_KEY NAME COUNTRY COUNTRY_CODE ROC SUBGRID GIIS_URL")


def _site_list_entry(document: _Doc, node: etree._Element) -> SiteListRecord:
    """A get_site_list ``SITE``: attributes only."""
    el = _Element(document, node, ())
    for name in node.attrib:
        if name not in SITE_LIST_ATTRIBUTES:
            el.fail(f"unexpected attribute {name!s} of a get_site_list SITE")
    primary_key = el.attribute("PRIMARY_KEY").strip()
    _key(el, "PRIMARY_KEY", primary_key)
    return SiteListRecord(
        source=el.source,
        id=_integer(el, "ID", el.attribute("ID")),
        primary_key=primary_key,
        short_name=el.attribute("NAME"),
        country_code=el.attribute("COUNTRY_CODE").strip(),
        country=node.get("COUNTRY", ""),
        ngi=el.attribute("ROC"),
        subgrid=node.get("SUBGRID", ""),
        giis_url=node.get("GIIS_URL", ""),
    )


def _beside_or_inside(el: _Element, domain: _Element | None, tag: str) -> str:
    """``SITE_IP``/``SITE_IPV6`` sit beside ``DOMAIN`` in GOCDB 5 output, inside it in older."""
    beside, inside = el.optional(tag), domain.optional(tag) if domain else None
    if beside is not None and inside is not None:
        el.fail(f"{tag} is given both inside and beside DOMAIN")
    return beside or inside or ""


def _service_type(document: _Doc, node: etree._Element) -> ServiceTypeRecord:
    """A service type; an empty SERVICE_TYPE_DESC (ARGO's sample-service_types_gocdb.xml) is
    kept empty: fedcore's forms require a description, the registry's column does not."""
    el = _Element(document, node, _tags("SERVICE_TYPE_NAME SERVICE_TYPE_DESC"))
    type_id = el.attribute("TYPE_ID").strip()
    number, renumbered = _usable_key(el, "TYPE_ID", type_id)
    primary_key = el.element.get("PRIMARY_KEY")
    if number is not None and primary_key is not None and primary_key.strip() != type_id:
        number, renumbered = None, f"TYPE_ID {type_id!r} and PRIMARY_KEY {primary_key!r} differ"
    return ServiceTypeRecord(
        source=el.source,
        id=number,
        name=el.text("SERVICE_TYPE_NAME", required=True),
        description=el.text("SERVICE_TYPE_DESC"),
        renumbered=renumbered,
    )


ENDPOINT_TAGS = _tags("ID NAME EXTENSIONS URL INTERFACENAME ENDPOINT_MONITORED CONTACT_EMAIL")


def _endpoints(el: _Element, holder_tag: str, *, required: bool) -> tuple[EndpointRecord, ...]:
    """A service's ENDPOINTS (always written, with EXTENSIONS each) or a downtime's
    AFFECTED_ENDPOINTS (absent from older GOCDB output)."""
    holder = el.container(holder_tag, required=required)
    if holder is None:
        return ()
    items: list[EndpointRecord] = []
    for node in _Element(el.document, holder, {"ENDPOINT"}).nodes("ENDPOINT"):
        endpoint = _Element(el.document, node, ENDPOINT_TAGS)
        item = EndpointRecord(
            id=endpoint.integer("ID"),
            name=endpoint.text("NAME", required=True),
            url=endpoint.text("URL"),
            interface_name=endpoint.text("INTERFACENAME"),
            monitored=endpoint.flag("ENDPOINT_MONITORED") is True,  # ARGO: monitored if Y
            email=endpoint.optional("CONTACT_EMAIL"),
            extensions=endpoint.extensions(noted=required),
        )
        if any(i.id == item.id for i in items):
            endpoint.fail(f"endpoint ID {item.id} is given twice")
        if any(i.name == item.name for i in items):
            endpoint.fail(f"endpoint NAME {item.name!r} is given twice")
        items.append(item)
    return tuple(items)


SERVICE_TAGS = _tags(
    "PRIMARY_KEY HOSTNAME GOCDB_PORTAL_URL HOSTDN HOST_OS HOST_ARCH BETA SERVICE_TYPE HOST_IP "
    "HOST_IPV6 CORE IN_PRODUCTION NODE_MONITORED NOTIFICATIONS SITENAME COUNTRY_NAME "
    "COUNTRY_CODE ROC_NAME URL ENDPOINTS SCOPES EXTENSIONS DESCRIPTION CONTACT_EMAIL"
)


def _service(document: _Doc, node: etree._Element) -> ServiceRecord:
    el = _Element(document, node, SERVICE_TAGS)
    number, renumbered = _usable_key(el, "PRIMARY_KEY", _same_key(el, "PRIMARY_KEY"))
    return ServiceRecord(
        source=el.source,
        id=number,
        hostname=el.text("HOSTNAME", required=True),
        host_dn=el.text("HOSTDN"),
        host_os=el.text("HOST_OS"),
        host_arch=el.text("HOST_ARCH"),
        beta=el.flag("BETA"),
        service_type=el.text("SERVICE_TYPE", required=True),
        host_ip=el.text("HOST_IP"),
        host_ipv6=el.text("HOST_IPV6"),
        production=el.flag("IN_PRODUCTION"),
        monitored=el.flag("NODE_MONITORED"),
        notify=el.flag("NOTIFICATIONS"),
        site=el.text("SITENAME", required=True),
        country_name=el.text("COUNTRY_NAME"),
        country_code=el.text("COUNTRY_CODE").strip(),
        ngi=el.text("ROC_NAME"),
        url=el.text("URL"),
        description=el.optional("DESCRIPTION"),
        email=el.optional("CONTACT_EMAIL"),
        endpoints=_endpoints(el, "ENDPOINTS", required=True),
        scopes=el.scopes(),
        extensions=el.extensions(),
        renumbered=renumbered,
    )


GROUP_TAGS = _tags(
    "NAME DESCRIPTION MONITORED CONTACT_EMAIL GOCDB_PORTAL_URL SERVICE_ENDPOINT SCOPES EXTENSIONS"
)


def _service_group(document: _Doc, node: etree._Element) -> ServiceGroupRecord:
    el = _Element(document, node, GROUP_TAGS)
    group_id, renumbered = _group_id(el)
    members: list[MemberRecord] = []
    for child in el.nodes("SERVICE_ENDPOINT"):
        member = _Element(document, child, SERVICE_TAGS)
        key = _same_key(member, "PRIMARY_KEY")
        item = MemberRecord(
            id=_usable_key(member, "PRIMARY_KEY", key)[0],
            key=key,
            hostname=member.text("HOSTNAME", required=True),
            service_type=member.text("SERVICE_TYPE", required=True),
            definition=_service(document, child) if member.text("SITENAME").strip() else None,
        )
        if any(
            (m.key, m.hostname, m.service_type) == (key, item.hostname, item.service_type)
            for m in members
        ):
            member.fail(f"service {key} is listed twice")
        members.append(item)
    return ServiceGroupRecord(
        source=el.source,
        id=group_id,
        name=el.text("NAME", required=True),
        description=el.text("DESCRIPTION"),
        monitored=el.flag("MONITORED"),
        email=el.text("CONTACT_EMAIL"),
        members=tuple(members),
        scopes=el.scopes(),
        extensions=el.extensions(),
        renumbered=renumbered,
    )


def _group_id(el: _Element) -> tuple[int | None, str]:
    """A group's ID (its PRIMARY_KEY ``<ID>G0`` must agree), or ``None`` and why: the EUDAT
    registry writes no ID and a hexadecimal PRIMARY_KEY."""
    given = el.element.get("ID")
    primary_key = el.element.get("PRIMARY_KEY")
    if given is None:
        if primary_key is None:
            el.fail("attribute ID is missing")
        return _usable_key(el, "PRIMARY_KEY", primary_key)
    if not INTEGER.match(given.strip()):
        return None, f"ID {given.strip()!r} is not an integer id"
    group_id = _integer(el, "ID", given)
    if primary_key is not None and primary_key.strip() != f"{group_id}G0":
        el.fail(f"PRIMARY_KEY {primary_key!r} does not match ID {group_id} (expected {group_id}G0)")
    return group_id, ""


DOWNTIME_TAGS = _tags(
    "PRIMARY_KEY HOSTNAME SERVICE_TYPE ENDPOINT HOSTED_BY GOCDB_PORTAL_URL AFFECTED_ENDPOINTS "
    "SEVERITY DESCRIPTION INSERT_DATE START_DATE END_DATE FORMATED_START_DATE "
    "FORMATED_END_DATE SERVICES"
)
AFFECTED_TAGS = _tags("PRIMARY_KEY HOSTNAME SERVICE_TYPE ENDPOINT HOSTED_BY AFFECTED_ENDPOINTS")
PER_SERVICE_TAGS = _tags("HOSTNAME SERVICE_TYPE ENDPOINT HOSTED_BY AFFECTED_ENDPOINTS")


def _affected(el: _Element, service_id: int | None) -> AffectedService:
    return AffectedService(
        id=service_id,
        hostname=el.text("HOSTNAME", required=True),
        service_type=el.text("SERVICE_TYPE", required=True),
        site=el.text("HOSTED_BY", required=True),
        endpoints=_endpoints(el, "AFFECTED_ENDPOINTS", required=False),
    )


def _downtime(document: _Doc, node: etree._Element) -> DowntimeRecord:
    """One ``DOWNTIME``: nested (``SERVICES`` → ``SERVICE``*) or one row per affected service."""
    el = _Element(document, node, DOWNTIME_TAGS)
    primary_key = el.attribute("PRIMARY_KEY").strip()
    _key(el, "PRIMARY_KEY", primary_key)
    services_node = el.node("SERVICES")
    if services_node is None:
        _same_key(el, "PRIMARY_KEY")
        services: tuple[AffectedService, ...] = (_affected(el, None),)
    else:
        for tag in PER_SERVICE_TAGS | {"PRIMARY_KEY"}:
            if el.node(tag) is not None:
                el.fail(f"{tag} belongs inside SERVICE in get_downtime_nested_services output")
        holder = _Element(document, services_node, {"SERVICE"})
        affected = [_Element(document, n, AFFECTED_TAGS) for n in holder.nodes("SERVICE")]
        services = tuple(
            _affected(a, _key(a, "PRIMARY_KEY", a.text("PRIMARY_KEY", required=True)))
            for a in affected
        )
        if not services:
            el.fail("SERVICES lists no service")
    for tag in ("FORMATED_START_DATE", "FORMATED_END_DATE"):
        el.formatted_date(tag)
    record = DowntimeRecord(
        source=el.source,
        id=_integer(el, "ID", el.attribute("ID")),
        primary_key=primary_key,
        classification=_choice(
            el, "CLASSIFICATION", el.attribute("CLASSIFICATION").strip(), Classification
        ),
        severity=el.choice("SEVERITY", Severity),
        description=el.text("DESCRIPTION"),
        inserted_at=el.timestamp("INSERT_DATE"),
        start_at=el.timestamp("START_DATE"),
        end_at=el.timestamp("END_DATE"),
        services=services,
    )
    if record.end_at < record.start_at:
        el.fail("END_DATE is before START_DATE")
    return record


def _merge_downtimes(records: Sequence[DowntimeRecord]) -> list[DowntimeRecord]:
    """get_downtime repeats a downtime once per affected service: one record per downtime."""
    merged: dict[int, DowntimeRecord] = {}
    for record in records:
        seen = merged.setdefault(record.id, record)
        if seen is record:
            continue
        if replace(seen, services=()) != replace(record, services=()):
            raise ValidationFailed(
                f"{record.source}: downtime {record.id} differs from its entry at line "
                f"{seen.source.line} in more than the affected service"
            )
        if record.services[0] in seen.services:
            raise ValidationFailed(f"{record.source}: downtime {record.id} repeats a service")
        merged[record.id] = replace(seen, services=seen.services + record.services)
    return list(merged.values())


ROLE_TAGS = _tags("USER_ROLE ON_ENTITY ENTITY_TYPE PRIMARY_KEY RECOGNISED_IN_PROJECTS")
USER_TAGS = _tags(
    "FORENAME SURNAME TITLE DESCRIPTION GOCDB_PORTAL_URL EMAIL TEL WORKING_HOURS_START "
    "WORKING_HOURS_END CERTDN EGICHECKIN IRISIAM SSOUSERNAME APPROVED ACTIVE HOMESITE USER_ROLE"
)


def _role(document: _Doc, node: etree._Element) -> RoleRecord:
    el = _Element(document, node, ROLE_TAGS)
    role_type = el.choice("USER_ROLE", RoleType)
    entity_type = el.choice("ENTITY_TYPE", EntityType)
    if RoleType(role_type).entity_type != entity_type:
        el.fail(f"a {role_type} role is not held over a {entity_type}")
    key = el.text("PRIMARY_KEY").strip()
    # a site is named by its key <n>G0; an NGI, project or service group by its integer id
    if key and (entity_type == EntityType.SITE or not INTEGER.match(key)):
        _key(el, "PRIMARY_KEY", key)
    projects: list[tuple[int, str]] = []
    holder = el.node("RECOGNISED_IN_PROJECTS")
    if holder is not None:
        for child in _Element(document, holder, {"PROJECT"}).nodes("PROJECT"):
            project = _Element(document, child, ())
            project_id = _integer(project, "ID", project.attribute("ID"))
            projects.append((project_id, project.text_of(child, "PROJECT")))
    return RoleRecord(
        role_type=role_type,
        entity_type=entity_type,
        entity_name=el.text("ON_ENTITY", required=True),
        entity_key=key,
        projects=tuple(projects),
    )


def _user(document: _Doc, node: etree._Element) -> UserRecord:
    el = _Element(document, node, USER_TAGS)
    key = el.attribute("ID").strip()
    primary_key = el.element.get("PRIMARY_KEY")
    if primary_key is not None and primary_key.strip() != key:
        el.fail(f"PRIMARY_KEY {primary_key!r} differs from ID {key!r}")
    roles = tuple(_role(document, n) for n in el.nodes("USER_ROLE"))
    triples = [(r.role_type, r.entity_type, r.entity_name) for r in roles]
    if len(set(triples)) != len(triples):
        el.fail("a USER_ROLE is given twice")
    record = UserRecord(
        source=el.source,
        id=_key(el, "ID", key),
        forename=el.text("FORENAME"),
        surname=el.text("SURNAME"),
        title=el.text("TITLE"),
        email=el.text("EMAIL"),
        telephone=el.text("TEL"),
        working_hours_start=el.text("WORKING_HOURS_START"),
        working_hours_end=el.text("WORKING_HOURS_END"),
        certdn=el.text("CERTDN"),
        egi_checkin=el.text("EGICHECKIN"),
        iris_iam=el.text("IRISIAM"),
        home_site=el.text("HOMESITE"),
        roles=roles,
    )
    if not record.subject.strip():
        el.fail("the user has no identifier (CERTDN, EGICHECKIN or IRISIAM)")
    return record


# --- documents ------------------------------------------------------------------------------------

METHODS = {
    "NGI": "get_ngi",
    "SITE": "get_site",
    "SERVICE_TYPE": "get_service_types",
    "SERVICE_ENDPOINT": "get_service_endpoint",
    "SERVICE_GROUP": "get_service_group",
    "DOWNTIME": "get_downtime",
    "EGEE_USER": "get_user",
}
NESTED_DOWNTIMES = "get_downtime_nested_services"
BROADCAST_TAGS = _tags("REMINDER_START_DOWNTIME BROADCASTING_START_DOWNTIME")
_READERS: dict[str, Callable[[_Doc, etree._Element], Record]] = {
    "NGI": _ngi,
    "SITE": _site,
    "SERVICE_TYPE": _service_type,
    "SERVICE_ENDPOINT": _service,
    "SERVICE_GROUP": _service_group,
    "EGEE_USER": _user,
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


def parse_document(data: bytes, name: str) -> Document:
    """Parse and validate one PI document; ``name`` (e.g. the file name) prefixes every error
    and warning."""
    document = _Doc(name)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValidationFailed(f"{name}: not well-formed XML: {exc}") from exc
    info = root.getroottree().docinfo
    if info.internalDTD is not None:
        raise ValidationFailed(f"{name}: a DOCTYPE is not allowed in a GOCDB PI document")
    if root.tag != "results":
        _fail(name, root, "the root element must be <results> (GOCDB PI output)")
    items = [child for child in _elements(root) if child.tag != "meta"]
    if not items:
        return Document(name, "", ())
    for item in items:
        _normalise(document, item)
    tag = str(items[0].tag)
    if tag == "error":
        _fail(name, items[0], f"the document is a PI error: {(items[0].text or '').strip()}")
    if tag not in METHODS:
        _fail(
            name,
            items[0],
            "not an importable record; importable are the records of get_ngi, get_site, "
            "get_service_types, get_service, get_service_group, get_downtime, "
            f"get_downtime_nested_services and get_user ({', '.join(METHODS)})",
        )
    for item in items:
        if item.tag != tag:
            _fail(name, item, f"<{item.tag}> mixed with <{tag}> records")
    if tag == "DOWNTIME":
        return _downtimes(document, items)
    method, reader = METHODS[tag], _READERS[tag]
    if tag == "SITE" and not _elements(items[0]):
        method, reader = "get_site_list", _site_list_entry
    records = [reader(document, item) for item in items]
    _check_unique(records)
    return Document(name, method, tuple(records), document.warnings())


def _normalise(document: _Doc, record: etree._Element) -> None:
    """Read the variants of other feeds as GOCDB's, noting each: elements fedcore does not
    store are dropped, ``NOTIFY`` is read as ``NOTIFICATIONS``, "not set" as empty."""
    for element in list(record.iter()):
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        parent_tag = None if parent is None else parent.tag
        where, why = IGNORED.get(element.tag, (frozenset(), ""))
        alias, renamed_in = ALIASES.get(element.tag, ("", frozenset()))
        if parent is not None and parent_tag in where:
            document.note(element, why)
            parent.remove(element)
        elif parent_tag in renamed_in:
            document.note(element, f"read as {alias}")
            element.tag = alias
        elif element.tag in PLACEHOLDER_TAGS and (element.text or "").strip() == PLACEHOLDER:
            document.note(element, f"{PLACEHOLDER!r} read as empty")
            element.text = ""


def _downtimes(name: _Doc, items: list[etree._Element]) -> Document:
    if {str(c.tag) for c in _elements(items[0])} & BROADCAST_TAGS:
        _fail(name, items[0], "get_downtime_to_broadcast output is not imported; use get_downtime")
    nested = [any(c.tag == "SERVICES" for c in _elements(item)) for item in items]
    for item, is_nested in zip(items, nested, strict=True):
        if is_nested != nested[0]:
            _fail(name, item, "nested and non-nested downtimes mixed in one document")
    records = [_downtime(name, item) for item in items]
    if nested[0]:
        _check_unique(records)
        return Document(str(name), NESTED_DOWNTIMES, tuple(records), name.warnings())
    merged = tuple(_merge_downtimes(records))
    return Document(str(name), METHODS["DOWNTIME"], merged, name.warnings())


def parse_file(path: Path | str) -> Document:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    return parse_document(data, str(path))


def _name(record: Record) -> object:
    """What names a record besides its id; ``None`` for the kinds whose ids must be unique."""
    if isinstance(record, SiteRecord):
        return record.short_name
    if isinstance(record, ServiceRecord):
        return (record.hostname, record.service_type, record.site)
    if isinstance(record, NgiRecord | ServiceTypeRecord | ServiceGroupRecord):
        return record.name
    return None


def _check_unique(records: Iterable[Record]) -> None:
    """The same id twice must describe the same thing (within a document or a whole import),
    unless the two are named differently: then the importer gives the later one a new id."""
    seen: dict[tuple[type, int], Record] = {}
    for record in records:
        if record.id is None:
            continue
        other = seen.setdefault((type(record), record.id), record)
        if other is not record and other != record and _name(other) in (None, _name(record)):
            raise ValidationFailed(
                f"{record.source}: id {record.id} is given differently at {other.source}"
            )


def check_documents(documents: Sequence[Document]) -> None:
    """Across the documents of one import, each id is described the same way wherever it is."""
    _check_unique(r for d in documents for r in d.records)
