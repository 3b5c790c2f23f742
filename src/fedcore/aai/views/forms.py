"""Form handling the AAI's pages share: the posted form as a dependency, the sign-in redirect
that comes back to the page, and running a change so that bad input comes back as errors by field
with nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from fedcore.core.errors import FedcoreError, Forbidden, NotAuthenticated

T = TypeVar("T")

Errors = dict[str, str]


async def read_form(request: Request) -> FormData:
    return await request.form()


FormFields = Annotated[FormData, Depends(read_form)]


def sign_in_first(request: Request) -> Response:
    """To the sign-in page, coming back to this page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def validation_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]) or "form"
        errors.setdefault(name, error["msg"])
    return errors


def attempt(session: Session, action: Callable[[], T]) -> tuple[T | None, Errors, int]:
    """Run a change in a savepoint: its result, or the errors by field and an HTTP status with
    nothing changed. Who-may-not errors go on to the error page (or the sign-in page)."""
    try:
        with session.begin_nested():
            return action(), {}, 200
    except ValidationError as exc:
        return None, validation_errors(exc), 422
    except (Forbidden, NotAuthenticated):
        raise
    except FedcoreError as exc:
        return None, {exc.field or "form": exc.detail}, exc.status
