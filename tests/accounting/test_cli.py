"""``fedcore accounting ...`` against a migrated SQLite file: ``load FILE|DIR...`` (a line per
file, a rejected file on standard error with exit code 2 while the others load, SSM/cASO
queues) and ``publishers add|list|remove``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fedcore.accounting.cli import app as accounting_app
from fedcore.accounting.enums import MessageStatus
from fedcore.accounting.models import CloudRecord, JobRecord, Message, PublicIpRecord, SyncRecord
from fedcore.core.config import get_settings
from fedcore.core.db import make_engine
from fedcore.migrations import upgrade
from tests.registry.factories import build_federation

ADMIN = "operator@fedcore.test"
SAMPLES = "samples/accounting"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    monkeypatch.setenv("FEDCORE_DATABASE_URL", url)
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", ADMIN)
    get_settings.cache_clear()
    upgrade(url)
    yield url
    get_settings.cache_clear()


@pytest.fixture
def samples(shared_dir: Path) -> Path:
    return shared_dir / SAMPLES


def run(*args: str | Path) -> Any:
    """``fedcore accounting ARGS``, mounted as ``core/cli.py`` mounts it."""
    fedcore = typer.Typer()
    fedcore.add_typer(accounting_app, name="accounting")
    return CliRunner().invoke(fedcore, ["accounting", *map(str, args)])


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (JobRecord, SyncRecord, CloudRecord, PublicIpRecord, Message)
            }
    finally:
        engine.dispose()


def test_load_prints_a_line_per_file_and_a_resend_writes_nothing(
    database: str, samples: Path
) -> None:
    files = [samples / name for name in ("job_v03_individual.txt", "cloud_v04_caso.txt")]
    first = run("load", *files)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"{files[0]}: 21 job records, 21 rows written",
        f"{files[1]}: 10 cloud records, 7 rows written",
    ]
    assert first.stderr == ""
    again = run("load", *files)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"{files[0]}: 21 job records, 0 rows written",
        f"{files[1]}: 10 cloud records, 0 rows written",
    ]
    assert counts(database) == {
        "accounting_job": 21,
        "accounting_sync": 0,
        "accounting_cloud": 7,
        "accounting_public_ip": 0,
        "accounting_message": 2,
    }


def test_a_rejected_file_exits_2_with_apels_reason_and_the_others_still_load(
    database: str, samples: Path, tmp_path: Path
) -> None:
    job = (samples / "job_v03_individual.txt").read_text()
    broken = tmp_path / "broken.txt"
    broken.write_text(job.replace("WallDuration: 11686", "WallDuration: 12h", 1))
    sync = samples / "sync_v01.txt"
    result = run("load", broken, sync)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {broken}: Parsing unsuccessful: record 1: "
        "Invalid int value 12h in field WallDuration"
    ]
    assert result.stdout.splitlines() == [f"{sync}: 3 sync records, 3 rows written"]
    assert counts(database) == {
        "accounting_job": 0,
        "accounting_sync": 3,
        "accounting_cloud": 0,
        "accounting_public_ip": 0,
        "accounting_message": 2,
    }
    engine = make_engine(database)
    with Session(engine) as session:
        rejected = session.scalars(
            select(Message).where(Message.status == MessageStatus.REJECTED)
        ).one()
        assert rejected.body == broken.read_text()
    engine.dispose()


def test_a_queue_directory_loads_every_message_and_skips_temporary_and_locked_files(
    database: str, samples: Path, tmp_path: Path
) -> None:
    """The dirq layout of SSM's outgoing queue and cASO's ``output_path``: a subdirectory per
    minute (8 hex digits), an element file per message (14 hex digits), ``.tmp`` files being
    written and ``.lck`` files marking locked elements."""
    queue = tmp_path / "outgoing"
    names = ["job_v03_individual.txt", "sync_v01.txt", "cloud_v04_caso.txt", "ip_v02_caso.json"]
    elements = []
    for index, name in enumerate(names):
        minute = queue / f"{0x6A3B2C00 + index // 2:08x}"
        minute.mkdir(parents=True, exist_ok=True)
        element = minute / f"6a3b2c{index:08x}"
        element.write_bytes((samples / name).read_bytes())
        elements.append(element)
    (elements[0].parent / "6a3b2cffffffff.tmp").write_text("half written")
    (elements[1].parent / f"{elements[1].name}.lck").write_text("")
    result = run("load", queue)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{elements[0]}: 21 job records, 21 rows written",
        f"{elements[1]}: 3 sync records, 3 rows written",
        f"{elements[2]}: 10 cloud records, 7 rows written",
        f"{elements[3]}: 4 public ip records, 3 rows written",
    ]
    assert counts(database) == {
        "accounting_job": 21,
        "accounting_sync": 3,
        "accounting_cloud": 7,
        "accounting_public_ip": 3,
        "accounting_message": 4,
    }


def test_a_missing_path_is_an_error(database: str, tmp_path: Path) -> None:
    result = run("load", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: no such file or directory"


def test_publishers_add_list_and_remove(database: str) -> None:
    engine = make_engine(database)
    with Session(engine) as session:
        build_federation(session)
        session.commit()
    engine.dispose()
    subject = "apel-publisher@clients.fedcore.test"
    added = run("publishers", "add", "TEST-SITE", subject)
    assert added.exit_code == 0, added.stderr
    assert added.stdout == f"{subject} publishes for site TEST-SITE\n"
    again = run("publishers", "add", "TEST-SITE", subject)
    assert (again.exit_code, again.stderr) == (
        2,
        f"error: subject: {subject} already publishes for site TEST-SITE\n",
    )
    assert run("publishers", "add", "OTHER-SITE", "dn=/CN=host b").exit_code == 0
    listed = run("publishers", "list")
    assert listed.exit_code == 0, listed.stderr
    lines = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [line[:3] for line in lines] == [
        ["OTHER-SITE", "dn=/CN=host b", ADMIN],
        ["TEST-SITE", subject, ADMIN],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line[3]) for line in lines)
    assert run("publishers", "list", "--site", "TEST-SITE").stdout.count("\n") == 1
    removed = run("publishers", "remove", "TEST-SITE", subject)
    assert (removed.exit_code, removed.stdout) == (
        0,
        f"{subject} no longer publishes for site TEST-SITE\n",
    )
    missing = run("publishers", "remove", "TEST-SITE", subject)
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"error: subject: {subject} does not publish for site TEST-SITE\n",
    )
    unknown = run("publishers", "add", "NOT-A-SITE", subject)
    assert unknown.exit_code == 2
    assert run("publishers", "list").stdout.splitlines() == [
        "\t".join(lines[0]),
    ]
