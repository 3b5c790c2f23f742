"""Loading APEL job messages, and the year-by-VO-and-month report over ten million records.

Issue 7 asks for job records loaded (parse + validate + store + summary update) at records per
second on SQLite and PostgreSQL, set against APEL's own parser: RecordFactory with record
validation and ``get_db_tuple`` parses about 12,000 job records per second on one core of this
machine without touching a database (reference §4, measured at dev @ 53dbaaa). The aim is at
least 10x that, 120,000 records/s, database included. The report query for one year by VO and
month over 10,000,000 records should answer in under a second.

**Part 1, load.** A seeded generator writes ``--records`` job records (default 1,000,000) as
``APEL-individual-job-message: v0.3`` messages of 1,000 records, each message from one site, as
a site's APEL client sends them: 1,000 sites (one benchmark each: HEPSPEC, HEPscore23 or si2k;
two CEs), 50 VOs of 400 DNs each (20,000 DNs; one production pilot DN per VO runs most jobs),
end times in 2025; 5 % of the messages are resends of an earlier message, byte for byte. It
times ``parse_message`` over every message (parse only, no database), then loads every message
through :func:`fedcore.accounting.service.loader.submit_message` in its own transaction, as
``fedcore accounting load`` does, into empty tables (built from the models' metadata): SQLite
(WAL, synchronous=NORMAL, as ``core/db.py`` configures it) in a temporary directory, and a
throwaway PostgreSQL cluster (``tests/support/postgres.py``) whose test settings (fsync and
synchronous_commit off) are switched back to the durable defaults before the load, unless
``FEDCORE_TEST_POSTGRES_URL`` names a server of yours. It prints the rates, the ratio to
APEL's 12,000/s and to the aim, and a digest of the super-summary (equal digests: equal
summaries, so speed-ups can be checked to change nothing).

With ``FEDCORE_APEL_SRC`` naming an APEL checkout (the directory holding the ``apel``
package; its Python dependencies ``future iso8601 dirq jsonschema`` in the interpreter named by
``FEDCORE_APEL_PYTHON``, default this one), APEL's RecordFactory parses the same messages side
by side on one core (``taskset -c 0``), as reference §4 measured it; without one, the 12,000/s
printed is the reference's figure.

**Part 2, report.** ``--report-records`` job records (default 10,000,000) of 2025 from the same
generator are summarised in memory with :func:`fedcore.accounting.summaries.aggregate` (the
arithmetic ``summarise`` uses) and their groups bulk-inserted into ``accounting_super_summary``
(source ``jobs``). Writing ten million record rows and running ``service.summaries.rebuild_all``
would time the rebuild, not the report: at part 1's rates (13,000 to 17,000 records a second
here) writing the rows alone takes 10 to 13 minutes per database, before the rebuild reads them
back slice by slice. Then
the report (normalised CPU in HS06·h by VO and month for 2025) is run 5 times per database and
the median printed, through the reports service (which first looks for site-months with two
routes, jobs > normalised > summaries, docs/accounting.md) and as its ``GROUP BY vo, month``
over ``accounting_super_summary`` for ``year = 2025`` alone.

    .venv/bin/python -m benchmarks.accounting_load [--records 1000000] [--db sqlite|postgresql|both]
        [--report-records 10000000] [--skip-load] [--skip-report]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, text
from sqlalchemy.orm import Session
from tests.support.postgres import postgres_cluster

from benchmarks.aai_tokens import CLOCK_TICKS, cpu_ticks, database_pids
from fedcore.accounting.enums import Transport
from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.models import SuperSummary
from fedcore.accounting.service import loader, reports
from fedcore.accounting.summaries import KEY_COLUMNS, JobTotals, aggregate
from fedcore.core.config import Settings
from fedcore.core.db import Base, make_engine, make_sessionmaker, session_scope, utcnow
from fedcore.core.logging import configure_logging
from fedcore.core.security import principal_for

APEL_RATE = 12_000  # job records/s, APEL's RecordFactory on one core (reference §4)
AIM = 10 * APEL_RATE
REPORT_AIM = 1.0  # seconds
SLOW_RUN = 30.0  # seconds: a report run this slow is not repeated
SEED = 20261126
SITES = 1000
VOS = 50
DNS_PER_VO = 400  # 20,000 DNs
VOS_PER_SITE = 5
PILOT_SHARE = 0.95  # of a site's jobs run under its VOs' production pilot DNs
RECORDS_PER_MESSAGE = 1000
RESEND_SHARE = 0.05
YEAR = 2025
BENCHMARKS = (("HEPSPEC", 10.0, 16.0), ("HEPscore23", 12.0, 20.0), ("si2k", 2500.0, 4000.0))
OPERATOR = "benchmark-operator"
HEADER = "APEL-individual-job-message: v0.3"
SEPARATOR = "%%\n"
YEAR_START = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())
MONTH_STARTS = [int(datetime(YEAR, m, 1, tzinfo=UTC).timestamp()) for m in range(1, 13)] + [
    int(datetime(YEAR + 1, 1, 1, tzinfo=UTC).timestamp())
]


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    ces: tuple[str, str]
    vos: tuple[int, ...]
    service_level_type: str
    service_level: float


def vo_name(vo: int) -> str:
    return f"vo{vo:02d}.example.org"


def dn(vo: int, user: int) -> str:
    return f"/DC=org/DC=example/OU={vo_name(vo)}/CN=user{user:03d}"


def make_sites(rng: random.Random) -> list[Site]:
    sites = []
    for number in range(SITES):
        name = f"SITE-{number:04d}"
        host = f"site-{number:04d}.example.org"
        level_type, low, high = BENCHMARKS[number % len(BENCHMARKS)]
        sites.append(
            Site(
                name=name,
                ces=(
                    f"ce01.{host}:9619/ce01.{host}-condor",
                    f"ce02.{host}:9619/ce02.{host}-condor",
                ),
                vos=tuple(rng.sample(range(VOS), VOS_PER_SITE)),
                service_level_type=level_type,
                service_level=round(rng.uniform(low, high), 1),
            )
        )
    return sites


class Generator:
    """Job records of 2025, seeded: each site runs its VOs' jobs, mostly under pilot DNs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sites = make_sites(self.rng)
        self.next_job = [1_000_000] * SITES

    def job(self, site_number: int, month: int) -> dict[str, Any]:
        """One job of ``site_number`` ending in ``month`` (1-12), with the fields that the v0.3
        text carries (``end_time`` as epoch seconds)."""
        rng = self.rng
        site = self.sites[site_number]
        vo = site.vos[int(VOS_PER_SITE * rng.random() ** 2)]
        if rng.random() < PILOT_SHARE:
            user, role, processors = 0, "Role=production", 8
        else:
            user, role, processors = 1 + int((DNS_PER_VO - 1) * rng.random() ** 3), "Role=NULL", 1
        job_id = self.next_job[site_number]
        self.next_job[site_number] = job_id + 1
        end = rng.randrange(MONTH_STARTS[month - 1], MONTH_STARTS[month])
        wall = rng.randrange(60, 172_800)
        return {
            "site": site.name,
            "submit_host": site.ces[user % 2 if user else job_id % 2],
            "local_job_id": f"{job_id}.0",
            "local_user_id": f"{vo_name(vo)[:4]}{user:03d}",
            "global_user_name": dn(vo, user),
            "fqan": f"/{vo_name(vo)}/{role}/Capability=NULL",
            "vo": vo_name(vo),
            "vo_group": f"/{vo_name(vo)}",
            "vo_role": role,
            "wall_duration": wall,
            "cpu_duration": int(wall * processors * rng.uniform(0.3, 0.98)),
            "processors": processors,
            "start_time": end - wall,
            "end_time": end,
            "memory_real": rng.randrange(500_000, 8_000_000),
            "service_level_type": site.service_level_type,
            "service_level": site.service_level,
        }


