"""Reading GOCDB read-PI XML documents into plain, validated records (no database here).

A document is the ``<results>`` output of one PI method (reference: registry.md §2.4): get_ngi,
get_site, get_service_types, get_service / get_service_endpoint, get_service_group,
get_downtime, get_downtime_nested_services or get_user. The method is recognised from the
shape: the name of the record elements (``SITE``, ``SERVICE_ENDPOINT``, ``SERVICE_TYPE``,
``NGI``, ``SERVICE_GROUP``, ``DOWNTIME`` with or without ``SERVICES``, ``EGEE_USER``); the
``<meta>`` block of paged output is skipped.

Parsing is secure (no DTD, no entity expansion, no network) and strict; :mod:`.values` says how
values, optional fields and the variants of other feeds read. The non-nested get_downtime form
(one ``DOWNTIME`` per affected service) is merged into one record per downtime. get_site_list
output (attribute-only ``SITE``) is read too. The readers are one module per concern:
:mod:`.topology` (NGIs, sites, site lists), :mod:`.services` (service types, services,
service groups), :mod:`.downtimes` and :mod:`.users`; their records are in :mod:`.records`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from lxml import etree

from fedcore.core.errors import ValidationFailed
from fedcore.registry.gocdbxml.downtimes import _downtime, _merge_downtimes
from fedcore.registry.gocdbxml.records import (
    AffectedService,
    Document,
    DowntimeRecord,
    EndpointRecord,
    Extension,
    MemberRecord,
    NgiRecord,
    Record,
    RoleRecord,
    ServiceGroupRecord,
    ServiceRecord,
    ServiceTypeRecord,
    SiteListRecord,
    SiteRecord,
    Source,
    UserRecord,
)
from fedcore.registry.gocdbxml.services import _service, _service_group, _service_type
from fedcore.registry.gocdbxml.topology import _ngi, _site, _site_list_entry
from fedcore.registry.gocdbxml.users import _user
from fedcore.registry.gocdbxml.values import KEY, _Doc, _elements, _fail, _normalise, _tags

__all__ = [
    "KEY",
    "AffectedService",
    "Document",
    "DowntimeRecord",
    "EndpointRecord",
    "Extension",
    "MemberRecord",
    "NgiRecord",
    "Record",
    "RoleRecord",
    "ServiceGroupRecord",
    "ServiceRecord",
    "ServiceTypeRecord",
    "SiteListRecord",
    "SiteRecord",
    "Source",
    "UserRecord",
    "check_documents",
    "parse_document",
    "parse_file",
]

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
