"""REST API of monitoring under ``/api/monitoring/`` (``docs/monitoring.md``), and
:func:`ams_publish`, the default handler of the AMS-compatible publish route (``core/ams.py``)
that ARGO's publishers send metric results to.

Each route parses its input, calls one service function (which checks the caller's rights)
and returns a ``Read`` schema; lists come in the page envelope, errors as RFC 9457 problem
details naming the field.
"""

from __future__ import annotations

from fastapi import APIRouter

from fedcore.core.api import ERROR_RESPONSES
from fedcore.monitoring.api import metric_data, profiles, recomputations, reports
from fedcore.monitoring.api.metric_data import ams_publish

__all__ = ["ams_publish", "router"]

router = APIRouter(responses=ERROR_RESPONSES)
for _module in (profiles, reports, recomputations, metric_data):
    router.include_router(_module.router)
