"""Form handling every subsystem's pages share: the posted form as a dependency, the sign-in
redirect that comes back to the page, running a change so that bad input comes back as errors by
form field with nothing changed, and a posted form with its whole post/redirect/get round
(:class:`Post`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, TypeVar, cast
from urllib.parse import quote

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from fedcore.core.deps import CsrfChecked, CurrentPrincipal, DbSession
from fedcore.core.errors import FedcoreError, Forbidden, NotAuthenticated
from fedcore.core.security import Principal
from fedcore.core.templating import flash

T = TypeVar("T")

Errors = dict[str, str]
"""Messages by form field; ``"form"`` for those that name no field."""

Rename = Callable[[str], str]
"""A service's field name (a place such as ``endpoints.0.url``) to the form field showing it."""


async def read_form(request: Request) -> FormData:
    return await request.form()


FormFields = Annotated[FormData, Depends(read_form)]


def redirect(path: str) -> RedirectResponse:
    """303 See Other: after a form post the browser fetches ``path`` with GET."""
    return RedirectResponse(path, status_code=303)


def sign_in_first(request: Request) -> Response:
    """To the sign-in page, coming back to this page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def _add(errors: Errors, place: str, message: str, rename: Rename) -> None:
    """The message under the form field of ``place``; when that field holds a nested value
    (``document`` for ``document.operations[0]``), the rest of the place leads the message."""
    name = rename(place)
    rest = place[len(name) :] if place.startswith(name) else ""
    if rest.startswith((".", "[")):
        message = f"{rest.lstrip('.')}: {message}"
    errors.setdefault(name, message)


def validation_errors(exc: ValidationError, rename: Rename = str) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = "contains characters or a form that is not allowed here"
        _add(errors, ".".join(str(p) for p in error["loc"]) or "form", message, rename)
    return errors


def attempt(
    session: Session, action: Callable[[], T], rename: Rename = str
) -> tuple[T | None, Errors, int]:
    """Run a change in a savepoint: its result, or the errors by form field and an HTTP status
    with nothing changed. Who-may-not errors go on to the error page (or the sign-in page)."""
    try:
        with session.begin_nested():
            return action(), {}, 200
    except ValidationError as exc:
        return None, validation_errors(exc, rename), 422
    except (Forbidden, NotAuthenticated):
        raise
    except FedcoreError as exc:
        errors: Errors = {}
        _add(errors, exc.field or "form", exc.detail, rename)
        return None, errors, exc.status


@dataclass(frozen=True)
class Post:
    """A posted form, its CSRF token checked: the fields, the viewer and the database session,
    with the form's post/redirect/get round (:meth:`submit`)."""

    request: Request
    session: Session
    principal: Principal
    form: FormData

    def values(self, *names: str) -> dict[str, str]:
        """The named fields as sent (``""`` when missing)."""
        return {name: str(self.form.get(name, "")) for name in names}

    def text(self, name: str) -> str:
        """A text field without surrounding blanks (``""`` when missing or a file)."""
        value = self.form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def texts(self, *names: str) -> dict[str, str]:
        return {name: self.text(name) for name in names}

    def upload(self, name: str) -> str:
        """The text of an uploaded file, or ``""`` when none was chosen."""
        value = self.form.get(name)
        if not isinstance(value, UploadFile) or not value.filename:
            return ""
        return value.file.read().decode("utf-8", errors="replace").strip()

    def submit(
        self,
        change: Callable[[], T],
        *,
        again: Callable[..., Response],
        done: Callable[[T], tuple[str, str]],
        fields: Mapping[str, str] | Rename = str,
    ) -> Response:
        """Sign in first; run ``change`` (see :func:`attempt`); on bad input the page again,
        ``again(errors=..., status_code=...)``, with nothing changed; on success the notice and
        the page that ``done(result)`` names, through a redirect (303).

        ``fields`` renames the service's field names to the form's, where a page holds several
        forms whose inputs need distinct names or a form field holds a nested value."""
        if not self.principal.is_authenticated:
            return sign_in_first(self.request)
        rename = fields if callable(fields) else (lambda name: fields.get(name, name))
        result, errors, status_code = attempt(self.session, change, rename)
        if errors:
            return again(errors=errors, status_code=status_code)
        # no errors: the change ran; its result may be None (a removal)
        notice, target = done(cast(T, result))
        flash(self.request, notice)
        return redirect(target)


def read_post(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Post:
    return Post(request, session, principal, form)


Posted = Annotated[Post, Depends(read_post)]
"""A posted form as a route's parameter."""
