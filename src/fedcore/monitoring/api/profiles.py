"""Operations, metric, aggregation and threshold profiles under ``/api/monitoring/``: anyone
reads, operators write. A write adds the version valid from its ``valid_from`` (or replaces
the version of that date); a read shows the version valid on ``date`` (default today)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.core.api import created
from fedcore.core.db import utcnow
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound
from fedcore.core.pagination import PageRead
from fedcore.monitoring import service
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.models import Profile
from fedcore.monitoring.schemas import ProfileCreate, ProfileRead, ProfileUpdate
from fedcore.monitoring.service.profiles import version_at

router = APIRouter()

PATHS = {
    ProfileKind.OPERATIONS: "operations-profiles",
    ProfileKind.METRIC: "metric-profiles",
    ProfileKind.AGGREGATION: "aggregation-profiles",
    ProfileKind.THRESHOLDS: "threshold-profiles",
}
DayQuery = Annotated[
    date | None, Query(description="show the version valid on this day (default: today)")
]


def profile_read(profile: Profile, day: date | None = None) -> ProfileRead:
    version = version_at(profile.versions, day or utcnow().date())
    if version is None:
        if day is not None:
            raise NotFound(f"{profile.name!r} has no version valid on {day}", field="date")
        version = profile.versions[0]
    return ProfileRead(
        id=profile.uuid,
        kind=profile.kind,
        name=profile.name,
        valid_from=version.valid_from,
        document=version.document,
        versions=[v.valid_from for v in profile.versions],
    )


def _routes(kind: ProfileKind, path: str) -> None:
    get_name = f"get_{kind}_profile"

    @router.get(
        f"/{path}",
        summary=f"List {kind} profiles",
        response_model=PageRead[ProfileRead],
        name=f"list_{kind}_profiles",
    )
    def list_profiles(session: DbSession, day: DayQuery = None) -> PageRead[ProfileRead]:
        profiles = service.list_profiles(session=session, kind=kind)
        return PageRead[ProfileRead](items=[profile_read(p, day) for p in profiles])

    @router.get(
        f"/{path}/{{name}}",
        summary=f"Get a {kind} profile",
        response_model=ProfileRead,
        name=get_name,
    )
    def get_profile(session: DbSession, name: str, day: DayQuery = None) -> ProfileRead:
        return profile_read(service.get_profile(session=session, kind=kind, name=name), day)

    @router.post(
        f"/{path}",
        summary=f"Create a {kind} profile (operators)",
        status_code=201,
        response_model=ProfileRead,
        name=f"create_{kind}_profile",
    )
    def create_profile(
        request: Request,
        response: Response,
        session: DbSession,
        actor: CurrentPrincipal,
        data: ProfileCreate,
    ) -> ProfileRead:
        profile = service.create_profile(session=session, actor=actor, kind=kind, data=data)
        created(request, response, get_name, name=profile.name)
        return profile_read(profile, data.valid_from)

    @router.put(
        f"/{path}/{{name}}",
        summary=f"Add a version of a {kind} profile (operators)",
        response_model=ProfileRead,
        name=f"update_{kind}_profile",
    )
    def update_profile(
        session: DbSession, actor: CurrentPrincipal, name: str, data: ProfileUpdate
    ) -> ProfileRead:
        profile = service.update_profile(
            session=session, actor=actor, kind=kind, name=name, data=data
        )
        return profile_read(profile, data.valid_from)

    @router.delete(
        f"/{path}/{{name}}",
        summary=f"Delete a {kind} profile and its versions (operators)",
        status_code=204,
        response_class=Response,
        name=f"delete_{kind}_profile",
    )
    def delete_profile(session: DbSession, actor: CurrentPrincipal, name: str) -> None:
        service.delete_profile(session=session, actor=actor, kind=kind, name=name)


for _kind, _path in PATHS.items():
    _routes(_kind, _path)
