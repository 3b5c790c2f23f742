"""Schemas of downtimes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import (
    Field,
    StringConstraints,
)

from fedcore.registry.enums import (
    Classification,
    Severity,
)

if TYPE_CHECKING:
    from fedcore.registry.models import (
        Downtime,
    )

# Shapes of GOCDB's field validators (config/gocdb_schema.xml), simplified to what matters.
from fedcore.registry.schemas.fields import UTCTime, _In, _Out, read_dict

# --- downtimes -----------------------------------------------------------------------------------


class DowntimeCreate(_In):
    severity: Severity
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]
    start: UTCTime
    end: UTCTime
    services: list[int] = Field(min_length=1, description="ids of affected services (one site)")
    endpoints: list[int] = Field(default_factory=list, description="ids of affected endpoints")


class DowntimeUpdate(_In):
    severity: Severity | None = None
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
        | None
    ) = None
    start: UTCTime | None = None
    end: UTCTime | None = None
    services: list[int] | None = None
    endpoints: list[int] | None = None


class DowntimeRead(_Out):
    id: int
    primary_key: str
    severity: str
    classification: str
    description: str
    inserted_at: UTCTime
    start: UTCTime
    end: UTCTime
    declared_by: str
    site: str
    services: list[int]
    endpoints: list[int]

    @classmethod
    def from_model(cls, downtime: Downtime) -> DowntimeRead:
        return cls.model_validate(
            read_dict(
                downtime,
                start=downtime.start_at,
                end=downtime.end_at,
                site=downtime.site.short_name,
                services=[s.id for s in downtime.services],
                endpoints=[e.id for e in downtime.endpoints],
            )
        )


class DowntimeFilter(_In):
    site: str | None = None
    ngi: str | None = None
    severity: Severity | None = None
    classification: Classification | None = None
    ongoing_at: UTCTime | None = Field(default=None, description="downtimes running at this time")
    window_start: UTCTime | None = Field(default=None, description="ending after this time")
    window_end: UTCTime | None = Field(default=None, description="starting before this time")
