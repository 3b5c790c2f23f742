"""The stored summaries (``service.summaries``) on both databases: what the loader's deltas
leave, once the dirty groups are rebuilt, equals a rebuild from the records, column for column
(normalised durations and their exact units included)."""

from __future__ import annotations

import json
import random
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fedcore.accounting import summaries as arithmetic
from fedcore.accounting.cli import app as accounting_app
from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.jobs import JOBS
from fedcore.accounting.models import AcceleratorSummary, CloudSuperSummary, SuperSummary
from fedcore.accounting.service import summaries
from fedcore.core.config import Settings, get_settings
from fedcore.core.db import Base, make_engine, make_sessionmaker, session_scope
from fedcore.core.errors import ValidationFailed
from tests.accounting.factories import (
    CLOUD_HEADER,
    JOB_HEADER,
    accelerator_message,
    dump,
    load,
    sample,
    text_message,
)
from tests.registry.factories import ADMIN

JOB_SAMPLE = "job_v03_individual.txt"
SEP = datetime(2026, 9, 1, tzinfo=UTC)
OCT = datetime(2026, 10, 1, tzinfo=UTC)
SUMMARISE_DIRTY = {job.name: job for job in JOBS}["accounting.summarise-dirty"]


def expected_rows(kind: RecordKind, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a rebuild writes for ``records``, as the arithmetic computes them."""
    rows = []
    for key, totals in arithmetic.aggregate(kind, records).items():
        row = dict(zip(arithmetic.KEY_COLUMNS[kind], key, strict=True))
        row.update({f.name: getattr(totals, f.name) for f in fields(totals)})
        if isinstance(totals, arithmetic.JobTotals):
            row["normalised_wall_duration"] = totals.normalised_wall_duration
            row["normalised_cpu_duration"] = totals.normalised_cpu_duration
        rows.append(row)
    return rows


def stored_rows(session: Session, model: type[Base], names: list[str]) -> list[dict[str, Any]]:
    table = model.__table__
    return [dict(row) for row in session.execute(select(*(table.c[n] for n in names))).mappings()]


def assert_rebuild_changes_nothing(session: Session, model: type[Base]) -> list[tuple[Any, ...]]:
    """The table as it is equals the table rebuilt from the records; returns it."""
    before = dump(session, model)
    summaries.rebuild_all(session)
    assert dump(session, model) == before
    return before


def test_the_job_sample_summarises_as_the_arithmetic_and_as_the_rebuild(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    body = sample(shared_dir, JOB_SAMPLE)
    load(session, settings, body)
    expected = expected_rows(RecordKind.JOB, parse_message(body.decode()).records)
    assert len(expected) == 10
    names = list(expected[0])
    key = arithmetic.SUPER_SUMMARY_KEY
    by_key = sorted(stored_rows(session, SuperSummary, names), key=lambda r: [r[n] for n in key])
    assert by_key == sorted(expected, key=lambda r: [r[n] for n in key])
    # 78489 s x 10.5 HS06 = 824134.5: the group's exact units, rounded away from zero once.
    (alice,) = [row for row in by_key if row["wall_duration"] == 78_489]
    assert alice["normalised_wall_units"] == 78_489 * 2_625_000
    assert alice["normalised_wall_duration"] == 824_135
    rows = assert_rebuild_changes_nothing(session, SuperSummary)
    assert not any(row[-1] for row in rows)  # none dirty


# --- random jobs ------------------------------------------------------------------------------

BENCHMARKS = [("HEPSPEC", 10.5), ("HEPscore23", 12.0), ("si2k", 2500.123), ("HEPSPEC", 10.123)]
VOS = [("atlas", "production"), ("cms", "NULL"), ("biomed", "NULL")]


def random_job(rng: random.Random, number: int) -> dict[str, Any]:
    vo, role = rng.choice(VOS)
    benchmark, level = rng.choice(BENCHMARKS)
    wall = rng.randrange(0, 90_000)
    end = rng.choice([SEP, OCT]) + timedelta(days=rng.randrange(28), seconds=rng.randrange(86_400))
    return {
        "Site": rng.choice(["SITE-A", "SITE-B"]),
        "SubmitHost": rng.choice(["ce01.example.org", "ce02.example.org"]),
        "LocalJobId": f"{number}.0",
        "GlobalUserName": f"/CN={rng.choice(['Alice', 'Bob', 'Carol'])}",
        "FQAN": f"/{vo}/Role={role}/Capability=NULL",
        "WallDuration": wall,
        "CpuDuration": rng.randrange(0, 8 * wall + 1),
        "Processors": rng.choice([1, 8]),
        "NodeCount": 1,
        "StartTime": end - timedelta(seconds=wall),
        "EndTime": end,
        "InfrastructureType": "grid",
        "ServiceLevelType": benchmark,
        "ServiceLevel": level,
    }


def modified(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    """The same job (same key) with other values: durations, VO, user, benchmark or cores."""
    change = dict(record)
    vo, role = rng.choice(VOS)
    benchmark, level = rng.choice(BENCHMARKS)
    change.update(
        rng.choice(
            [
                {"WallDuration": rng.randrange(0, 100), "CpuDuration": rng.randrange(0, 100)},
                {"FQAN": f"/{vo}/Role={role}/Capability=NULL"},
                {"GlobalUserName": "/CN=Dave", "SubmitHost": "ce03.example.org"},
                {"ServiceLevelType": benchmark, "ServiceLevel": level, "Processors": 4},
            ]
        )
    )
    change["StartTime"] = min(change["StartTime"], change["EndTime"])
    return change


@pytest.mark.parametrize("seed", range(3))
def test_random_job_loads_with_resends_equal_the_rebuild(
    session: Session, settings: Settings, seed: int
) -> None:
    """Small messages of random jobs, some sent again as they were, some changed (same key):
    once the dirty slices are rebuilt, the table is the rebuild's."""
    rng = random.Random(seed)
    sent: list[list[dict[str, Any]]] = []
    number = 0
    for _ in range(30):
        choice = rng.random()
        if sent and choice < 0.2:
            message = rng.choice(sent)
        elif sent and choice < 0.5:
            message = [modified(rng, record) for record in rng.choice(sent)]
        else:
            message = [random_job(rng, number + n) for n in range(rng.randint(1, 8))]
            number += len(message)
        sent.append(message)
        load(session, settings, text_message(JOB_HEADER, message))
    summaries.rebuild_dirty(session)
    rows = assert_rebuild_changes_nothing(session, SuperSummary)
    assert sum(row[-2] for row in rows) == number  # number_of_jobs: one per distinct job


# --- random clouds ----------------------------------------------------------------------------


def snapshot(rng: random.Random, vm: int) -> dict[str, Any]:
    """A VM's snapshot measured some time in August to October (counters since its start)."""
    start = datetime(2026, 8, 1, tzinfo=UTC) + timedelta(days=vm)
    measured = rng.choice([SEP, OCT]) + timedelta(days=rng.randrange(28), hours=rng.randrange(24))
    wall = int((measured - start).total_seconds())
    status = rng.choice(["started", "started", "completed", "suspended"])
    return {
        "VMUUID": f"vm-{vm}",
        "SiteName": "CLOUD-A" if vm % 2 else "CLOUD-B",  # a VMUUID stays with its site
        "CloudComputeService": "https://keystone.example.org:5000/v3",
        "MachineName": f"vm-{vm}",
        "GlobalUserName": f"user{vm % 3}@egi.eu",
        "FQAN": f"/{rng.choice(['vo.a', 'vo.b'])}/Role=NULL/Capability=NULL",
        "Status": status,
        "StartTime": start,
        "EndTime": measured if status == "completed" else 0,
        "RecordCreateTime": measured,
        "WallDuration": wall,
        "CpuDuration": rng.randrange(0, 2 * wall + 1),
        "CpuCount": rng.choice([2, 4]),
        "NetworkInbound": rng.randrange(1000),
        "Memory": rng.choice([2048, 4096]),
        "Disk": 40,
        "ImageId": rng.choice(["ubuntu", "alma"]),
        "CloudType": rng.choice(["caso/5.2.1 (OpenStack)", "caso/5.2.2 (OpenStack)"]),
        "BenchmarkType": "HEPSCORE23",
        "Benchmark": 11.5,
    }


@pytest.mark.parametrize("seed", range(3))
def test_random_cloud_loads_with_replaced_snapshots_equal_the_rebuild(
    session: Session, settings: Settings, seed: int
) -> None:
    """VMs measured across months; a later snapshot of a month replaces the stored one (and
    moves the next month's delta), some messages are sent twice."""
    rng = random.Random(seed)
    sent: list[bytes] = []
    for _ in range(25):
        if sent and rng.random() < 0.15:
            body = rng.choice(sent)
        else:
            vms = rng.sample(range(8), rng.randint(1, 3))
            body = text_message(CLOUD_HEADER, [snapshot(rng, vm) for vm in vms])
        sent.append(body)
        load(session, settings, body)
    summaries.rebuild_dirty(session)
    assert_rebuild_changes_nothing(session, CloudSuperSummary)


# --- random accelerators ----------------------------------------------------------------------


def accelerator(rng: random.Random, vm: int) -> dict[str, Any]:
    available = rng.randrange(1, 2_000_000)
    return {
        "SiteName": rng.choice(["CLOUD-A", "CLOUD-B"]),
        "AssociatedRecord": f"vm-{vm}",
        "AssociatedRecordType": "cloud",
        "GlobalUserName": f"user{vm % 3}@egi.eu",
        "FQAN": "/vo.a/Role=NULL/Capability=NULL",
        "Count": rng.choice([1, 2]),
        "Cores": rng.choice([None, 6912, 13824]),
        "AvailableDuration": available,
        "ActiveDuration": rng.randrange(0, available + 1),
        "MeasurementMonth": rng.choice([9, 10]),
        "MeasurementYear": 2026,
        "Type": "GPU",
        "Model": rng.choice(["NVIDIA A100-SXM4-40GB", "NVIDIA Tesla V100"]),
    }


@pytest.mark.parametrize("seed", range(3))
def test_random_accelerator_loads_with_resends_equal_the_rebuild(
    session: Session, settings: Settings, seed: int
) -> None:
    """Accelerator records sent again with other durations or cores (a summary key column that
    is not part of the record's key) leave groups that the dirty rebuild removes."""
    rng = random.Random(seed)
    for _ in range(25):
        records = [accelerator(rng, vm) for vm in rng.sample(range(6), rng.randint(1, 4))]
        load(session, settings, accelerator_message(records))
    summaries.rebuild_dirty(session)
    rows = assert_rebuild_changes_nothing(session, AcceleratorSummary)
    assert rows


# --- a dirty group ----------------------------------------------------------------------------


def test_a_replaced_job_that_held_the_earliest_end_time_is_fixed_by_the_dirty_job(
    session: Session, settings: Settings
) -> None:
    rng = random.Random(7)
    first = random_job(rng, 1) | {
        "Site": "SITE-A",
        "EndTime": OCT + timedelta(days=1),
        "FQAN": "/atlas/Role=production/Capability=NULL",
    }
    later = first | {"LocalJobId": "2.0", "EndTime": OCT + timedelta(days=9)}
    for job in (first, later):
        job["StartTime"] = job["EndTime"] - timedelta(seconds=job["WallDuration"])
    load(session, settings, text_message(JOB_HEADER, [first, later]))
    (group,) = session.scalars(select(SuperSummary)).all()
    assert group.earliest_end_time == first["EndTime"]

    moved = first | {"FQAN": "/cms/Role=NULL/Capability=NULL"}
    load(session, settings, text_message(JOB_HEADER, [moved]))
    session.refresh(group)
    # The sums are right at once; the earliest end time belongs to a job that left.
    assert (group.number_of_jobs, group.wall_duration) == (1, later["WallDuration"])
    assert (group.dirty, group.earliest_end_time) == (True, first["EndTime"])
    assert summaries.dirty_slices(session) == [summaries.Slice(RecordKind.JOB, "SITE-A", 2026, 10)]

    assert SUMMARISE_DIRTY.run(session, settings) == {"slices": 1, "groups": 2}
    atlas = session.scalars(select(SuperSummary).where(SuperSummary.vo == "atlas")).one()
    assert (atlas.dirty, atlas.earliest_end_time) == (False, later["EndTime"])
    assert_rebuild_changes_nothing(session, SuperSummary)


# --- fedcore accounting summarise -------------------------------------------------------------


def test_the_summarise_command_rebuilds_and_prints_its_counts(
    tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    monkeypatch.setenv("FEDCORE_DATABASE_URL", url)
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", ADMIN)
    get_settings.cache_clear()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    try:
        with session_scope(factory) as session:
            load(session, get_settings(), sample(shared_dir, JOB_SAMPLE))
            session.execute(delete(SuperSummary))
        fedcore = typer.Typer()
        fedcore.add_typer(accounting_app, name="accounting")
        result = CliRunner().invoke(fedcore, ["accounting", "summarise", "--site", "SITE-ALPHA"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output.splitlines()[-1]) == {"slices": 2, "groups": 10}
        with session_scope(factory) as session:
            assert len(dump(session, SuperSummary)) == 10
        refused = CliRunner().invoke(fedcore, ["accounting", "summarise", "--kind", "sync"])
        assert isinstance(refused.exception, ValidationFailed)
        assert refused.exception.field == "kind"
    finally:
        engine.dispose()
        get_settings.cache_clear()
