"""The AMS-compatible publish route, one for every subsystem, dispatched on the project.

``POST /v1/projects/{project}/topics/{topic}:publish`` is the publish call of ARGO Messaging
Service (AMS): ``{"messages": [{"attributes": {...}, "data": "<base64>"}]}`` in,
``{"messageIds": [...]}`` out. ARGO's publishers send metric results through it and APEL's
``ssmsend`` (``protocol: AMS``) sends accounting messages, each to its own project. This module
owns the route, the request and answer schemas, the caller's authentication and ARGO's error
shape. Which subsystem handles a project is registered per app by the composition root
(``core/web.py``), on the registry that :func:`install` returns::

    projects = ams.install(app)
    projects.register_default(monitoring_api.ams_publish)  # every project not registered
    projects.register(settings.accounting_ams_project, accounting_ams.publish)

A handler is called with keyword arguments only, as :class:`AmsHandler` says: the request's
``session`` (committed after the handler returns, rolled back if it raises), ``settings``, the
calling ``actor``, ``project``, ``topic`` and the parsed ``body``. It checks the actor's rights
itself and returns an :class:`AmsAnswer`, or a subclass whose further fields are sent too. It
refuses with a :class:`~fedcore.core.errors.FedcoreError` (an RFC 9457 problem, as every fedcore
API) or with :class:`AmsError` (ARGO's ``{"error": {"code", "message", "status"}}``). A project
with no handler, when there is no default, is answered with AMS's 404.

AMS clients authenticate with their key in the ``key`` query parameter or the ``x-api-key``
header; here the key is a fedcore API or access token. A key that does not authenticate is
refused in ARGO's shape, as AMS refuses it (401 ``UNAUTHORIZED``), before any handler runs; a
request without a key reaches the handler as anonymous. ``Authorization: Bearer`` works too,
refused as by every fedcore API (AMS clients do not send it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.api import ERROR_RESPONSES
from fedcore.core.config import Settings
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import NotAuthenticated
from fedcore.core.security import Principal, authenticate

__all__ = [
    "AmsAnswer",
    "AmsError",
    "AmsHandler",
    "AmsMessage",
    "AmsProjects",
    "AmsPublish",
    "install",
]


class AmsMessage(BaseModel):
    attributes: dict[str, str] = Field(default_factory=dict)
    data: str = Field(description="base64 of the message's payload")


class AmsPublish(BaseModel):
    messages: list[AmsMessage]


class AmsAnswer(BaseModel):
    messageIds: list[str] = Field(
        description="one id per stored message, in the order of the stored messages"
    )


class AmsErrorBody(BaseModel):
    code: int
    message: str
    status: str


class AmsErrorRead(BaseModel):
    """ARGO Messaging Service's error answer (argo-messaging, handlers/errors.go)."""

    error: AmsErrorBody


class AmsError(Exception):
    """A refusal answered in ARGO's error shape; CODE is the HTTP status, STATUS ARGO's name
    for it (``INVALID_ARGUMENT`` for bad data, ``NOT_FOUND``, ...)."""

    def __init__(self, message: str, *, code: int = 400, status: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.body = AmsErrorBody(code=code, message=message, status=status)


class AmsHandler(Protocol):
    def __call__(
        self,
        *,
        session: Session,
        settings: Settings,
        actor: Principal,
        project: str,
        topic: str,
        body: AmsPublish,
    ) -> AmsAnswer: ...


@dataclass
class AmsProjects:
    """Which handler serves which AMS project, in one app."""

    handlers: dict[str, AmsHandler] = field(default_factory=dict)
    default: AmsHandler | None = None

    def register(self, project: str, handler: AmsHandler) -> None:
        if project in self.handlers:
            raise ValueError(f"AMS project {project!r} already has a handler")
        self.handlers[project] = handler

    def register_default(self, handler: AmsHandler) -> None:
        """HANDLER serves every project that has no handler of its own."""
        if self.default is not None:
            raise ValueError("the AMS projects already have a default handler")
        self.default = handler

    def handler_for(self, project: str) -> AmsHandler:
        handler = self.handlers.get(project, self.default)
        if handler is None:
            raise AmsError(f"Project doesn't exist: {project}", code=404, status="NOT_FOUND")
        return handler


def ams_caller(
    session: DbSession,
    settings: AppSettings,
    actor: CurrentPrincipal,
    key: Annotated[str | None, Query(description="the publisher's token (AMS key)")] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """The caller: as any fedcore request authenticates, else by its AMS key. A key this
    server did not issue, or one expired or revoked, is refused in AMS's shape (401
    ``UNAUTHORIZED``): AMS clients read only that shape (argo-ams-library fails on any other)."""
    token = key or x_api_key
    if actor.is_authenticated or not token:
        return actor
    try:
        return authenticate(session, token, settings)
    except NotAuthenticated as exc:
        raise AmsError(exc.detail, code=401, status="UNAUTHORIZED") from None


AmsCaller = Annotated[Principal, Depends(ams_caller)]


# AMS clients (argo-ams-library: ``requests.post(url, data=json.dumps(...))``) send the JSON
# body without a Content-Type header; FastAPI parses such a body only when told to.
router = APIRouter(strict_content_type=False)


@router.post(
    "/v1/projects/{project}/topics/{topic}:publish",
    summary="AMS publish (publishers of metric results and accounting messages)",
    # The handler's answer is sent whole: a subclass's further fields too.
    response_model=None,
    responses={
        **ERROR_RESPONSES,
        200: {"model": AmsAnswer},
        401: {"description": "a key this server did not issue, or expired", "model": AmsErrorRead},
        404: {"description": "no handler for the project", "model": AmsErrorRead},
    },
)
def publish(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    actor: AmsCaller,
    project: str,
    topic: str,
    body: AmsPublish,
) -> AmsAnswer:
    projects: AmsProjects = request.app.state.ams_projects
    handler = projects.handler_for(project)
    return handler(
        session=session, settings=settings, actor=actor, project=project, topic=topic, body=body
    )


async def _ams_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AmsError)
    return JSONResponse(
        AmsErrorRead(error=exc.body).model_dump(mode="json"), status_code=exc.body.code
    )


def install(app: FastAPI) -> AmsProjects:
    """Mount the publish route on APP and answer :class:`AmsError` in ARGO's shape; register
    the projects' handlers on the registry returned."""
    projects = AmsProjects()
    app.state.ams_projects = projects
    app.include_router(router, tags=["AMS"])
    app.add_exception_handler(AmsError, _ams_error)
    return projects
