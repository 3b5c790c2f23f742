"""CAR compute records in XML (reference §1.13), read as APEL's CarParser reads them.

Each ``UsageRecord`` (namespace below, any prefix) becomes a job record with the rules of a text
job record (:func:`fedcore.accounting.formats.apel_text.check_job`). A field is the first
element of its name anywhere inside the record; attributes carry the namespace
(``urf:type``). Durations are ISO 8601 (``PT123S``); an element APEL cannot read (a duration that
is not ISO 8601, a missing element) leaves its field out. Memory is not read, as in APEL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from fedcore.accounting.formats.apel_text import JOB_V03, check_job
from fedcore.accounting.formats.fields import read_fields
from fedcore.accounting.formats.records import ParsedMessage, RecordError, RecordKind
from fedcore.accounting.formats.xml_common import epoch_seconds, own_text

NAMESPACE = "http://eu-emi.eu/namespaces/2012/11/computerecord"
_NS = "{" + NAMESPACE + "}"
NO_RECORDS = "File does not contain car records!"
_DURATION = re.compile(
    r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?"
)
_DURATION_UNITS = (31536000, 2628000, 604800, 86400, 3600, 60)
_TEXT_FIELDS = ("Site", "SubmitHost", "MachineName", "Queue", "LocalJobId", "LocalUserId")


def parse_car(root: Element) -> ParsedMessage:
    """Every ``UsageRecord`` under (or at) ``root`` as a job record."""
    elements = list(root.iter(_NS + "UsageRecord"))
    if not elements:
        raise RecordError(NO_RECORDS)
    now = datetime.now(UTC)
    records: list[dict[str, Any]] = []
    for index, element in enumerate(elements, start=1):
        try:
            record = read_fields(JOB_V03.spec, _fields(element))
            check_job(record, now)
        except RecordError as error:
            error.index = index
            raise
        records.append(record)
    return ParsedMessage(RecordKind.JOB, NAMESPACE, records)


def _fields(record: Element) -> Iterator[tuple[str, str]]:
    """The record's ``(APEL name, value)`` pairs, in CarParser's order."""
    for name in _TEXT_FIELDS:
        element = _first(record, name)
        if element is not None:
            yield name, own_text(element)
    user = _first(record, "GlobalUserName")
    if user is not None:
        yield "GlobalUserName", own_text(user)
    attributes = list(record.iter(_NS + "GroupAttribute"))
    yield from _group_attribute(attributes, "FQAN", "FQAN")
    group = _first(record, "Group")
    if group is not None:
        yield "VO", own_text(group)
    yield from _group_attribute(attributes, "VOGroup", "group")
    yield from _group_attribute(attributes, "VORole", "role")
    wall = _first(record, "WallDuration")
    seconds = None if wall is None else _seconds(own_text(wall))
    if seconds is not None:
        yield "WallDuration", seconds
    seconds = _cpu_seconds(list(record.iter(_NS + "CpuDuration")))
    if seconds is not None:
        yield "CpuDuration", seconds
    for name in ("Processors", "NodeCount"):
        element = _first(record, name)
        if element is not None:
            yield name, own_text(element)
    for name in ("StartTime", "EndTime"):
        element = _first(record, name)
        if element is not None:
            yield name, epoch_seconds(name, own_text(element))
    infrastructure = _first(record, "Infrastructure")
    if infrastructure is not None:
        yield "InfrastructureDescription", infrastructure.get(_NS + "description", "")
        yield "InfrastructureType", infrastructure.get(_NS + "type", "")
    level = _first(record, "ServiceLevel")
    if level is not None:
        yield "ServiceLevelType", level.get(_NS + "type", "")
        yield "ServiceLevel", own_text(level)


def _first(record: Element, name: str) -> Element | None:
    return next(record.iter(_NS + name), None)


def _group_attribute(
    attributes: list[Element], name: str, attribute_type: str
) -> Iterator[tuple[str, str]]:
    for attribute in attributes:
        if attribute.get(_NS + "type") == attribute_type:
            yield name, own_text(attribute)
            return


def _cpu_seconds(durations: list[Element]) -> str | None:
    """``usageType="all"`` when given once, else the only CpuDuration (APEL's retrieve_cpu)."""
    if not durations:
        return None
    every = [element for element in durations if element.get(_NS + "usageType") == "all"]
    if len(every) == 1:
        return _seconds(own_text(every[0]))
    if not every:
        return _seconds(own_text(durations[0]))
    return None


def _seconds(duration: str) -> str | None:
    """ISO 8601 duration in whole seconds (APEL's iso2seconds: a year is 365 days, a month 30.4)."""
    match = _DURATION.fullmatch(duration)
    if match is None:
        return None
    *units, seconds = match.groups()
    total = sum(
        int(value) * unit for value, unit in zip(units, _DURATION_UNITS, strict=True) if value
    )
    return str(total + (round(float(seconds)) if seconds else 0))
