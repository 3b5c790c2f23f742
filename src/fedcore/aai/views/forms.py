"""Form handling the AAI's pages share: the posted form as a dependency, the sign-in redirect
that comes back to the page, running a change so that bad input comes back as errors by field
with nothing changed, and a posted form with its whole post/redirect/get round (:class:`Post`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import quote

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from fedcore.aai.views.session import redirect
from fedcore.core.deps import CsrfChecked, CurrentPrincipal, DbSession
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


@dataclass(frozen=True)
class Post:
    """A posted form, its CSRF token checked: the fields, the viewer and the database session,
    with the form's post/redirect/get round (:meth:`submit`)."""

    request: Request
    session: Session
    principal: Principal
    form: FormData

    def values(self, *names: str) -> dict[str, Any]:
        return {name: str(self.form.get(name, "")) for name in names}

    def submit(
        self,
        change: Callable[[], T],
        *,
        again: Callable[..., Response],
        done: Callable[[T], tuple[str, str]],
        fields: Mapping[str, str] | None = None,
    ) -> Response:
        """Sign in first; run ``change`` (see :func:`attempt`); on bad input the page again,
        ``again(errors=..., status_code=...)``, with nothing changed; on success the notice and
        the page that ``done(result)`` names, through a redirect (303).

        ``fields`` renames the service's field names to the form's, where a page holds several
        forms whose inputs need distinct names (``"form"`` for errors that name no field)."""
        if not self.principal.is_authenticated:
            return sign_in_first(self.request)
        result, errors, status_code = attempt(self.session, change)
        if errors:
            renamed = {(fields or {}).get(name, name): text for name, text in errors.items()}
            return again(errors=renamed, status_code=status_code)
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
