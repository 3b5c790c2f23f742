"""StAR storage records in XML (reference §1.10), read as APEL's StarParser reads them.

Elements are matched by namespace, whatever their prefix; like APEL's DOM lookups, a field is
the first element of that name anywhere inside the record, and attributes must carry the
namespace too (``sr:recordId``). A ``GroupAttribute`` of type ``subgroup`` or ``role`` fills the
record's SubGroup / Role; any other type becomes a group attribute row keyed by
(record_id, attribute_type). Times are ISO 8601 with any offset (none means UTC) and are
returned timezone-aware in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from fedcore.accounting.formats.fields import is_null, read_fields, record_spec
from fedcore.accounting.formats.records import STORAGE, ParsedMessage, RecordError, RecordKind
from fedcore.accounting.formats.xml_common import epoch_seconds, own_text

NAMESPACE = "http://eu-emi.eu/namespaces/2011/02/storagerecord"
_NS = "{" + NAMESPACE + "}"
NO_RECORDS = "File does not contain StAR records!"
_SPEC = record_spec(
    STORAGE,
    mandatory=(
        "RecordId",
        "CreateTime",
        "StorageSystem",
        "StartTime",
        "EndTime",
        "ResourceCapacityUsed",
    ),
)
_IDENTITY_ATTRIBUTES = {"RecordId": "recordId", "CreateTime": "createTime"}
_RECORD_ATTRIBUTE_TYPES = {"SubGroup": "subgroup", "Role": "role"}


def parse_star(root: Element) -> ParsedMessage:
    """Every ``StorageUsageRecord`` under (or at) ``root``, with their group attributes."""
    elements = list(root.iter(_NS + "StorageUsageRecord"))
    if not elements:
        raise RecordError(NO_RECORDS)
    records: list[dict[str, Any]] = []
    group_attributes: list[dict[str, Any]] = []
    for index, element in enumerate(elements, start=1):
        try:
            # APEL reads every field, parsing the times, before it checks any value.
            record = read_fields(_SPEC, list(_fields(element)))
        except RecordError as error:
            error.index = index
            raise
        records.append(record)
        group_attributes.extend(_group_attributes(element, record["record_id"]))
    return ParsedMessage(RecordKind.STORAGE, NAMESPACE, records, group_attributes)


def _fields(record: Element) -> Iterator[tuple[str, str]]:
    """The record's ``(APEL name, value)`` pairs in StarParser's order, times as epoch."""
    for apel, kind in STORAGE.fields:
        text = _field_text(record, apel)
        if text is not None:
            yield apel, epoch_seconds(apel, text) if kind == "datetime" else text


def _field_text(record: Element, apel: str) -> str | None:
    """The field's raw text as APEL reads it, or None when its element is absent."""
    if apel in _IDENTITY_ATTRIBUTES:
        identity = _first(record, "RecordIdentity")
        return None if identity is None else identity.get(_NS + _IDENTITY_ATTRIBUTES[apel], "")
    if apel in _RECORD_ATTRIBUTE_TYPES:
        wanted = _RECORD_ATTRIBUTE_TYPES[apel]
        for attribute in record.iter(_NS + "GroupAttribute"):
            if attribute.get(_NS + "attributeType") == wanted:
                return own_text(attribute)
        return None
    element = _first(record, apel)
    return None if element is None else own_text(element)


def _first(record: Element, name: str) -> Element | None:
    return next(record.iter(_NS + name), None)


def _group_attributes(record: Element, record_id: str) -> list[dict[str, Any]]:
    rows = []
    for attribute in record.iter(_NS + "GroupAttribute"):
        attribute_type = attribute.get(_NS + "attributeType", "")
        if attribute_type in _RECORD_ATTRIBUTE_TYPES.values():
            continue
        value = own_text(attribute)
        rows.append(
            {
                "record_id": record_id,
                "attribute_type": "None" if is_null(attribute_type) else attribute_type,
                "value": "None" if is_null(value) else value,
            }
        )
    return rows
