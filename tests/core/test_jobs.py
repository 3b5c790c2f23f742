"""Background jobs (core/jobs.py) on SQLite and PostgreSQL with committed transactions: a due
job runs once however many processes look, a failing job is recorded and does not stop the
others, a dead holder's lease runs out; ``fedcore serve``'s scheduler runs the registered jobs;
``fedcore jobs list|run``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from fedcore.core.cli import jobs_app
from fedcore.core.config import Settings
from fedcore.core.db import make_sessionmaker, session_scope, utcnow
from fedcore.core.jobs import Job, claim, run_due, run_job
from fedcore.core.models import JobRun
from fedcore.core.web import create_app
from tests.aai.test_cli import database  # noqa: F401  (a fixture)


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = make_sessionmaker(engine)
    yield factory
    with session_scope(factory) as session:
        session.execute(delete(JobRun))


class Counting:
    """A job body that counts its runs (and can be made slow or failing)."""

    def __init__(self, *, pause: float = 0.0, error: str = "") -> None:
        self.runs = 0
        self.pause = pause
        self.error = error
        self.lock = threading.Lock()

    def __call__(self, session: Session, settings: Settings) -> Mapping[str, int]:
        with self.lock:
            self.runs += 1
        time.sleep(self.pause)
        if self.error:
            raise RuntimeError(self.error)
        return {"done": self.runs}


def job(name: str, body: Counting, every: timedelta = timedelta(hours=1)) -> Job:
    return Job(name=name, every=every, run=body, description=name)


def stored(factory: sessionmaker[Session], name: str) -> JobRun:
    with session_scope(factory, write=False) as session:
        row = session.get(JobRun, name)
        assert row is not None
        session.expunge(row)
        return row


def test_a_due_job_runs_once_until_it_is_due_again(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    body = Counting()
    hourly = job("test.hourly", body)
    assert run_due(factory, settings, [hourly], holder="a") == {"test.hourly": {"done": 1}}
    assert run_due(factory, settings, [hourly], holder="b") == {}
    assert body.runs == 1
    row = stored(factory, "test.hourly")
    assert row.lease_until is None
    assert row.finished_at is not None
    assert json.loads(row.result) == {"done": 1}
    assert row.error == ""

    assert run_job(factory, settings, hourly, holder="b", force=True) == {"done": 2}
    assert body.runs == 2


def test_concurrent_processes_run_a_due_job_once(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    body = Counting(pause=0.3)
    shared = job("test.shared", body)
    start = threading.Barrier(4)
    results: list[Mapping[str, int] | None] = []

    def process(holder: str) -> None:
        start.wait()
        results.append(run_job(factory, settings, shared, holder=holder))

    threads = [threading.Thread(target=process, args=(f"p{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert body.runs == 1
    assert sorted(results, key=lambda r: r is not None) == [None, None, None, {"done": 1}]


def test_a_failing_job_is_recorded_and_the_others_still_run(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    broken, fine = Counting(error="disk full"), Counting()
    ran = run_due(
        factory, settings, [job("test.broken", broken), job("test.fine", fine)], holder="a"
    )
    assert ran == {"test.fine": {"done": 1}}
    row = stored(factory, "test.broken")
    assert row.error == "RuntimeError: disk full"
    assert row.lease_until is None
    with pytest.raises(RuntimeError, match="disk full"):
        run_job(factory, settings, job("test.broken", broken), holder="a", force=True)


def test_a_dead_holders_lease_runs_out(factory: sessionmaker[Session]) -> None:
    frequent = job("test.frequent", Counting(), every=timedelta(seconds=1))
    now = utcnow()
    with session_scope(factory) as session:
        assert claim(session, frequent, now=now, holder="dies")
    with session_scope(factory) as session:
        assert not claim(session, frequent, now=now + timedelta(minutes=5), holder="b")
        assert not claim(session, frequent, now=now, holder="b", force=True)
    with session_scope(factory) as session:
        assert claim(session, frequent, now=now + frequent.lease, holder="b")
    assert stored(factory, "test.frequent").holder == "b"


def test_a_run_slower_than_the_period_is_not_started_again(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    hourly = job("test.slow", Counting())
    now = utcnow()
    with session_scope(factory) as session:
        assert claim(session, hourly, now=now, holder="slow")
    with session_scope(factory) as session:  # due again, but the first run is still going
        assert not claim(session, hourly, now=now + timedelta(hours=3), holder="b")
    assert run_job(factory, settings, hourly, holder="b") is None
    short = Job(
        name="test.short",
        every=hourly.every,
        run=hourly.run,
        description="",
        lease=timedelta(hours=2),
    )
    with session_scope(factory) as session:
        assert claim(session, short, now=now, holder="dies")
    with session_scope(factory) as session:
        assert claim(session, short, now=now + timedelta(hours=3), holder="b")
    assert stored(factory, "test.short").lease_until == now + timedelta(hours=5)


def test_serve_runs_the_registered_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    from fedcore.migrations import upgrade

    upgrade(url, "head")
    settings = Settings(data_dir=tmp_path, database_url=url, log_level="WARNING", jobs_tick=1)
    app = create_app(settings)
    factory: sessionmaker[Session] = app.state.sessionmaker
    names = {"aai.membership-reminders", "aai.membership-expiry", "aai.prune"}
    with TestClient(app):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with session_scope(factory, write=False) as session:
                finished = {row.name for row in session.query(JobRun) if row.finished_at}
            if finished >= names:
                break
            time.sleep(0.2)
    assert finished >= names
    assert json.loads(stored(factory, "aai.membership-expiry").result) == {"expired": 0}


def jobs(*args: str) -> tuple[int, str]:
    fedcore = typer.Typer()
    fedcore.add_typer(jobs_app, name="jobs")
    from fedcore.aai.jobs import JOBS
    from fedcore.core.jobs import register_jobs

    register_jobs(*JOBS)
    result = CliRunner().invoke(fedcore, ["jobs", *args])
    return result.exit_code, result.output


def test_the_jobs_commands(database: Engine) -> None:  # noqa: F811
    code, output = jobs("run", "aai.membership-expiry", "aai.prune")
    assert code == 0, output
    ran = json.loads(output.splitlines()[-1])
    assert ran["aai.membership-expiry"] == {"expired": 0}
    assert set(ran) == {"aai.membership-expiry", "aai.prune"}

    code, output = jobs("list")
    assert code == 0, output
    listed = {line["name"]: line for line in map(json.loads, output.splitlines())}
    assert listed["aai.membership-expiry"]["every_seconds"] == 600
    assert json.loads(listed["aai.membership-expiry"]["result"]) == {"expired": 0}
    assert listed["aai.membership-reminders"]["started_at"] is None

    code, output = jobs("run", "aai.nothing")
    assert code == 2
    assert output.strip().startswith("error: name: no job 'aai.nothing'")
