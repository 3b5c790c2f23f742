"""The web app factory: the composition root that mounts every subsystem's API, pages and
compatibility interfaces, and renders errors as RFC 9457 problem details."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from fedcore.core import ams
from fedcore.core.accesslog import AccessLog
from fedcore.core.config import Settings, get_settings
from fedcore.core.db import make_engine, make_sessionmaker
from fedcore.core.deps import (
    CsrfChecked,
    CurrentPrincipal,
    DbSession,
    get_principal,
)
from fedcore.core.errors import FedcoreError, NotAuthenticated
from fedcore.core.jobs import register_jobs, registered_jobs, run_scheduler
from fedcore.core.logging import configure_logging, get_logger
from fedcore.core.security import authenticate, register_verifier, revoke_api_token
from fedcore.core.templating import NavEntry, register_subsystem, render

log = get_logger("fedcore.web")
PROBLEM = "application/problem+json"


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/gocdbpi/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _problem(request: Request, status: int, body: dict[str, Any]) -> Response:
    if _wants_html(request):
        return render(request, "error.html", status_code=status, problem=body)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "request"


def _bearer_challenge(request: Request, exc: NotAuthenticated) -> str:
    """RFC 6750 §3: ``invalid_token`` when a bearer token was presented and refused."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        description = exc.detail.replace('"', "'")
        return f'Bearer realm="fedcore", error="invalid_token", error_description="{description}"'
    return 'Bearer realm="fedcore"'


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FedcoreError)
    async def fedcore_error(request: Request, exc: FedcoreError) -> Response:
        if isinstance(exc, NotAuthenticated) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        response = _problem(request, exc.status, exc.problem(request.url.path))
        if isinstance(exc, NotAuthenticated):
            response.headers["WWW-Authenticate"] = _bearer_challenge(request, exc)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        body = {
            "type": "about:blank",
            "title": "Invalid input",
            "status": 422,
            "detail": detail,
            "errors": errors,
            "instance": request.url.path,
        }
        return _problem(request, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        body = {
            "type": "about:blank",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        response = _problem(request, exc.status_code, body)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response


def _core_pages(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def home(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
        from fedcore.registry.service import browse

        return render(request, "home.html", counts=browse.overview_counts(session=session))

    @app.get("/health", include_in_schema=False)
    def health(session: DbSession) -> dict[str, str]:
        session.connection()
        return {"status": "ok"}

    @app.get("/login/token", include_in_schema=False)
    def login_form(request: Request, principal: CurrentPrincipal, next: str = "/") -> Response:
        return render(request, "login.html", next=_safe_next(next))

    @app.post("/login/token", include_in_schema=False)
    def login(
        request: Request,
        session: DbSession,
        _csrf: CsrfChecked,
        token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        settings: Settings = request.app.state.settings
        try:
            principal = authenticate(session, token.strip(), settings)
        except NotAuthenticated as exc:
            request.state.principal = None
            return render(
                request, "login.html", status_code=401, next=_safe_next(next), error=exc.detail
            )
        request.session["token_id"] = principal.token_id
        log.info("login", subject=principal.subject)
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout/revoke", include_in_schema=False)
    def logout_and_revoke(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
        token_id = request.session.pop("token_id", None)
        if isinstance(token_id, int):
            revoke_api_token(session=session, token_id=token_id)
        return RedirectResponse("/", status_code=303)


def _safe_next(target: str) -> str:
    """Only local paths: a login must never redirect to another site."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the background jobs while the app serves (unless ``FEDCORE_JOBS_ENABLED`` is false)."""
    settings: Settings = app.state.settings
    if not settings.jobs_enabled:
        yield
        return
    scheduler = asyncio.create_task(
        run_scheduler(app.state.sessionmaker, settings, registered_jobs())
    )
    try:
        yield
    finally:
        scheduler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await scheduler


def create_app(settings: Settings | None = None) -> FastAPI:
    from fedcore.aai import api as aai_api
    from fedcore.aai import endpoints as aai_endpoints
    from fedcore.aai import views as aai_views
    from fedcore.aai.jobs import JOBS as AAI_JOBS
    from fedcore.aai.service.principals import access_token_verifier
    from fedcore.accounting import api as accounting_api
    from fedcore.accounting import views as accounting_views
    from fedcore.accounting.compat import ams as accounting_ams
    from fedcore.accounting.jobs import JOBS as ACCOUNTING_JOBS
    from fedcore.monitoring import api as monitoring_api
    from fedcore.monitoring import views as monitoring_views
    from fedcore.monitoring.compat import argo_webapi
    from fedcore.monitoring.jobs import JOBS as MONITORING_JOBS
    from fedcore.registry import api as registry_api
    from fedcore.registry import views as registry_views
    from fedcore.registry.compat import gocdbpi, gocdbpi_write

    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = make_engine(settings.effective_database_url)
    app = FastAPI(
        title="fedcore",
        summary="Federation core of a research e-infrastructure",
        version="0.1.0",
        docs_url="/docs",
        # Every request resolves its caller: a presented token that is forged, expired or
        # revoked is refused with 401 even where anonymous reading is allowed (RFC 6750 §3.1).
        dependencies=[Depends(get_principal)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.effective_secret_key(),
        session_cookie="fedcore_session",
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )

    app.add_middleware(AccessLog)

    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    register_subsystem(registry_views.TEMPLATES, NavEntry("Registry", "/registry/"))
    register_subsystem(aai_views.TEMPLATES, NavEntry("Account", "/aai/account"))
    register_subsystem(aai_views.TEMPLATES, NavEntry("Communities", "/aai/vos"))
    register_subsystem(monitoring_views.TEMPLATES, NavEntry("Monitoring", "/monitoring/"))
    register_subsystem(accounting_views.TEMPLATES, NavEntry("Accounting", "/accounting/"))
    _core_pages(app)
    # The provider's protocol routes first: token requests are the busiest, and routes are
    # matched in order.
    issuer_path = urlsplit(settings.effective_issuer).path
    app.include_router(aai_endpoints.router, prefix=issuer_path)
    app.include_router(aai_views.issuer_router, prefix=issuer_path, include_in_schema=False)
    app.include_router(aai_views.rp_router, include_in_schema=False)
    app.include_router(registry_api.router, prefix="/api/registry", tags=["registry"])
    app.include_router(aai_api.router, prefix="/api/aai", tags=["aai"])
    app.include_router(monitoring_api.router, prefix="/api/monitoring", tags=["monitoring"])
    ams_projects = ams.install(app)
    ams_projects.register_default(monitoring_api.ams_publish)
    ams_projects.register(settings.accounting_ams_project, accounting_ams.publish)
    app.include_router(accounting_api.router, prefix="/api/accounting", tags=["accounting"])
    app.include_router(argo_webapi.router, tags=["argo-web-api"])
    app.include_router(registry_views.router, prefix="/registry", include_in_schema=False)
    app.include_router(aai_views.router, prefix="/aai", include_in_schema=False)
    app.include_router(monitoring_views.router, prefix="/monitoring", include_in_schema=False)
    app.include_router(accounting_views.router, prefix="/accounting", include_in_schema=False)
    register_verifier(access_token_verifier)
    register_jobs(*AAI_JOBS, *MONITORING_JOBS, *ACCOUNTING_JOBS)
    app.include_router(gocdbpi.router, prefix="/gocdbpi", tags=["GOCDB PI"])
    app.include_router(gocdbpi_write.router, prefix="/gocdbpi", tags=["GOCDB PI"])
    return app
