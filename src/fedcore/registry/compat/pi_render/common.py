"""Shared pieces of the PI renderers: the rendering context (portal links, paging links) and
the blocks several methods write (scopes, extension properties, contacts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedcore.registry.compat.pi_xml import PageLinks, XmlWriter, element, escape_text, write_meta
from fedcore.registry.service.pi import AnyRow, PiPage, Record


@dataclass(frozen=True)
class Context:
    """``base_url``: fedcore's public URL (portal links); ``links``: the request, for paging."""

    base_url: str
    links: PageLinks
    max_page_size: int

    def portal(self, kind: str, ident: int) -> str:
        return f"{self.base_url}/registry/{kind}/{ident}"

    def escaped_portal_prefix(self, kind: str) -> str:
        """``portal`` without the id, XML-escaped, for the hot paths to append ids to."""
        return escape_text(f"{self.base_url}/registry/{kind}/")

    def meta(self, writer: XmlWriter, page: PiPage) -> None:
        if page.paged:
            write_meta(writer, self.links, page, self.max_page_size)


def yes_no(flag: bool) -> str:
    return "Y" if flag else "N"


def scopes_block(indent: str, names: Sequence[str] | None) -> str:
    if not names:
        return f"{indent}<SCOPES/>\n"
    inner = indent + "  "
    return "".join(
        (
            f"{indent}<SCOPES>\n",
            *(element(inner, "SCOPE", n) for n in names),
            f"{indent}</SCOPES>\n",
        )
    )


def extensions_block(indent: str, properties: Sequence[Record] | None) -> str:
    if not properties:
        return f"{indent}<EXTENSIONS/>\n"
    inner, leaf = indent + "  ", indent + "    "
    parts = [f"{indent}<EXTENSIONS>\n"]
    for _parent, ident, key, value in properties:
        parts += (
            f"{inner}<EXTENSION>\n{leaf}<LOCAL_ID>{ident}</LOCAL_ID>\n",
            element(leaf, "KEY", key),
            element(leaf, "VALUE", value),
            f"{inner}</EXTENSION>\n",
        )
    parts.append(f"{indent}</EXTENSIONS>\n")
    return "".join(parts)


def write_scopes(w: XmlWriter, names: Sequence[str] | None) -> None:
    w.raw(scopes_block(w.indent, names))


def write_extensions(w: XmlWriter, properties: Sequence[Record] | None) -> None:
    w.raw(extensions_block(w.indent, properties))


def write_contact(w: XmlWriter, c: AnyRow, *, working_hours: bool = False) -> None:
    """The contact block; CERTDN is the user's certificate DN, or their login subject."""
    user_key = f"{c.user_id}G0"
    w.start("CONTACT", (("USER_ID", user_key), ("PRIMARY_KEY", user_key)))
    w.leaf("FORENAME", c.forename)
    w.leaf("SURNAME", c.surname)
    w.leaf("TITLE", c.title)
    w.leaf("EMAIL", c.email)
    w.leaf("TEL", c.telephone)
    if working_hours:
        w.leaf("WORKING_HOURS_START", c.working_hours_start)
        w.leaf("WORKING_HOURS_END", c.working_hours_end)
    w.leaf("CERTDN", c.certdn or c.subject)
    w.leaf("ROLE_NAME", c.role_type)
    w.end()
