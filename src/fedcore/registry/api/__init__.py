"""REST API of the registry under ``/api/registry/`` (``docs/registry.md``).

One module per part of the service layer; each route parses its input, calls one service
function (which checks the caller's permissions) and returns a ``Read`` schema. Lists take the
``Filter`` schema's fields and ``cursor``/``limit`` as query parameters and return
``{"items": [...], "next_cursor": n | null}``; errors are RFC 9457 problem details.
"""

from __future__ import annotations

from fastapi import APIRouter

from fedcore.core.api import ERROR_RESPONSES
from fedcore.registry.api import downtimes, people, properties, services, topology

router = APIRouter(responses=ERROR_RESPONSES)
for _module in (topology, services, properties, downtimes, people):
    router.include_router(_module.router)
