"""Reports: the profiles, topology schema, filter tags and weights of a computation, versioned
by date like profiles. A version is stored only if the engine can compute with it on its first
day: every profile it names exists with a version valid then, the aggregation profile's
operations are in the operations profile, and the topology schema's endpoint-group type is one
the registry provides (``SITES``: sites under their NGI; ``SERVICEGROUPS``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fedcore.core.db import utcnow
from fedcore.core.errors import NotFound, RuleViolation, ValidationFailed
from fedcore.core.security import Principal
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.models import Report, ReportVersion
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.profiles import load_aggregation_profile
from fedcore.monitoring.replay import endpoint_group_type
from fedcore.monitoring.schemas import ReportCreate, ReportFields, ReportUpdate
from fedcore.monitoring.service.profiles import profile_on, version_at
from fedcore.monitoring.states import InputError, load_operations_profile
from fedcore.monitoring.topology import load_filter_tags

ENDPOINT_GROUP_TYPES = ("SITES", "SERVICEGROUPS")
REQUIRED = (ProfileKind.OPERATIONS, ProfileKind.METRIC, ProfileKind.AGGREGATION)


def _input_error(exc: InputError, prefix: str) -> ValidationFailed:
    field, _, reason = str(exc).partition(": ")
    return ValidationFailed(reason or str(exc), field=f"{prefix}{field}" if reason else prefix)


def profile_names(document: dict[str, Any]) -> dict[ProfileKind, str]:
    """The profile of each kind a report document names."""
    return {ProfileKind(p["type"]): p["name"] for p in document["profiles"]}


def check_report(session: Session, fields: ReportFields, day: date) -> None:
    try:
        group_type = endpoint_group_type(fields.topology_schema, "topology_schema")
        load_filter_tags(fields.filter_tags, "filter_tags")
    except InputError as exc:
        raise _input_error(exc, "") from None
    if group_type not in ENDPOINT_GROUP_TYPES:
        raise ValidationFailed(
            f"endpoint group type {group_type!r} is not one the registry provides "
            f"({', '.join(ENDPOINT_GROUP_TYPES)})",
            field="topology_schema.group.group.type",
        )
    if group_type == "SERVICEGROUPS" and not fields.service_group_supergroup:
        raise ValidationFailed(
            "a SERVICEGROUPS report names the supergroup of its service groups",
            field="service_group_supergroup",
        )
    kinds: dict[ProfileKind, str] = {}
    for index, ref in enumerate(fields.profiles):
        if ref.type not in ProfileKind.__members__.values():
            raise ValidationFailed(
                f"unknown profile type {ref.type!r} (known: {', '.join(ProfileKind)})",
                field=f"profiles[{index}].type",
            )
        kind = ProfileKind(ref.type)
        if kind in kinds:
            raise ValidationFailed(f"a second {kind} profile", field=f"profiles[{index}]")
        kinds[kind] = ref.name
    for kind in REQUIRED:
        if kind not in kinds:
            raise ValidationFailed(f"a report needs one {kind} profile", field="profiles")
    found = {}
    for index, (kind, name) in enumerate(kinds.items()):
        try:
            found[kind] = profile_on(session=session, kind=kind, name=name, day=day).version
        except NotFound as exc:
            raise ValidationFailed(exc.detail, field=f"profiles[{index}]") from None
    try:
        operations = load_operations_profile(found[ProfileKind.OPERATIONS].document)
        load_aggregation_profile(
            found[ProfileKind.AGGREGATION].document, operations, "aggregation profile"
        )
    except InputError as exc:
        raise ValidationFailed(str(exc), field="profiles") from None


def list_reports(*, session: Session) -> list[Report]:
    stmt = select(Report).options(selectinload(Report.versions)).order_by(Report.name)
    return list(session.scalars(stmt))


def get_report(*, session: Session, name: str) -> Report:
    report = session.scalar(
        select(Report).where(Report.name == name).options(selectinload(Report.versions))
    )
    if report is None:
        raise NotFound(f"no report named {name!r}", field="report")
    return report


@dataclass(frozen=True)
class ReportOnDay:
    report: Report
    version: ReportVersion


def report_on(*, session: Session, name: str, day: date) -> ReportOnDay:
    report = get_report(session=session, name=name)
    version = version_at(report.versions, day)
    if version is None:
        raise NotFound(f"report {name!r} has no version valid on {day}", field="date")
    return ReportOnDay(report, version)


def _document(fields: ReportFields) -> dict[str, Any]:
    document = fields.model_dump(mode="json", include=set(ReportFields.model_fields))
    document["profiles"] = [{"type": p["type"], "name": p["name"]} for p in document["profiles"]]
    return document


def _add_version(
    session: Session, actor: Principal, report: Report, valid_from: date, fields: ReportFields
) -> None:
    check_report(session, fields, valid_from)
    document = _document(fields)
    report.updated_at = utcnow()
    for version in report.versions:
        if version.valid_from == valid_from:
            version.document = document
            version.created_by = actor.subject
            session.flush()
            return
    report.versions.append(
        ReportVersion(valid_from=valid_from, document=document, created_by=actor.subject)
    )
    report.versions.sort(key=lambda v: v.valid_from)
    session.flush()


def create_report(*, session: Session, actor: Principal, data: ReportCreate) -> Report:
    permissions.require("monitoring.report.write", session=session, actor=actor)
    if session.scalar(select(Report.id).where(Report.name == data.name)) is not None:
        raise RuleViolation(f"a report named {data.name!r} exists", field="name")
    report = Report(uuid=str(uuid.uuid4()), name=data.name, versions=[])
    session.add(report)
    _add_version(session, actor, report, data.valid_from, data)
    return report


def update_report(*, session: Session, actor: Principal, name: str, data: ReportUpdate) -> Report:
    permissions.require("monitoring.report.write", session=session, actor=actor)
    current = report_on(session=session, name=name, day=data.valid_from)
    merged = {
        **current.version.document,
        **data.model_dump(exclude_unset=True, exclude={"valid_from"}),
    }
    try:
        fields = ReportFields.model_validate(merged)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ValidationFailed(first["msg"], field=field) from None
    _add_version(session, actor, current.report, data.valid_from, fields)
    return current.report


def delete_report(*, session: Session, actor: Principal, name: str) -> None:
    permissions.require("monitoring.report.write", session=session, actor=actor)
    session.delete(get_report(session=session, name=name))
    session.flush()
