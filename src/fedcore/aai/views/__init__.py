"""AAI pages under ``/aai/``: sign-up, login (with second factor), the account, client
registration and approval, the device user-code page and the consent screen.

Pages call the same service functions as the protocol endpoints and the CLI. Forms post with a
CSRF token and redirect after success; on bad input the page is shown again with the message next
to the field and nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from fedcore.aai.views import accounts

from fedcore.aai.views import clients

TEMPLATES = Path(__file__).parent.parent / "templates"

router = APIRouter()
router.include_router(accounts.router)
router.include_router(clients.router)
