"""What every registry API module shares: paging parameters, the page envelope, the Location of
a created resource and the documented error responses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from fedcore.core.pagination import MAX_LIMIT, Page, PageRead
from fedcore.registry.schemas import NameFilter

M = TypeVar("M")
R = TypeVar("R")


class Paging(BaseModel):
    """``cursor`` and ``limit`` of a list; filter schemas are combined with it as query models."""

    model_config = ConfigDict(extra="forbid")

    cursor: int | None = Field(
        default=None, ge=0, description="the next_cursor of the previous page; none: first page"
    )
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT, description="items per page")


def page_read(page: Page[M], convert: Callable[[M], R]) -> PageRead[R]:
    return PageRead[R](items=[convert(item) for item in page.items], next_cursor=page.next_cursor)


def whole(items: Iterable[M], convert: Callable[[M], R]) -> PageRead[R]:
    """A short sub-collection (a service's endpoints, a site's credentials) in the page envelope."""
    return PageRead[R](items=[convert(item) for item in items], next_cursor=None)


def created(request: Request, response: Response, route: str, **path: Any) -> None:
    """Point the 201 response's ``Location`` at the new resource."""
    response.headers["Location"] = str(request.app.url_path_for(route, **path))


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the offending input fields in ``errors``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


# ``model`` registers the schema (FastAPI files it under application/json as well).
_PROBLEM = {
    "model": Problem,
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or an invalid bearer token", **_PROBLEM},
    403: {"description": "the caller's roles do not allow this", **_PROBLEM},
    404: {"description": "no such resource", **_PROBLEM},
    409: {"description": "a duplicate, or a business rule forbids the change", **_PROBLEM},
    422: {"description": "invalid input; errors name each field", **_PROBLEM},
}


class NameQuery(NameFilter, Paging):
    """Lists found by name only: scopes, projects, service types, service groups."""
