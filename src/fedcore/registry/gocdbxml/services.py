"""Readers of service types (get_service_types), services and their endpoints
(get_service / get_service_endpoint) and service groups (get_service_group)."""

from __future__ import annotations

from lxml import etree

from fedcore.registry.gocdbxml.records import (
    EndpointRecord,
    MemberRecord,
    ServiceGroupRecord,
    ServiceRecord,
    ServiceTypeRecord,
)
from fedcore.registry.gocdbxml.values import (
    INTEGER,
    _Doc,
    _Element,
    _integer,
    _same_key,
    _tags,
    _usable_key,
)


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
