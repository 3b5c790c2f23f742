"""Background jobs: periodic work that no request triggers (membership expiry reminders and
expiry, housekeeping, later the daily A/R).

A subsystem declares its jobs as :class:`Job` values in its ``jobs.py``; the composition roots
(``core/web.py``, ``core/cli.py``) register them with :func:`register_jobs`. ``fedcore serve`` runs :func:`run_scheduler` in every process
unless ``FEDCORE_JOBS_ENABLED`` is false: every ``FEDCORE_JOBS_TICK`` seconds it runs the jobs
that are due. A job is due when its last run started at least ``every`` ago; a process runs it
only after claiming its row in ``core_job_run`` with one conditional UPDATE, so with several
processes or machines on one database each run happens once. The claim is a lease, the job's
``lease`` (6 hours unless the job says otherwise): no other process starts the job while a run
holds it, however long past ``every`` the run takes, so a job's lease must be longer than its
slowest run; a process that dies mid-run holds it that long at most. ``fedcore jobs list``
shows every job's last run, ``fedcore jobs run [NAME...]`` runs jobs now.

A job's function gets its own write transaction (committed when it returns) and returns
counts, kept with the run and logged as one line.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from fedcore.core.config import Settings
from fedcore.core.db import isoformat_z, session_scope, utcnow
from fedcore.core.logging import get_logger
from fedcore.core.models import JobRun

log = get_logger("fedcore.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    """``<subsystem>.<what>``, e.g. ``aai.membership-expiry``."""
    every: timedelta
    run: Callable[[Session, Settings], Mapping[str, int]]
    description: str
    lease: timedelta = timedelta(hours=6)
    """How long a claimed run may take before another process may start the job again: far
    longer than the job's slowest run."""


_REGISTERED: dict[str, Job] = {}


def register_jobs(*jobs: Job) -> None:
    for job in jobs:
        _REGISTERED[job.name] = job


def registered_jobs() -> tuple[Job, ...]:
    return tuple(_REGISTERED.values())


def holder_name() -> str:
    """Who holds a lease: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _row(session: Session, name: str) -> JobRun:
    row = session.get(JobRun, name)
    if row is None:
        try:
            with session.begin_nested():
                session.add(JobRun(name=name))
        except IntegrityError:
            pass  # another process added it first
        row = session.get(JobRun, name)
        assert row is not None
    return row


def claim(session: Session, job: Job, *, now: datetime, holder: str, force: bool = False) -> bool:
    """Take the job's lease if nobody holds it and (unless ``force``) the job is due."""
    _row(session, job.name)
    claim = update(JobRun).where(
        JobRun.name == job.name, or_(JobRun.lease_until.is_(None), JobRun.lease_until <= now)
    )
    if not force:
        claim = claim.where(or_(JobRun.started_at.is_(None), JobRun.started_at <= now - job.every))
    result = session.execute(
        claim.values(holder=holder, lease_until=now + job.lease, started_at=now),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _finish(
    factory: sessionmaker[Session], job: Job, result: Mapping[str, int] | None, error: str
) -> None:
    with session_scope(factory) as session:
        row = session.get(JobRun, job.name)
        assert row is not None
        row.lease_until = None
        row.holder = ""
        row.finished_at = utcnow()
        row.result = json.dumps(dict(result or {}), sort_keys=True)
        row.error = error[:1000]


def run_job(
    factory: sessionmaker[Session],
    settings: Settings,
    job: Job,
    *,
    holder: str,
    force: bool = False,
) -> Mapping[str, int] | None:
    """Run ``job`` if this process can claim it; its counts, or None when it was not claimed
    (not due, or running elsewhere). A failing job is recorded and its error raised."""
    with session_scope(factory) as session:
        if not claim(session, job, now=utcnow(), holder=holder, force=force):
            return None
    try:
        with session_scope(factory) as session:
            result = dict(job.run(session, settings))
    except Exception as exc:
        _finish(factory, job, None, f"{type(exc).__name__}: {exc}")
        log.error("job failed", job=job.name, error=str(exc))
        raise
    _finish(factory, job, result, "")
    log.info("job ran", job=job.name, **result)
    return result


def run_due(
    factory: sessionmaker[Session], settings: Settings, jobs: Sequence[Job], *, holder: str
) -> dict[str, Mapping[str, int]]:
    """One look: run every due job this process can claim; the counts of those that ran.
    A failing job does not stop the others (it is logged and recorded)."""
    ran: dict[str, Mapping[str, int]] = {}
    for job in jobs:
        try:
            result = run_job(factory, settings, job, holder=holder)
        except Exception:  # recorded and logged by run_job; the next job still runs
            result = None
        if result is not None:
            ran[job.name] = result
    return ran


async def run_scheduler(
    factory: sessionmaker[Session], settings: Settings, jobs: Sequence[Job]
) -> None:
    """Run due jobs every ``settings.jobs_tick`` seconds until cancelled (in a worker thread:
    jobs use the synchronous database API)."""
    holder = holder_name()
    log.info("jobs scheduler started", jobs=",".join(job.name for job in jobs), holder=holder)
    while True:
        await anyio.to_thread.run_sync(lambda: run_due(factory, settings, jobs, holder=holder))
        await asyncio.sleep(settings.jobs_tick)


def last_run(session: Session, name: str) -> dict[str, str | None]:
    """A job's last run as text (``fedcore jobs list``)."""
    row = session.get(JobRun, name)
    if row is None:
        return {"started_at": None, "finished_at": None, "result": None, "error": None}
    return {
        "started_at": isoformat_z(row.started_at) if row.started_at else None,
        "finished_at": isoformat_z(row.finished_at) if row.finished_at else None,
        "result": row.result or None,
        "error": row.error or None,
    }
