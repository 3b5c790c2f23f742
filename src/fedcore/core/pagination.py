"""Keyset (cursor) pagination by ascending integer id, as GOCDB's PI and the REST API use it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")

MAX_LIMIT = 1000


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: int | None


class PageRead(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: int | None = None


def paginate(
    session: Session,
    stmt: Select[Any],
    id_column: InstrumentedAttribute[int],
    *,
    cursor: int | None,
    limit: int,
) -> Page[Any]:
    """Items with id > cursor, ascending, at most ``limit``; ``next_cursor`` when there may be more."""
    if cursor is not None:
        stmt = stmt.where(id_column > cursor)
    rows = list(session.scalars(stmt.order_by(id_column).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=rows[-1].id if more and rows else None)


class Paging(BaseModel):
    """``cursor`` and ``limit`` of a list; filter schemas are combined with it as query models."""

    model_config = ConfigDict(extra="forbid")

    cursor: int | None = Field(
        default=None, ge=0, description="the next_cursor of the previous page; none: first page"
    )
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT, description="items per page")
