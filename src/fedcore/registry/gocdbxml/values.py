"""Reading values out of PI elements: text, flags, numbers, dates, lists, ids and keys.

Reading is strict: an unknown element, a missing required field, a malformed flag, number or
date stops the import with an error naming the file, the element and its line. Optional
elements that GOCDB leaves out when empty read as ``""``; fields that a GOCDB version does not
render at all (a service's ``DESCRIPTION`` and ``CONTACT_EMAIL``, an endpoint's
``CONTACT_EMAIL``) read as ``None``, meaning "not given".

The variants ARGO's connectors read (registry.md §3.1; the EUDAT registry and older GOCDB
output) are accepted, each with a warning in ``Document.warnings`` (one per kind and file):
flags spelled ``Y``/``N``, ``TRUE``/``FALSE``, ``True``/``False`` or ``true``/``false`` (empty
or absent: ``None``, "not given"); ``NOTIFY`` for ``NOTIFICATIONS``; elements fedcore does not
store (``IGNORED``); ``not set`` in contact fields; an absent ``SCOPES`` or ``EXTENSIONS``
(``None``: what the registry holds is left as it is, never wiped); a
``PRODUCTION_INFRASTRUCTURE`` outside GOCDB's vocabulary. An id or key that is not GOCDB's (a
non-integer ``ID``, a key not ``<n>G0``, a ``TYPE_ID`` its ``PRIMARY_KEY`` contradicts) reads
as ``None`` with the reason in ``renumbered``: the importer allocates a new one and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NoReturn
from zoneinfo import available_timezones

from lxml import etree

from fedcore.core.errors import ValidationFailed
from fedcore.registry.gocdbxml.records import Extension, Source

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


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


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
