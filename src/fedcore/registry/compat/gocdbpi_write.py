"""GOCDB v5 write API at ``/gocdbpi/v5/<EntityType>/<EntityID>/<Property>[/<Key>]``
(registry reference §2.5; rules in ``registry/service/writeapi.py``, guide in
``docs/gocdbpi-write.md``).

Success is ``204 No Content``. Errors keep GOCDB's envelope
``{"Error": {"Code": n, "Message": "...", "API-Documentation": "<url>"}}`` rather than problem
details: :class:`GocdbWriteRoute` installs that rendering for these routes only. The request's
transaction is rolled back before the envelope is rendered, so a failed call changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import FedcoreError, NotAuthenticated, ValidationFailed
from fedcore.core.logging import get_logger
from fedcore.registry import service as registry_service
from fedcore.registry.service.writeapi import WRITE_METHODS

log = get_logger("fedcore.gocdbpi.write")
DOCS_PATH = "/docs/gocdbpi-write"
# Every method reaches the service, which answers GOCDB's 405 for those it does not serve.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _envelope(request: Request, status: int, message: str) -> JSONResponse:
    base_url: str = request.app.state.settings.base_url
    return JSONResponse(
        {
            "Error": {
                "Code": status,
                "Message": message,
                "API-Documentation": base_url.rstrip("/") + DOCS_PATH,
            }
        },
        status_code=status,
    )


async def _fedcore_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FedcoreError)
    # GOCDB answers 400 for invalid values and 403 for a caller it cannot identify.
    if isinstance(exc, ValidationFailed):
        return _envelope(request, 400, str(exc))
    if isinstance(exc, NotAuthenticated):
        return _envelope(request, 403, str(exc))
    return _envelope(request, exc.status, str(exc))


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("gocdbpi write failed", path=request.url.path, exc_info=exc)
    return _envelope(
        request, 500, "internal error; nothing was changed. Please tell the operators."
    )


class GocdbWriteRoute(APIRoute):
    """A route whose errors render as GOCDB's envelope (Starlette's per-scope handlers)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        handlers, status_handlers = scope["starlette.exception_handlers"]
        scope["starlette.exception_handlers"] = (
            {**handlers, FedcoreError: _fedcore_error, Exception: _internal_error},
            status_handlers,
        )
        await super().handle(scope, receive, send)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]

router = APIRouter(route_class=GocdbWriteRoute)


def write(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    body: RawBody,
    entity_type: str,
    entity_id: str,
    prop: str,
    key: str | None = None,
) -> Response:
    """POST adds, PUT adds or replaces, DELETE removes; see ``/docs/gocdbpi-write``."""
    registry_service.apply_write_request(
        session=session,
        actor=principal,
        request=registry_service.WriteRequest(
            method=request.method,
            entity_type=entity_type,
            entity_id=entity_id,
            prop=prop,
            key=key,
            body=body,
        ),
        max_properties=settings.extensions_max,
    )
    return Response(status_code=204)


# GOCDB treats the version case-insensitively and its own examples write ``V5``. One route per
# method, so that each has its own OpenAPI operation; only the write methods are documented.
for version in ("v5", "V5"):
    for tail in ("{prop}", "{prop}/{key}"):
        for method in METHODS:
            router.add_api_route(
                f"/{version}/{{entity_type}}/{{entity_id}}/{tail}",
                write,
                methods=[method],
                status_code=204,
                response_class=Response,
                include_in_schema=version == "v5" and method in WRITE_METHODS,
                name=f"gocdbpi_write_{method.lower()}_{version}_{tail.count('/') + 4}",
            )
