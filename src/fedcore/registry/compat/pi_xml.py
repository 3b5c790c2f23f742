"""XML as GOCDB's PI prints it (PHP ``DOMDocument`` with ``formatOutput``): UTF-8 declaration,
root ``<results>``, two-space indentation, ``<EMPTY/>`` elements; GOCDB's date formats; and the
cursor-paging ``<meta>`` block with its HATEOAS links (GOCDB ``Helpers.php``).

Built by appending strings, which is several times faster than building an element tree for
the ten-thousand-service documents the PI serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fedcore.registry.service.pi import PiPage

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TEXT_SPECIAL = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR_SPECIAL = re.compile(r"[&<>\"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_text(value: str) -> str:
    if _TEXT_SPECIAL.search(value) is None:
        return value
    value = _NOT_XML.sub("", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attribute(value: str) -> str:
    if _ATTR_SPECIAL.search(value) is None:
        return value
    return escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def text(value: Any) -> str:
    """A value as PHP prints it: floats without a useless ``.0``, booleans as 1 or nothing."""
    if value.__class__ is str:
        return value
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def element(indent: str, tag: str, value: Any) -> str:
    """An element that is always present (``<TAG/>`` when the value is empty)."""
    content = text(value)
    if not content:
        return f"{indent}<{tag}/>\n"
    if _TEXT_SPECIAL.search(content):
        content = escape_text(content)
    return f"{indent}<{tag}>{content}</{tag}>\n"


def optional_element(indent: str, tag: str, value: Any) -> str:
    """An element GOCDB adds only when its value is not empty."""
    content = text(value)
    if not content:
        return ""
    if _TEXT_SPECIAL.search(content):
        content = escape_text(content)
    return f"{indent}<{tag}>{content}</{tag}>\n"


Attributes = Sequence[tuple[str, Any]]


def attributes(pairs: Attributes) -> str:
    return "".join(f' {name}="{escape_attribute(text(v))}"' for name, v in pairs)


class XmlWriter:
    """Writes the children of ``<results>``; :meth:`document` wraps them. :meth:`raw` appends
    text the caller formatted itself (the hot paths do, at a fixed depth)."""

    __slots__ = ("_indent", "_out", "_stack")

    def __init__(self) -> None:
        self._out: list[str] = []
        self._stack: list[str] = []
        self._indent = "  "

    def start(self, tag: str, attrs: Attributes = ()) -> None:
        self._out.append(f"{self._indent}<{tag}{attributes(attrs)}>\n")
        self._stack.append(tag)
        self._indent += "  "

    def end(self) -> None:
        self._indent = self._indent[:-2]
        self._out.append(f"{self._indent}</{self._stack.pop()}>\n")

    def empty(self, tag: str, attrs: Attributes = ()) -> None:
        self._out.append(f"{self._indent}<{tag}{attributes(attrs)}/>\n")

    def leaf(self, tag: str, value: Any, attrs: Attributes = ()) -> None:
        """An element that is always present (``<TAG/>`` when the value is empty)."""
        if attrs and text(value):
            content = escape_text(text(value))
            self._out.append(f"{self._indent}<{tag}{attributes(attrs)}>{content}</{tag}>\n")
        elif attrs:
            self.empty(tag, attrs)
        else:
            self._out.append(element(self._indent, tag, value))

    def optional(self, tag: str, value: Any) -> None:
        """An element GOCDB adds only when its value is not empty."""
        block = optional_element(self._indent, tag, value)
        if block:
            self._out.append(block)

    @property
    def indent(self) -> str:
        return self._indent

    def raw(self, block: str) -> None:
        self._out.append(block)

    def document(self, root_attributes: Attributes = ()) -> str:
        attrs = attributes(root_attributes)
        if not self._out:
            return f"{DECLARATION}<results{attrs}/>\n"
        return "".join((DECLARATION, f"<results{attrs}>\n", *self._out, "</results>\n"))


def error_document(message: str) -> str:
    """GOCDB's error body: a bare ``<error>`` element (no declaration)."""
    return f"<error>{escape_text(message)}</error>"


# --- dates -------------------------------------------------------------------------------------------


def unix(value: datetime) -> int:
    return int(value.timestamp())


def formatted(value: datetime) -> str:
    """``FORMATED_START_DATE`` style: ``YYYY-MM-DD HH:MM`` in UTC (stored times are UTC)."""
    return value.isoformat(" ", "minutes")[:16]


def change_time(value: datetime) -> str:
    """get_cert_status_changes ``TIME``: PHP ``d-M-Y H.i.s``, e.g. ``13-Sep-2022 09.21.26``."""
    v = value.astimezone(UTC)
    return f"{v.day:02d}-{MONTHS[v.month - 1]}-{v.year} {v:%H.%M.%S}"


def cert_date(value: datetime) -> str:
    """get_cert_status_date ``cert_date``: PHP ``d-M-y H.i.s A`` (24-hour clock and AM/PM, as
    GOCDB prints it), e.g. ``29-Jan-13 17.13.08 PM``."""
    v = value.astimezone(UTC)
    half = "AM" if v.hour < 12 else "PM"
    return f"{v.day:02d}-{MONTHS[v.month - 1]}-{v:%y} {v:%H.%M.%S} {half}"


# --- paging ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLinks:
    """The request as received: ``base`` (absolute URL of the endpoint, without query), the raw
    query string and its parameters in order."""

    base: str
    query: str
    params: Sequence[tuple[str, str]]

    def _href(self, params: dict[str, str]) -> str:
        return f"{self.base}?{urlencode(list(params.items()))}"

    def hrefs(self, first_id: int | None, last_id: int | None) -> Iterable[tuple[str, str]]:
        """``(rel, href)`` for self, next, prev and start, built the way GOCDB's
        ``addHateoasCursorPagingLinksToMetaElem`` edits one parameter array in turn."""
        yield "self", f"{self.base}?{self.query}"
        params = dict(self.params)
        if last_id is not None:
            params.pop("prev_cursor", None)
            params["next_cursor"] = str(last_id)
            yield "next", self._href(params)
        if first_id is not None:
            params.pop("next_cursor", None)
            params["prev_cursor"] = str(first_id)
            yield "prev", self._href(params)
        params.pop("prev_cursor", None)
        params.pop("next_cursor", None)
        params["next_cursor"] = "0"
        yield "start", self._href(params)


def write_meta(writer: XmlWriter, links: PageLinks, page: PiPage, max_page_size: int) -> None:
    writer.start("meta")
    for rel, href in links.hrefs(page.first_id, page.last_id):
        writer.empty("link", (("rel", rel), ("href", href)))
    writer.leaf("count", str(page.count))
    writer.leaf("max_page_size", str(max_page_size))
    writer.end()
