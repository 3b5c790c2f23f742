"""Pieces every subsystem's REST API shares: the page envelope for lists, ``Location`` of a
created resource, and the RFC 9457 problem responses documented on every route."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel, Field

from fedcore.core.pagination import Page, PageRead

M = TypeVar("M")
R = TypeVar("R")


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
