"""The OpenID provider's protocol routes, relative to the issuer: Starlette requests in, Authlib
(``aai/oidc``) in a worker thread, Starlette responses out."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
