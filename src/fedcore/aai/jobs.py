"""The AAI's background jobs (``core/jobs.py``): membership expiry reminders, marking lapsed
memberships expired, and the daily housekeeping of tokens, codes, keys and sessions.

Entitlements never wait for these: they are computed from each membership's dates at request
time, so a lapsed membership stops counting at its expiry; the expiry job records it in the
audit log and shows it as ``expired``."""

from __future__ import annotations

from datetime import timedelta

from fedcore.aai.service import enrolment, housekeeping
from fedcore.core.jobs import Job

JOBS = (
    Job(
        name="aai.membership-reminders",
        every=timedelta(hours=1),
        run=lambda session, settings: {
            "reminded": enrolment.send_expiry_reminders(session=session, settings=settings)
        },
        description=f"e-mail members whose membership ends within {enrolment.REMINDER_DAYS} "
        "days (once per membership term)",
    ),
    Job(
        name="aai.membership-expiry",
        every=timedelta(minutes=10),
        run=lambda session, _settings: {"expired": enrolment.expire_memberships(session=session)},
        description="mark memberships past their expiry expired, with an audit event",
    ),
    Job(
        name="aai.prune",
        every=timedelta(days=1),
        run=lambda session, _settings: housekeeping.prune_expired(session=session),
        description="delete expired signing keys, tokens, codes, e-mail links and old sessions",
    ),
)
