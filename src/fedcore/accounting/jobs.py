"""Accounting's background jobs (``core/jobs.py``): every 5 minutes the summary groups a load
left dirty (a replaced record held their earliest or latest time) are rebuilt from the records;
once a day the bodies of rejected messages past the retention period are forgotten."""

from __future__ import annotations

from datetime import timedelta

from fedcore.accounting.service import loader, summaries
from fedcore.core.jobs import Job

JOBS = (
    Job(
        name="accounting.summarise-dirty",
        every=timedelta(minutes=5),
        run=lambda session, _settings: summaries.rebuild_dirty(session),
        description="rebuild from the records the summary slices a load marked dirty",
    ),
    Job(
        name="accounting.purge-messages",
        every=timedelta(days=1),
        run=lambda session, settings: {
            "purged": loader.purge_rejected_bodies(session=session, settings=settings)
        },
        description="forget the bodies of rejected messages older than "
        "FEDCORE_ACCOUNTING_REJECT_RETENTION_DAYS",
    ),
)
