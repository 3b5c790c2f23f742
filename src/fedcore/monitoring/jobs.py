"""Monitoring's background job (``core/jobs.py``): every hour, each enabled report's current
day is computed up to now (extrapolated to midnight, as ARGO's hourly job does), and the
previous day once more after midnight, then kept as final."""

from __future__ import annotations

from datetime import timedelta

from fedcore.core.jobs import Job
from fedcore.monitoring import service

JOBS = (
    Job(
        name="monitoring.compute",
        every=timedelta(hours=1),
        run=lambda session, _settings: service.compute_due(session=session),
        description="compute every report's day so far, and the previous day once it is over",
    ),
)
