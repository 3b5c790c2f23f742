"""REST API of accounting under ``/api/accounting/`` (docs/accounting.md, "REST API").

Each route parses its input, calls one service function (which checks the caller's rights)
and returns a schema; errors are RFC 9457 problem details naming the field.
"""

from __future__ import annotations

from fastapi import APIRouter

from fedcore.accounting.api import admin, exports, messages, publishers, reports
from fedcore.core.api import ERROR_RESPONSES

router = APIRouter(responses=ERROR_RESPONSES)
router.include_router(messages.router)
router.include_router(admin.router)
router.include_router(publishers.router)
router.include_router(reports.router)
router.include_router(exports.router)
