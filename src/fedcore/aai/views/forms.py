"""Form handling the AAI's pages share: the posted form as a dependency, the sign-in redirect
that comes back to the page, running a change so that bad input comes back as errors by field
with nothing changed, and a form's whole post/redirect/get round (:func:`submit`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, TypeVar, cast
from urllib.parse import quote

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from fedcore.aai.views.session import redirect
from fedcore.core.errors import FedcoreError, Forbidden, NotAuthenticated
from fedcore.core.security import Principal
from fedcore.core.templating import flash

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


def submit(
    request: Request,
    session: Session,
    principal: Principal,
    change: Callable[[], T],
    *,
    again: Callable[..., Response],
    done: Callable[[T], tuple[str, str]],
    fields: Mapping[str, str] | None = None,
) -> Response:
    """A posted form's round: sign in first; run ``change`` (see :func:`attempt`); on bad input
    the page again, ``again(errors=..., status_code=...)``, with nothing changed; on success the
    notice and the page that ``done(result)`` names, through a redirect (303).

    ``fields`` renames the service's field names to the form's, where a page holds several forms
    and their inputs need distinct names (``"form"`` for errors that name no field)."""
    if not principal.is_authenticated:
        return sign_in_first(request)
    result, errors, status_code = attempt(session, change)
    if errors:
        renamed = {(fields or {}).get(name, name): message for name, message in errors.items()}
        return again(errors=renamed, status_code=status_code)
    # no errors: the change ran and returned (which may be None)
    notice, target = done(cast(T, result))
    flash(request, notice)
    return redirect(target)
