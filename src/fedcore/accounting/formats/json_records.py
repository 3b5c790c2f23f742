"""JSON usage records: accelerators v0.1 (reference §1.11) and public IPs v0.2 (§1.12).

The envelope ``{"Type", "Version", "UsageRecords": [1..1000]}`` is checked against APEL's
draft-07 schemas (PR #459 for accelerators, PR #226 for IPs) with ``jsonschema``, whose wording
APEL's rejection text embeds. The records then follow APEL's field rules (§1.3): null tokens,
mandatory fields, unknown keys. Deliberate departures (docs/accounting.md): an accelerator
MeasurementYear may be any year from 2000 to the current UTC year; an IP message may say
``0.2`` (as cASO does) or ``v0.2`` (as PR #226 does), and cASO's extra ``uuid`` key is ignored;
an accelerator record needs a Model, which APEL's table requires.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from fedcore.accounting.formats.fields import NULL_IN_MANDATORY, UNKNOWN_FIELD, from_epoch, is_null
from fedcore.accounting.formats.fqan import parse_fqan
from fedcore.accounting.formats.records import (
    ACCELERATOR,
    PUBLIC_IP,
    ColumnType,
    Family,
    ParsedMessage,
    RecordError,
    column_name,
)

ACCELERATOR_TYPE = "APEL-accelerator-message"
PUBLIC_IP_TYPE = "APEL Public IP message"

_STRING_OR_NULL = {"anyOf": [{"type": "string"}, {"type": "null"}]}
_INTEGER_OR_NULL = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
_NUMBER_OR_NULL = {"anyOf": [{"type": "number"}, {"type": "null"}]}


def _envelope(message_type: str, versions: list[str], record: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["Type", "Version", "UsageRecords"],
        "properties": {
            "Type": {"type": "string", "const": message_type},
            "Version": {"type": "string", "enum": versions},
            "UsageRecords": {"type": "array", "minItems": 1, "maxItems": 1000, "items": record},
        },
    }


_ACCELERATOR_REQUIRED = (
    "MeasurementMonth",
    "MeasurementYear",
    "AssociatedRecordType",
    "AssociatedRecord",
    "FQAN",
    "SiteName",
    "Count",
    "AvailableDuration",
    "Type",
)
"""The fields PR #459's schema requires of an accelerator record (``Model`` is NOT NULL in its
table besides, so the record rules require it too)."""


def _accelerator_schema(current_year: int) -> dict[str, Any]:
    return _envelope(
        ACCELERATOR_TYPE,
        ["0.1"],
        {
            "type": "object",
            "required": list(_ACCELERATOR_REQUIRED),
            "properties": {
                "MeasurementMonth": {"type": "integer", "enum": list(range(1, 13))},
                "MeasurementYear": {"type": "integer", "minimum": 2000, "maximum": current_year},
                "AssociatedRecordType": {"type": "string", "enum": ["cloud", "job"]},
                "AssociatedRecord": {"type": "string"},
                "GlobalUserName": _STRING_OR_NULL,
                "FQAN": {"type": "string"},
                "SiteName": {"type": "string"},
                "Count": {"type": "number"},
                "Cores": _INTEGER_OR_NULL,
                "ActiveDuration": _INTEGER_OR_NULL,
                "AvailableDuration": {"type": "integer"},
                "BenchmarkType": _STRING_OR_NULL,
                "Benchmark": _NUMBER_OR_NULL,
                "Type": {"type": "string", "enum": ["GPU", "FPGA", "Other"]},
                "Model": {"type": "string"},
            },
        },
    )


_PUBLIC_IP_REQUIRED = (
    "MeasurementTime",
    "SiteName",
    "CloudType",
    "LocalUser",
    "LocalGroup",
    "GlobalUserName",
    "FQAN",
    "IPVersion",
    "IPCount",
)
"""Every field of a public IP record but CloudComputeService (PR #226's schema)."""

_PUBLIC_IP_SCHEMA = _envelope(
    PUBLIC_IP_TYPE,
    ["v0.2", "0.2"],
    {
        "type": "object",
        "required": list(_PUBLIC_IP_REQUIRED),
        "properties": {
            "MeasurementTime": {"type": "integer"},
            "SiteName": {"type": "string"},
            "CloudComputeService": {"type": ["string", "null"]},
            "CloudType": {"type": "string"},
            "LocalUser": {"type": "string"},
            "LocalGroup": {"type": "string"},
            "GlobalUserName": {"type": "string"},
            "FQAN": {"type": "string"},
            "IPVersion": {"type": "integer", "enum": [4, 6]},
            "IPCount": {"type": "integer", "minimum": 0},
        },
    },
)


@lru_cache(maxsize=1)
def _accelerator_validator(current_year: int) -> Draft7Validator:
    return Draft7Validator(_accelerator_schema(current_year))


_PUBLIC_IP_VALIDATOR = Draft7Validator(_PUBLIC_IP_SCHEMA)


@dataclass(frozen=True, slots=True)
class _Format:
    family: Family
    validator: Callable[[], Draft7Validator]
    mandatory: frozenset[str]
    ignored: frozenset[str]


_FORMATS = {
    ACCELERATOR_TYPE: _Format(
        ACCELERATOR,
        validator=lambda: _accelerator_validator(datetime.now(UTC).year),
        mandatory=frozenset({*_ACCELERATOR_REQUIRED, "Model"}),
        ignored=frozenset({"CloudType", "CloudComputeService"}),
    ),
    PUBLIC_IP_TYPE: _Format(
        PUBLIC_IP,
        validator=lambda: _PUBLIC_IP_VALIDATOR,
        mandatory=frozenset(_PUBLIC_IP_REQUIRED),
        ignored=frozenset({"uuid"}),
    ),
}


def parse_json(body: str) -> ParsedMessage:
    """An accelerator or public IP message; the first defect raises :class:`RecordError`."""
    try:
        message = json.loads(body)
    except ValueError as error:
        raise RecordError(f"Malformed JSON: {error}") from None
    if not isinstance(message, dict) or "Type" not in message:
        raise RecordError("Type of JSON message not provided.")
    message_type = message["Type"]
    form = _FORMATS.get(message_type) if isinstance(message_type, str) else None
    if form is None:
        raise RecordError(f"Unsupported JSON message type: {message_type}")
    # APEL's jsonschema.validate reports the best match among the violations; its message is
    # the first line of what APEL embeds (APEL appends the schema excerpt after it).
    violation = best_match(form.validator().iter_errors(message))
    if violation is not None:
        raise RecordError(
            f"JSON message invalid against {message_type} schema: {violation.message}"
        )
    kinds = dict(form.family.fields)
    records = []
    for index, raw in enumerate(message["UsageRecords"], start=1):
        try:
            records.append(_record(form, kinds, raw))
        except RecordError as error:
            error.index = index
            raise
    return ParsedMessage(form.family.kind, message_type, records)


def _record(form: _Format, kinds: dict[str, ColumnType], raw: dict[str, Any]) -> dict[str, Any]:
    """One record as APEL's ``Record.set_all`` reads it: keys in the order sent."""
    family = form.family
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in form.ignored:
            continue
        if key not in kinds:
            raise RecordError(UNKNOWN_FIELD.format(key), field=key)
        values[key] = _checked(form, key, kinds[key], value)
    record: dict[str, Any] = {}
    for apel, kind in family.fields:
        value = values.get(apel)
        if value is None and apel in form.mandatory:
            raise RecordError(NULL_IN_MANDATORY.format(apel), field=apel)
        record[column_name(apel)] = "None" if value is None and kind == "str" else value
    record["vo"], record["vo_group"], record["vo_role"] = parse_fqan(record["fqan"])
    if family is PUBLIC_IP:
        measured: datetime = record["measurement_time"]
        record["measurement_month"] = measured.month
        record["measurement_year"] = measured.year
    return record


def _checked(form: _Format, apel: str, kind: ColumnType, value: Any) -> Any:
    """A value the schema let through, as APEL's ``Record.checked`` stores it."""
    if is_null(str(value)):
        if apel in form.mandatory:
            raise RecordError(NULL_IN_MANDATORY.format(apel), field=apel)
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "datetime":
        return from_epoch(apel, value)
    return value