def job_text(job: dict[str, Any]) -> str:
    host = job["submit_host"].partition(":")[0]
    return (
        f"Site: {job['site']}\n"
        f"SubmitHost: {job['submit_host']}\n"
        f"MachineName: {host}\n"
        "Queue: condor\n"
        f"LocalJobId: {job['local_job_id']}\n"
        f"LocalUserId: {job['local_user_id']}\n"
        f"GlobalUserName: {job['global_user_name']}\n"
        f"FQAN: {job['fqan']}\n"
        f"VO: {job['vo']}\n"
        f"VOGroup: {job['vo_group']}\n"
        f"VORole: {job['vo_role']}\n"
        f"WallDuration: {job['wall_duration']}\n"
        f"CpuDuration: {job['cpu_duration']}\n"
        f"Processors: {job['processors']}\n"
        "NodeCount: 1\n"
        f"StartTime: {job['start_time']}\n"
        f"EndTime: {job['end_time']}\n"
        "InfrastructureDescription: APEL-HTCONDORCE-HTCONDOR\n"
        "InfrastructureType: grid\n"
        f"MemoryReal: {job['memory_real']}\n"
        f"MemoryVirtual: {job['memory_real'] * 3}\n"
        f"ServiceLevelType: {job['service_level_type']}\n"
        f"ServiceLevel: {job['service_level']}\n"
    )


