"""What every argo-web-api route shares: ARGO's error bodies for what the routes and their
dependencies raise, the ``x-api-key`` check, the report named in the path."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import NotAuthenticated, NotFound
from fedcore.core.security import Principal, authenticate
from fedcore.monitoring import service
from fedcore.monitoring.compat.argo_format import (
    UNAUTHORIZED,
    ArgoError,
    not_found,
)
from fedcore.monitoring.models import Report


class ArgoRoute(APIRoute):
    """Answers :class:`ArgoError` (raised by dependencies too), and a caller refused as
    not authenticated, in ARGO's body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ArgoError as exc:
                return JSONResponse(exc.body, status_code=exc.status)
            except NotAuthenticated:
                # a forged, expired or revoked bearer token or session, refused by the app's
                # caller check even next to a good x-api-key (RFC 6750 §3.1)
                return JSONResponse(UNAUTHORIZED.body, status_code=UNAUTHORIZED.status)

        return route


def api_key(
    request: Request, session: DbSession, settings: AppSettings, principal: CurrentPrincipal
) -> Principal:
    key = request.headers.get("x-api-key", "").strip()
    if key:
        try:
            return authenticate(session, key, settings)
        except NotAuthenticated:
            raise UNAUTHORIZED from None
    if principal.is_authenticated:
        return principal
    raise UNAUTHORIZED


ApiKey = Annotated[Principal, Depends(api_key)]


def report_named(session: Session, name: str) -> Report:
    try:
        return service.get_report(session=session, name=name)
    except NotFound:
        raise not_found(f"The report with the name {name} does not exist") from None
