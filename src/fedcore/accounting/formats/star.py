"""StAR storage records in XML (reference §1.10), read as APEL's StarParser reads them.

Elements are matched by namespace, whatever their prefix; like APEL's DOM lookups, a field is
the first element of that name anywhere inside the record, and attributes must carry the
namespace too (``sr:recordId``). A ``GroupAttribute`` of type ``subgroup`` or ``role`` fills the
record's SubGroup / Role; any other type becomes a group attribute row keyed by
(record_id, attribute_type). Times are ISO 8601 with any offset (none means UTC) and are
returned timezone-aware in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from fedcore.accounting.formats.records import STORAGE, ParsedMessage, RecordError, RecordKind

NAMESPACE = "http://eu-emi.eu/namespaces/2011/02/storagerecord"
_NS = "{" + NAMESPACE + "}"

_MANDATORY = (
    "RecordId",
    "CreateTime",
    "StorageSystem",
    "StartTime",
    "EndTime",
    "ResourceCapacityUsed",
)
_NULLS = frozenset({"none", "null", ""})
_KINDS = dict(STORAGE.fields)
_IDENTITY_ATTRIBUTES = {"RecordId": "recordId", "CreateTime": "createTime"}
_RECORD_ATTRIBUTE_TYPES = {"SubGroup": "subgroup", "Role": "role"}


def parse_star(root: Element) -> ParsedMessage:
    """Every ``StorageUsageRecord`` under (or at) ``root``, with their group attributes."""
    elements = list(root.iter(_NS + "StorageUsageRecord"))
    if not elements:
        raise RecordError("File does not contain StAR records!")
    records: list[dict[str, Any]] = []
    group_attributes: list[dict[str, Any]] = []
    for index, element in enumerate(elements, start=1):
        record = _record(index, element)
        records.append(record)
        group_attributes.extend(_group_attributes(element, record["record_id"]))
    return ParsedMessage(RecordKind.STORAGE, NAMESPACE, records, group_attributes)


def _record(index: int, element: Element) -> dict[str, Any]:
    # APEL reads every field (parsing the times) before it checks any value, then checks the
    # values in field order, then the presence of the mandatory fields.
    raw: dict[str, str | datetime] = {}
    for apel, kind in STORAGE.fields:
        text = _field_text(element, apel)
        if text is not None:
            raw[apel] = _timestamp(index, apel, text) if kind == "datetime" else text
    record: dict[str, Any] = {}
    for column, apel in STORAGE.apel_names.items():
        record[column] = _checked(index, apel, raw.get(apel))
    for apel in _MANDATORY:
        if apel not in raw:
            raise RecordError(f"Mandatory field {apel} not specified.", index=index, field=apel)
    return record


def _field_text(record: Element, apel: str) -> str | None:
    """The field's raw text as APEL reads it, or None when its element is absent."""
    if apel in _IDENTITY_ATTRIBUTES:
        identity = _first(record, "RecordIdentity")
        return None if identity is None else identity.get(_NS + _IDENTITY_ATTRIBUTES[apel], "")
    if apel in _RECORD_ATTRIBUTE_TYPES:
        wanted = _RECORD_ATTRIBUTE_TYPES[apel]
        for attribute in record.iter(_NS + "GroupAttribute"):
            if attribute.get(_NS + "attributeType") == wanted:
                return _text(attribute)
        return None
    element = _first(record, apel)
    return None if element is None else _text(element)


def _first(record: Element, name: str) -> Element | None:
    return next(record.iter(_NS + name), None)


def _text(element: Element) -> str:
    """The element's own text nodes, unstripped (APEL keeps surrounding whitespace)."""
    return "".join([element.text or "", *(child.tail or "" for child in element)])


def _timestamp(index: int, apel: str, text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        # APEL's loader reports a date its iso8601 parser refuses under this misleading prefix;
        # the text is kept so that fedcore and APEL reject the same message the same way.
        raise RecordError(
            f"Message header is incorrect: Unable to parse date string {text!r}",
            index=index,
            field=apel,
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _checked(index: int, apel: str, value: str | datetime | None) -> Any:
    """APEL's ``Record.checked``: null tokens, mandatory fields, ints; ``'None'`` for strings."""
    if isinstance(value, datetime):
        return value
    if value is None or value.lower() in _NULLS:
        if apel in _MANDATORY and value is not None:
            raise RecordError(f"NULL in mandatory field: {apel}", index=index, field=apel)
        return "None" if _KINDS[apel] == "str" else None
    if _KINDS[apel] == "int":
        try:
            return int(value)
        except ValueError:
            raise RecordError(
                f"Invalid int value {value} in field {apel}", index=index, field=apel
            ) from None
    return value


def _group_attributes(record: Element, record_id: str) -> list[dict[str, Any]]:
    rows = []
    for attribute in record.iter(_NS + "GroupAttribute"):
        attribute_type = attribute.get(_NS + "attributeType", "")
        if attribute_type in _RECORD_ATTRIBUTE_TYPES.values():
            continue
        value = _text(attribute)
        rows.append(
            {
                "record_id": record_id,
                "attribute_type": "None" if attribute_type.lower() in _NULLS else attribute_type,
                "value": "None" if value.lower() in _NULLS else value,
            }
        )
    return rows
