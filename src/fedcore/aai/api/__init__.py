"""REST API of communities under ``/api/aai/`` (issue 5, ``docs/aai-communities.md``).

Modelled on the registry's API: each route parses its input, calls the service layer (which
checks the caller's rights: VO managers, group admins, operators) and returns a ``Read``
schema. Collections come in the page envelope ``{"items": [...], "next_cursor": null}``;
errors are RFC 9457 problem details naming the field.
"""

from __future__ import annotations

from fastapi import APIRouter

from fedcore.aai.api import enrolment, groups, vos
from fedcore.core.api import ERROR_RESPONSES

router = APIRouter(responses=ERROR_RESPONSES)
# ``groups`` ends with the catch-all ``/groups/{path:path}``, so it comes last.
for _module in (vos, enrolment, groups):
    router.include_router(_module.router)
