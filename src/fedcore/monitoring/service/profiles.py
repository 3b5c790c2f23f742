"""Operations, metric, aggregation and threshold profiles, versioned by date.

A document is stored only if the engine loads it (:mod:`fedcore.monitoring.states`,
``profiles``, ``thresholds``): an operations profile's truth tables must be complete,
commutative and associative over its declared states; an unknown state is named with its
place. An aggregation profile's operation names are checked against the operations profile of
each report that uses it (:mod:`.reports`), since ARGO's aggregation profile names none: when
a report version is stored, and when a new version of a profile it uses is (a version that
would leave a report unable to compute is refused, naming the report).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fedcore.core.errors import NotFound, RuleViolation, ValidationFailed
from fedcore.core.security import Principal
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.models import Profile, ProfileVersion, ReportVersion
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.profiles import load_aggregation_profile, load_metric_profile
from fedcore.monitoring.schemas import ProfileCreate, ProfileUpdate, ReportFields
from fedcore.monitoring.states import InputError, OperationsProfile, TruthTable
from fedcore.monitoring.states import load_operations_profile as _load_operations
from fedcore.monitoring.thresholds import load_threshold_profile


class _AnyOperation(OperationsProfile):
    """Accepts every operation name: an aggregation profile's structure is checked alone."""

    def operation(self, name: str, where: str = "operation") -> TruthTable:
        return TruthTable(name, {})


_STRUCTURE_ONLY = _AnyOperation("", (), "", "", "", {})

_LOADERS: dict[ProfileKind, Callable[[Mapping[str, Any], str], object]] = {
    ProfileKind.OPERATIONS: _load_operations,
    ProfileKind.METRIC: load_metric_profile,
    ProfileKind.AGGREGATION: lambda d, w: load_aggregation_profile(d, _STRUCTURE_ONLY, w),
    ProfileKind.THRESHOLDS: load_threshold_profile,
}


def check_document(kind: ProfileKind, document: Mapping[str, Any]) -> None:
    """:class:`ValidationFailed` naming the place in ``document`` the engine refuses."""
    try:
        _LOADERS[kind](document, "document")
    except InputError as exc:
        field, _, reason = str(exc).partition(": ")
        raise ValidationFailed(reason or str(exc), field=field) from None


def list_profiles(*, session: Session, kind: ProfileKind) -> list[Profile]:
    stmt = (
        select(Profile)
        .where(Profile.kind == kind)
        .options(selectinload(Profile.versions))
        .order_by(Profile.name)
    )
    return list(session.scalars(stmt))


def get_profile(*, session: Session, kind: ProfileKind, name: str) -> Profile:
    profile = session.scalar(
        select(Profile)
        .where(Profile.kind == kind, Profile.name == name)
        .options(selectinload(Profile.versions))
    )
    if profile is None:
        raise NotFound(f"no {kind} profile named {name!r}", field="name")
    return profile


def version_at(versions: list[Any], day: date) -> Any:
    """The latest of ``versions`` (sorted by ``valid_from``) valid on ``day``, or None."""
    valid = [v for v in versions if v.valid_from <= day]
    return valid[-1] if valid else None


@dataclass(frozen=True)
class ProfileOnDay:
    profile: Profile
    version: ProfileVersion


def profile_on(*, session: Session, kind: ProfileKind, name: str, day: date) -> ProfileOnDay:
    """The version of a profile valid on ``day``; :class:`NotFound` if it has none yet."""
    profile = get_profile(session=session, kind=kind, name=name)
    version = version_at(profile.versions, day)
    if version is None:
        raise NotFound(f"{kind} profile {name!r} has no version valid on {day}", field="date")
    return ProfileOnDay(profile, version)


def _add_version(
    session: Session, actor: Principal, profile: Profile, valid_from: date, document: dict[str, Any]
) -> ProfileVersion:
    check_document(ProfileKind(profile.kind), document)
    for version in profile.versions:
        if version.valid_from == valid_from:
            version.document = document
            version.created_by = actor.subject
            session.flush()
            return version
    version = ProfileVersion(valid_from=valid_from, document=document, created_by=actor.subject)
    profile.versions.append(version)
    profile.versions.sort(key=lambda v: v.valid_from)
    session.flush()
    return version


def create_profile(
    *, session: Session, actor: Principal, kind: ProfileKind, data: ProfileCreate
) -> Profile:
    permissions.require("monitoring.profile.write", session=session, actor=actor)
    exists = session.scalar(
        select(Profile.id).where(Profile.kind == kind, Profile.name == data.name)
    )
    if exists is not None:
        raise RuleViolation(f"a {kind} profile named {data.name!r} exists", field="name")
    profile = Profile(uuid=str(uuid.uuid4()), kind=kind, name=data.name, versions=[])
    session.add(profile)
    _add_version(session, actor, profile, data.valid_from, data.document)
    return profile


def _uses(version: ReportVersion, kind: ProfileKind, name: str) -> bool:
    return any(
        p.get("type") == kind and p.get("name") == name for p in version.document["profiles"]
    )


def _check_reports(session: Session, profile: Profile, valid_from: date) -> None:
    """Check again, with the profile's version from ``valid_from``, every report version that
    uses it while that version is valid, on the first day they meet (:func:`reports.check_report`);
    :class:`ValidationFailed` on ``document`` naming the report and the reason if one no longer
    fits."""
    from fedcore.monitoring.service import reports  # it reads profiles: imported here

    kind = ProfileKind(profile.kind)
    later = [v.valid_from for v in profile.versions if v.valid_from > valid_from]
    until = later[0] if later else date.max
    for report in reports.list_reports(session=session):
        ends = [v.valid_from for v in report.versions[1:]] + [date.max]
        for version, end in zip(report.versions, ends, strict=True):
            day = max(version.valid_from, valid_from)
            if not _uses(version, kind, profile.name) or day >= min(end, until):
                continue
            try:
                reports.check_report(session, ReportFields.model_validate(version.document), day)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"report {report.name!r} (its version from {version.valid_from}) would not "
                    f"compute on {day}: {exc.field}: {exc.detail}",
                    field="document",
                ) from None


def update_profile(
    *, session: Session, actor: Principal, kind: ProfileKind, name: str, data: ProfileUpdate
) -> Profile:
    """Add (or replace) the version from ``data.valid_from``; refused if a report using the
    profile would no longer compute with it (:func:`_check_reports`)."""
    permissions.require("monitoring.profile.write", session=session, actor=actor)
    profile = get_profile(session=session, kind=kind, name=name)
    _add_version(session, actor, profile, data.valid_from, data.document)
    _check_reports(session, profile, data.valid_from)
    return profile


def delete_profile(*, session: Session, actor: Principal, kind: ProfileKind, name: str) -> None:
    permissions.require("monitoring.profile.write", session=session, actor=actor)
    profile = get_profile(session=session, kind=kind, name=name)
    for version in session.scalars(select(ReportVersion)):
        if _uses(version, kind, name):
            raise RuleViolation(f"report {version.report.name!r} uses this profile", field="name")
    session.delete(profile)
    session.flush()