def messages(records: int, seed: int = SEED) -> list[bytes]:
    """``records`` job records in 1,000-record messages, one site per message; 5 % of the
    messages resend an earlier one."""
    generator = Generator(seed)
    rng = random.Random(seed + 1)
    bodies: list[bytes] = []
    for index in range(records // RECORDS_PER_MESSAGE):
        if bodies and rng.random() < RESEND_SHARE:
            bodies.append(bodies[rng.randrange(len(bodies))])
            continue
        site = rng.randrange(SITES)
        month = 1 + index * 12 * RECORDS_PER_MESSAGE // records
        jobs = [generator.job(site, month) for _ in range(RECORDS_PER_MESSAGE)]
        bodies.append((HEADER + "\n" + SEPARATOR.join(map(job_text, jobs)) + "%%\n").encode())
    return bodies


def report_records(records: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """``records`` job records of 2025 as parsed records (the columns the summaries read),
    spread over every site and month."""
    generator = Generator(seed)
    per_site_month = max(1, records // (SITES * 12))
    made = 0
    for month in range(1, 13):
        for site in range(SITES):
            for _ in range(per_site_month):
                if made == records:
                    return
                job = generator.job(site, month)
                end = datetime.fromtimestamp(job["end_time"], UTC)
                job.update(
                    end_time=end, end_year=YEAR, end_month=month, node_count=1,
                    infrastructure_type="grid",
                )  # fmt: skip
                made += 1
                yield job


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[tuple[str, str]]:
    """An empty database: ``(name, SQLAlchemy URL)``."""
    if kind == "sqlite":
        yield "SQLite", f"sqlite:///{workdir / 'accounting.sqlite'}"
        return
    own_server = not os.environ.get("FEDCORE_TEST_POSTGRES_URL")
    with postgres_cluster() as url:
        if own_server:
            engine = make_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                    connection.execute(text(f"ALTER SYSTEM SET {setting} = on"))
                connection.execute(text("SELECT pg_reload_conf()"))
            engine.dispose()
        yield "PostgreSQL", url


def create_tables(engine: Engine) -> None:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


def settings_for(url: str, workdir: Path) -> Settings:
    return Settings(
        data_dir=workdir,
        database_url=url,
        admin_subject=OPERATOR,
        secret_key=secrets.token_urlsafe(32),
        log_level="WARNING",
    )


def records_of(bodies: list[bytes]) -> int:
    return len(bodies) * RECORDS_PER_MESSAGE


def parse_rate(bodies: list[bytes]) -> tuple[float, float]:
    """Records parsed per second of wall-clock time and per CPU second."""
    cpu, started = time.process_time(), time.perf_counter()
    count = sum(len(parse_message(body.decode()).records) for body in bodies)
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def summary_digest(engine: Engine) -> tuple[int, int, str]:
    """Job rows, super-summary groups and a digest of every group's key and values."""
    table: Table = SuperSummary.__table__  # type: ignore[assignment]
    columns = [c for c in table.c if c.name not in ("id", "updated_at")]
    digest = hashlib.sha256()
    with engine.connect() as connection:
        jobs = connection.execute(text("SELECT count(*) FROM accounting_job")).scalar_one()
        rows = connection.execute(
            table.select().with_only_columns(*columns).order_by(*columns[:14])
        ).all()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return int(jobs), len(rows), digest.hexdigest()[:16]


def load(url: str, workdir: Path, bodies: list[bytes]) -> tuple[float, float, float, int]:
    """Load every message in its own transaction; ``(seconds, records/s, CPU seconds of this
    process and of a local database server, rows stored)``."""
    settings = settings_for(url, workdir)
    engine = make_engine(url)
    create_tables(engine)
    factory = make_sessionmaker(engine)
    origin = loader.Origin(Transport.CLI, principal_for(OPERATOR, OPERATOR))
    records = stored = 0
    server = database_pids(url)
    server_ticks = sum(cpu_ticks(server).values())
    cpu = time.process_time()
    started = time.perf_counter()
    for body in bodies:
        with session_scope(factory) as session:
            outcome = loader.submit_message(
                session=session, settings=settings, origin=origin, body=body
            )
        if isinstance(outcome, loader.Rejection):
            raise SystemExit(f"a generated message was rejected: {outcome.error.detail}")
        records += outcome.records
        stored += outcome.stored
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    cpu += (sum(cpu_ticks(server).values()) - server_ticks) / CLOCK_TICKS
    engine.dispose()
    return seconds, records / seconds, cpu, stored


APEL_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from apel.db.loader.record_factory import RecordFactory
texts = [open(p).read() for p in sys.argv[2:]]
count, started = 0, time.perf_counter()
for text in texts:
    records = RecordFactory().create_records(text)
    for record in records:
        record.get_db_tuple('/CN=benchmark')
    count += len(records)
print(count / (time.perf_counter() - started))
"""


def apel_rate(bodies: list[bytes], workdir: Path) -> float | None:
    """APEL's RecordFactory rate over the same messages on one core, if a checkout is given."""
    source = os.environ.get("FEDCORE_APEL_SRC")
    if not source:
        return None
    python = os.environ.get("FEDCORE_APEL_PYTHON", sys.executable)
    folder = workdir / "apel-messages"
    folder.mkdir(exist_ok=True)
    paths = []
    for index, body in enumerate(bodies):
        path = folder / f"{index:06d}"
        path.write_bytes(body)
        paths.append(str(path))
    command = ["taskset", "-c", "0", python, "-c", APEL_SCRIPT, source, *paths]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def fill_report(url: str, groups: dict[Any, Any]) -> None:
    engine = make_engine(url)
    create_tables(engine)
    table: Table = SuperSummary.__table__  # type: ignore[assignment]
    key_columns = KEY_COLUMNS[RecordKind.JOB]
    now = utcnow()
    rows = []
    for key, totals in groups.items():
        assert isinstance(totals, JobTotals)
        row = dict(zip(key_columns, key, strict=True))
        row.update(
            earliest_end_time=totals.earliest_end_time,
            latest_end_time=totals.latest_end_time,
            wall_duration=totals.wall_duration,
            cpu_duration=totals.cpu_duration,
            normalised_wall_units=totals.normalised_wall_units,
            normalised_cpu_units=totals.normalised_cpu_units,
            normalised_wall_duration=totals.normalised_wall_duration,
            normalised_cpu_duration=totals.normalised_cpu_duration,
            number_of_jobs=totals.number_of_jobs,
            dirty=False,
            updated_at=now,
        )
        rows.append(row)
    with engine.begin() as connection:
        for start in range(0, len(rows), 20_000):
            connection.execute(table.insert(), rows[start : start + 20_000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


REPORT_SQL = """
SELECT vo, month, SUM(normalised_cpu_duration) / 3600.0 AS hs06_hours
FROM accounting_super_summary
WHERE year = :year
GROUP BY vo, month
ORDER BY vo, month
"""
"""Normalised CPU (HS06·h) by VO and month of a year: the GROUP BY the reports service runs
when no site-month of the year has two routes (as here: every group comes from job records);
otherwise it excludes the outranked routes' rows, found first from the few rows of the lower
routes."""


def timed(run: Callable[[], int]) -> tuple[float, int, int]:
    """The median of 5 runs (seconds), what the last one answered and the runs made: one when
    it takes more than :data:`SLOW_RUN` seconds."""
    times, answered = [], 0
    for _ in range(5):
        started = time.perf_counter()
        answered = run()
        times.append(time.perf_counter() - started)
        if times[-1] > SLOW_RUN:
            break
    return statistics.median(times), answered, len(times)


def time_report(url: str, workdir: Path) -> list[tuple[str, float, int, int]]:
    """The report by the reports service and by its SQL alone: ``(what, median seconds, cells,
    runs)`` each."""
    engine = make_engine(url)
    query = reports.query_from(
        metric="normalized_sum_cpu", rows="vo", columns="month",
        start=f"{YEAR}-01", end=f"{YEAR}-12", filters={},
    )  # fmt: skip
    actor = principal_for(OPERATOR, OPERATOR)

    def service() -> int:
        with Session(engine) as session:
            answer = reports.report(session=session, actor=actor, query=query)
        return sum(cell is not None for row in answer.pivot.cells for cell in row)

    timings = [("reports.report", *timed(service))]
    with engine.connect() as connection:

        def sql() -> int:
            return len(connection.execute(text(REPORT_SQL), {"year": YEAR}).all())

        timings.append(("GROUP BY alone", *timed(sql)))
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--report-records", type=int, default=10_000_000)
    parser.add_argument("--skip-load", action="store_true", help="run the report part only")
    parser.add_argument("--skip-report", action="store_true", help="run the load part only")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fedcore-acc-")))
        if not args.skip_load:
            run_load(args.records, kinds, workdir, stack)
        if not args.skip_report:
            run_report(args.report_records, kinds, workdir, stack)


def run_load(records: int, kinds: list[str], workdir: Path, stack: ExitStack) -> None:
    started = time.perf_counter()
    bodies = messages(records)
    resends = len(bodies) - len(set(bodies))
    print(
        f"generated {len(bodies)} messages of {RECORDS_PER_MESSAGE} job records "
        f"({resends} resends) in {time.perf_counter() - started:.1f} s"
    )
    rate, per_cpu = parse_rate(bodies)
    print(f"parse only (parse_message, one process): {rate:,.0f} records/s, "
          f"{per_cpu:,.0f} per CPU second, {per_cpu / APEL_RATE:.1f}x APEL's {APEL_RATE:,}/s")  # fmt: skip
    measured = apel_rate(bodies, workdir)
    if measured is None:
        print(f"APEL: {APEL_RATE:,} records/s is reference §4's figure "
              "(set FEDCORE_APEL_SRC to an APEL checkout to run it side by side)")  # fmt: skip
    else:
        print(f"APEL RecordFactory side by side (taskset -c 0): {measured:,.0f} records/s; "
              f"fedcore's parse is {rate / measured:.1f}x")  # fmt: skip
    apel = measured or APEL_RATE
    for kind in kinds:
        with database(kind, workdir) as (name, url):
            seconds, rate, cpu, stored = load(url, workdir, bodies)
            jobs, groups, digest = summary_digest(make_engine(url))
        verdict = "met" if rate >= 10 * apel else "NOT met"
        print(
            f"{name}: {records_of(bodies):,} records in {seconds:.1f} s = "
            f"{rate:,.0f} records/s ({rate / apel:.2f}x APEL; aim {10 * apel:,.0f}/s {verdict}); "
            f"CPU (loader + database server) {cpu:.1f} s = {records_of(bodies) / cpu:,.0f} "
            "records per CPU second; "
            f"{stored:,} rows stored, {jobs:,} job rows, {groups:,} summary groups, "
            f"summary digest {digest}"
        )


def run_report(records: int, kinds: list[str], workdir: Path, stack: ExitStack) -> None:
    started = time.perf_counter()
    groups = aggregate(RecordKind.JOB, report_records(records))
    print(
        f"report: {records:,} job records summarised into {len(groups):,} super-summary groups "
        f"({len(groups) / records:.1%}) in {time.perf_counter() - started:.0f} s"
    )
    for kind in kinds:
        with database(kind, workdir) as (name, url):
            started = time.perf_counter()
            fill_report(url, groups)
            filled = time.perf_counter() - started
            timings = time_report(url, workdir)
        print(f"{name}: groups inserted in {filled:.0f} s")
        for what, median, cells, runs in timings:
            verdict = "met" if median < REPORT_AIM else "NOT met"
            print(
                f"{name}: report {YEAR} by VO and month ({what}, {cells} cells): "
                f"median of {runs} {median * 1000:,.0f} ms (aim < 1 s {verdict})"
            )


if __name__ == "__main__":
    main()
