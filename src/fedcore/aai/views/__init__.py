"""AAI pages under ``/aai/``: sign-up, login (with second factor or through an upstream
provider), the account, client registration and approval, the device user-code page and the
consent screen.

Pages call the same service functions as the protocol endpoints and the CLI. Forms post with a
CSRF token and redirect after success; on bad input the page is shown again with the message next
to the field and nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from fedcore.aai.views import accounts, authorize, clients, rp, upstream, vos

TEMPLATES = Path(__file__).parent.parent / "templates"

router = APIRouter()
router.include_router(accounts.router)
router.include_router(clients.router)
router.include_router(authorize.router)
router.include_router(upstream.router)
router.include_router(vos.router)

issuer_router = authorize.issuer_router
"""Browser-facing protocol pages (authorize, logout), mounted under the issuer's path."""

rp_router = rp.router
"""The pages' own sign-in through the provider: ``/login``, ``/login/callback``, ``/logout``."""
