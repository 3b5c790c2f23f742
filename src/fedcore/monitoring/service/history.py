"""Historical daily A/R imported from ARGO, so that a federation moving from ARGO keeps its
history (``fedcore monitoring import-ar``).

The document is what ARGO stores per report (its ``endpoint_group_ar``, ``service_ar`` and
``endpoint_ar`` collections), under the report it belongs to::

    {"report": {"name": ..., "topology_schema": {...}},
     "endpoint_group_ar": [{"date": 20150622, "name": site, "supergroup": ngi, "weight": ...,
                            "up", "down", "unknown", "availability", "reliability"}, ...],
     "service_ar": [{"date", "name": service type, "supergroup": site, ...}, ...],
     "endpoint_ar": [{"date", "name": hostname, "service", "supergroup": site, "info", ...}]}

``date`` is ``YYYYMMDD`` (a number or a string); ``availability`` and ``reliability`` are
percentages or -1 (undefined), ``up``, ``down`` and ``unknown`` fractions of the day. ARGO's
``report`` (its report id), ``tags`` and ``_id`` fields are accepted and ignored. The report
must exist here with the same group types. Every record is checked before anything is
stored: the first bad one (or the second record of a day and element) is named (collection,
index, field) and nothing changes. Imported
days replace, at each level the document has, what was stored for those days (computed or
imported before), so importing the same document twice stores it once. Imported rows have no
per-state seconds; services and endpoints take their supergroup from the endpoint groups of
the same day in the document.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from fedcore.core.errors import NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.monitoring.enums import Level
from fedcore.monitoring.models import DailyAR
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.service.argo_results import group_types, schema_types
from fedcore.monitoring.service.reports import get_report

COLLECTIONS = {
    "endpoint_group_ar": Level.GROUP,
    "service_ar": Level.SERVICE,
    "endpoint_ar": Level.ENDPOINT,
}
NUMBERS = ("up", "down", "unknown", "availability", "reliability")
IGNORED = frozenset({"_id", "report", "tags"})
FIELDS = {
    "endpoint_group_ar": {"date", "name", "supergroup", "weight", *NUMBERS},
    "service_ar": {"date", "name", "supergroup", *NUMBERS},
    "endpoint_ar": {"date", "name", "service", "supergroup", "info", *NUMBERS},
}
REQUIRED_TEXT = {
    "endpoint_group_ar": ("name", "supergroup"),
    "service_ar": ("name", "supergroup"),
    "endpoint_ar": ("name", "service", "supergroup"),
}


@dataclass(frozen=True)
class Imported:
    report: str
    days: list[date]
    rows: dict[str, int]
    """Rows stored per collection."""


def _day(value: Any, where: str) -> date:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    raise ValidationFailed(f"expected a date YYYYMMDD, got {value!r}", field=where)


def _number(record: Mapping[str, Any], name: str, where: str) -> float:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValidationFailed(f"expected a number, got {value!r}", field=f"{where}.{name}")
    number = float(value)
    if name in ("availability", "reliability"):
        if number != -1 and not 0 <= number <= 100:
            raise ValidationFailed(
                f"expected a percentage 0-100 or -1 (undefined), got {value!r}",
                field=f"{where}.{name}",
            )
    elif name == "weight":
        if number < 0 or math.isinf(number):
            raise ValidationFailed(
                f"expected a weight >= 0, got {value!r}", field=f"{where}.{name}"
            )
    elif not 0 <= number <= 1:
        raise ValidationFailed(
            f"expected a fraction of the day 0-1, got {value!r}", field=f"{where}.{name}"
        )
    return number


def _record(collection: str, index: int, record: Any) -> dict[str, Any]:
    """The ``monitoring_daily_ar`` values of one record (``supergroup`` still ARGO's)."""
    where = f"{collection}[{index}]"
    if not isinstance(record, Mapping):
        raise ValidationFailed(f"expected an object, got {type(record).__name__}", field=where)
    unknown = sorted(set(record) - FIELDS[collection] - IGNORED)
    if unknown:
        raise ValidationFailed("unknown field", field=f"{where}.{unknown[0]}")
    values: dict[str, Any] = {"day": _day(record.get("date"), f"{where}.date")}
    for name in REQUIRED_TEXT[collection]:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValidationFailed(
                f"expected a non-empty string, got {value!r}", field=f"{where}.{name}"
            )
        values[name] = value.strip()
    for name in NUMBERS:
        values[name] = _number(record, name, where)
    values["weight"] = _number(record, "weight", where) if "weight" in record else 0.0
    info = record.get("info") or {}
    if not isinstance(info, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in info.items()
    ):
        raise ValidationFailed("expected an object of strings", field=f"{where}.info")
    values["info"] = dict(info)
    return values


def _check_report(session: Session, raw: Any) -> tuple[int, str]:
    if not isinstance(raw, Mapping):
        raise ValidationFailed("expected an object with name and topology_schema", field="report")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValidationFailed(f"expected a report name, got {name!r}", field="report.name")
    try:
        report = get_report(session=session, name=name)
    except NotFound as exc:
        raise ValidationFailed(
            f"{exc.detail}: create the report (with its profiles) before importing its history",
            field="report.name",
        ) from None
    types = group_types(report)
    given = schema_types(raw.get("topology_schema"))
    if given != types:
        raise ValidationFailed(
            f"the group types {given.supergroup!r} > {given.endpoint_group!r} are not the report's "
            f"({types.supergroup!r} > {types.endpoint_group!r})",
            field="report.topology_schema",
        )
    return report.id, report.name


def import_ar(*, session: Session, actor: Principal, document: Any) -> Imported:
    """Store an ARGO A/R document's daily rows in place of those of the same report, days and
    levels; :class:`ValidationFailed` naming the first bad record's field, nothing stored."""
    permissions.require("monitoring.day.compute", session=session, actor=actor)
    if not isinstance(document, Mapping):
        raise ValidationFailed("expected a JSON object", field="document")
    unknown = sorted(set(document) - {"report", *COLLECTIONS})
    if unknown:
        raise ValidationFailed("unknown field", field=unknown[0])
    report_id, report_name = _check_report(session, document.get("report"))
    checked: dict[str, list[dict[str, Any]]] = {}
    for collection in COLLECTIONS:
        records = document.get(collection, [])
        if not isinstance(records, list):
            raise ValidationFailed("expected a list of records", field=collection)
        checked[collection] = [_record(collection, i, r) for i, r in enumerate(records)]
    supergroups = {(v["day"], v["name"]): v["supergroup"] for v in checked["endpoint_group_ar"]}
    rows: dict[str, list[dict[str, Any]]] = {}
    for collection, level in COLLECTIONS.items():
        rows[collection] = []
        first: dict[tuple[date, str, str, str], int] = {}
        for index, v in enumerate(checked[collection]):
            if level == Level.GROUP:
                group, supergroup, service, hostname = v["name"], v["supergroup"], "", ""
            else:
                group = v["supergroup"]
                supergroup = supergroups.get((v["day"], group), "")
                service = v["service"] if level == Level.ENDPOINT else v["name"]
                hostname = v["name"] if level == Level.ENDPOINT else ""
            key = (v["day"], group, service, hostname)
            if key in first:
                named = ", ".join(part for part in (v["day"].isoformat(), *key[1:]) if part)
                raise ValidationFailed(
                    f"a second record for {named} (the first is {collection}[{first[key]}])",
                    field=f"{collection}[{index}]",
                )
            first[key] = index
            rows[collection].append(
                {
                    "report_id": report_id,
                    "day": v["day"],
                    "level": str(level),
                    "group": group,
                    "supergroup": supergroup,
                    "service": service,
                    "hostname": hostname,
                    "availability": v["availability"],
                    "reliability": v["reliability"],
                    "up": v["up"],
                    "unknown": v["unknown"],
                    "down": v["down"],
                    "seconds": {},
                    "weight": v["weight"] if level == Level.GROUP else 0.0,
                    "info": v["info"],
                }
            )
    for collection, level in COLLECTIONS.items():
        days = sorted({row["day"] for row in rows[collection]})
        if days:
            session.execute(
                delete(DailyAR).where(
                    DailyAR.report_id == report_id,
                    DailyAR.level == str(level),
                    DailyAR.day.in_(days),
                )
            )
            session.execute(insert(DailyAR), rows[collection])
    session.flush()
    return Imported(
        report=report_name,
        days=sorted({row["day"] for values in rows.values() for row in values}),
        rows={collection: len(values) for collection, values in rows.items()},
    )
