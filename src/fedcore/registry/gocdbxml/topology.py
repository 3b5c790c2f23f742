"""Readers of NGIs (get_ngi), sites (get_site) and site-list entries (get_site_list)."""

from __future__ import annotations

from lxml import etree

from fedcore.registry.enums import CertificationStatus, Infrastructure
from fedcore.registry.gocdbxml.records import NgiRecord, SiteListRecord, SiteRecord
from fedcore.registry.gocdbxml.values import (
    _TIMEZONES,
    INTEGER,
    _Doc,
    _Element,
    _integer,
    _key,
    _same_key,
    _tags,
    _usable_key,
)

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
