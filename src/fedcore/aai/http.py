"""Between HTTP and the framework-free protocol code: a Starlette request as a
:class:`ProtocolRequest`, a :class:`ProtocolResponse` as a Starlette response. Used by the
protocol routes (``endpoints``) and the browser-facing protocol pages (``views``)."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from fedcore.aai.oidc.server import ProtocolRequest, ProtocolResponse
from fedcore.core.deps import get_settings_dep

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def protocol_request(request: Request) -> ProtocolRequest:
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        data = await request.form()
        form = [(key, value) for key, value in data.multi_items() if isinstance(value, str)]
    issuer = urlsplit(get_settings_dep(request).effective_issuer)
    uri = f"{issuer.scheme}://{issuer.netloc}{request.url.path}"
    if request.url.query:
        uri += "?" + request.url.query
    return ProtocolRequest(
        request.method,
        uri,
        headers=request.headers,
        query=list(request.query_params.multi_items()),
        form=form,
    )


Protocol = Annotated[ProtocolRequest, Depends(protocol_request)]


def as_response(result: ProtocolResponse) -> Response:
    body = result.body
    content = json.dumps(body) if isinstance(body, (dict, list)) else (body or "")
    headers = {**NO_STORE, **dict(result.headers)}
    return Response(content, status_code=result.status, headers=headers)
