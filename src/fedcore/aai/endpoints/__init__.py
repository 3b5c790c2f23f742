"""The OpenID provider's protocol routes, relative to the issuer: discovery, JWKS, token, device
authorization, userinfo, introspection and revocation. Token, device authorization,
introspection and revocation build a framework-free :class:`ProtocolRequest`, let the Authlib
provider (``aai/oidc``) answer in one transaction, and return its :class:`ProtocolResponse` as an
HTTP response; discovery, JWKS and userinfo answer from the service layer.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from fedcore.aai.enums import GrantType
from fedcore.aai.http import NO_STORE, Protocol, as_response, protocol_request
from fedcore.aai.oidc import endpoints
from fedcore.aai.oidc.server import ProtocolRequest, ProtocolResponse, Provider
from fedcore.aai.service import claims, keys, tokens
from fedcore.core.deps import DbSession, get_settings_dep, request_transaction
from fedcore.core.ratelimit import failure_limiter

router = APIRouter()

READ_ONLY_GRANTS = frozenset({GrantType.CLIENT_CREDENTIALS.value})
"""Grants that write nothing: their requests do not queue for the database's write lock."""


def _client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _too_many(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {"error": "slow_down", "error_description": "too many failed requests"},
        status_code=429,
        headers={**NO_STORE, "Retry-After": str(retry_after)},
    )


def _limited(request: Request, name: str, result: ProtocolResponse) -> Response:
    """Count failed client requests per address; refuse with 429 past the limit."""
    limiter = failure_limiter(name)
    key = _client_key(request)
    if result.status in {400, 401} and limiter.fail(key):
        return _too_many(limiter.retry_after(key))
    return as_response(result)


def _refuse_if_limited(request: Request, name: str) -> Response | None:
    limiter = failure_limiter(name)
    key = _client_key(request)
    if limiter.blocked(key):
        return _too_many(limiter.retry_after(key))
    return None


@router.get("/.well-known/openid-configuration", include_in_schema=False)
@router.get("/.well-known/oauth-authorization-server", include_in_schema=False)
def discovery(request: Request) -> JSONResponse:
    return JSONResponse(
        endpoints.discovery_document(get_settings_dep(request)),
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/oidc/jwks", tags=["OpenID provider"])
def jwks(request: Request, session: DbSession) -> JSONResponse:
    document = keys.public_jwks(session=session, settings=get_settings_dep(request))
    return JSONResponse(
        document,
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=300"},
    )


def _answer(
    request: Request, protocol: ProtocolRequest, *, endpoint: str | None, write: bool | None
) -> ProtocolResponse:
    """The provider's answer, in one transaction, all in the calling (worker) thread."""
    with request_transaction(request, write=write) as session:
        provider = Provider(session=session, settings=get_settings_dep(request))
        result: ProtocolResponse = (
            provider.create_token_response(protocol)
            if endpoint is None
            else provider.create_endpoint_response(endpoint, protocol)
        )
        return result


async def token(request: Request) -> Response:
    """The token endpoint. Like introspection it is a plain route, not a FastAPI one: clients
    authenticate themselves (no bearer token), and the whole answer is made in one worker
    thread. Client credentials only read (usually nothing: clients and the signing key are
    cached), so they do not queue for the write lock, except while the signing key is not in
    memory: reading it may create the first one (on SQLite a read transaction cannot become a
    write transaction once another writer has committed)."""
    if (refused := _refuse_if_limited(request, "token")) is not None:
        return refused
    protocol = await protocol_request(request)
    if not protocol.payload.grant_type:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "grant_type is required"},
            status_code=400,
            headers=NO_STORE,
        )
    read_only = protocol.payload.grant_type in READ_ONLY_GRANTS and keys.signer_cached()
    write = None if read_only else True
    result = await run_in_threadpool(_answer, request, protocol, endpoint=None, write=write)
    return _limited(request, "token", result)


async def introspect(request: Request) -> Response:
    """RFC 7662 introspection (read only; see :func:`token`)."""
    if (refused := _refuse_if_limited(request, "token")) is not None:
        return refused
    protocol = await protocol_request(request)
    result = await run_in_threadpool(
        _answer, request, protocol, endpoint="introspection", write=None
    )
    return _limited(request, "token", result)


router.add_route("/oidc/token", token, methods=["POST"], include_in_schema=False)
router.add_route("/oidc/introspect", introspect, methods=["POST"], include_in_schema=False)


@router.post("/oidc/device", tags=["OpenID provider"])
def device_authorization(request: Request, session: DbSession, protocol: Protocol) -> Response:
    if (refused := _refuse_if_limited(request, "token")) is not None:
        return refused
    provider = Provider(session=session, settings=get_settings_dep(request))
    result = provider.create_endpoint_response("device_authorization", protocol)
    return _limited(request, "token", result)


@router.post("/oidc/revoke", tags=["OpenID provider"])
def revoke(request: Request, session: DbSession, protocol: Protocol) -> Response:
    provider = Provider(session=session, settings=get_settings_dep(request))
    return as_response(provider.create_endpoint_response("revocation", protocol))


def _bearer_error(status: int, error: str, description: str) -> JSONResponse:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={**NO_STORE, "WWW-Authenticate": challenge},
    )


async def userinfo(request: Request) -> Response:
    """OpenID Connect UserInfo: the current claims of the token's subject, per granted scope.
    A plain route like :func:`token`: the bearer token is the only credential (verified once,
    not also as the caller of an API call), and the answer is made in one worker thread."""
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    raw = raw.strip() if scheme.lower() == "bearer" else ""
    if not raw and request.method == "POST":
        value = (await request.form()).get("access_token", "")
        raw = value.strip() if isinstance(value, str) else ""
    if not raw:
        return _bearer_error(401, "invalid_request", "a bearer access token is required")
    return await run_in_threadpool(_userinfo, request, raw)


def _userinfo(request: Request, raw: str) -> Response:
    settings = get_settings_dep(request)
    with request_transaction(request, write=None) as session:
        try:
            info = tokens.verify_access_token(session=session, settings=settings, token=raw)
        except tokens.TokenRefused as exc:
            return _bearer_error(401, "invalid_token", str(exc))
        if "openid" not in info.scopes:
            return _bearer_error(403, "insufficient_scope", "the token was not granted openid")
        current: dict[str, Any] | None = claims.subject_claims(
            session=session,
            settings=settings,
            subject=info.subject,
            scopes=info.scopes,
            grant_id=info.grant_id,
        )
    if current is None:
        return _bearer_error(401, "invalid_token", "the subject is suspended or gone")
    return JSONResponse(current, headers=NO_STORE)


router.add_route("/oidc/userinfo", userinfo, methods=["GET", "POST"], include_in_schema=False)
