"""REST API of monitoring under ``/api/monitoring/`` (``docs/monitoring.md``), and the
AMS-compatible publish route ARGO's publishers send metric results to.

Each route parses its input, calls one service function (which checks the caller's rights)
and returns a ``Read`` schema; lists come in the page envelope, errors as RFC 9457 problem
details naming the field.
"""

from __future__ import annotations

from fastapi import APIRouter

from fedcore.core.api import ERROR_RESPONSES
from fedcore.monitoring.api import metric_data, profiles, recomputations, reports

router = APIRouter(responses=ERROR_RESPONSES)
for _module in (profiles, reports, recomputations, metric_data):
    router.include_router(_module.router)

ams_router = APIRouter(responses=ERROR_RESPONSES)
ams_router.include_router(metric_data.ams_router)
