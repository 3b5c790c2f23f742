"""What every registry API module shares: paging parameters and name queries (the page envelope,
created resources' Location and the error responses are in ``core.api``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fedcore.core.pagination import MAX_LIMIT
from fedcore.registry.schemas import NameFilter


class Paging(BaseModel):
    """``cursor`` and ``limit`` of a list; filter schemas are combined with it as query models."""

    model_config = ConfigDict(extra="forbid")

    cursor: int | None = Field(
        default=None, ge=0, description="the next_cursor of the previous page; none: first page"
    )
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT, description="items per page")


class NameQuery(NameFilter, Paging):
    """Lists found by name only: scopes, projects, service types, service groups."""
