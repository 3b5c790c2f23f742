"""cASO 5.2.2 (PyPI, the cloud accounting producer of EGI's OpenStack sites) writes its messages
with its own record classes and its SSM messenger into a dirq queue (``clients/caso_producer.py``,
in cASO's own environment); fedcore's parser reads every message of that queue, unchanged, into
the records cASO meant: kinds, counts, VO fields from the FQAN, measurement months, values; and
``fedcore accounting load`` stores the whole queue directory."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.accounting.enums import MessageStatus
from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import CLOUD, PUBLIC_IP, ParsedMessage, RecordKind
from fedcore.accounting.models import RECORD_TABLES, Message
from fedcore.core.db import make_engine
from tests.support.ams_client import RunClient
from tests.support.dirq import caso_messages, produce_caso_queue

pytestmark = pytest.mark.interop

SITE = "CASO-CLOUD-01"
SERVICE = "https://keystone.caso-cloud.example.org:5000/v3"
ALICE = "https://aai.egi.eu/auth/realms/egi#alice@egi.eu"
BOB = "https://aai.egi.eu/auth/realms/egi#bob@egi.eu"
VOMS_FQAN = "/vo.example.org/Role=NULL/Capability=NULL"
OPERATOR = "operator@fedcore.test"
VM_1, VM_2, VM_3 = (f"c1000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))


@pytest.fixture(scope="module")
def caso_queue(tmp_path_factory: pytest.TempPathFactory, run_client: RunClient) -> Path:
    """The dirq directory cASO's SSM messenger wrote."""
    return produce_caso_queue(
        run_client, tmp_path_factory.mktemp("caso") / "outgoing" / "openstack"
    )


@pytest.fixture(scope="module")
def messages(caso_queue: Path) -> list[ParsedMessage]:
    return [parse_message(path.read_text(encoding="utf-8")) for path in caso_messages(caso_queue)]


def column(records: list[dict[str, Any]], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(record[name] for name in names) for record in records]


def test_the_queue_holds_one_message_per_record_kind(messages: list[ParsedMessage]) -> None:
    assert [(m.kind, len(m.records)) for m in messages] == [
        (RecordKind.CLOUD, 5),
        (RecordKind.PUBLIC_IP, 4),
        (RecordKind.ACCELERATOR, 1),
        (RecordKind.STORAGE, 2),
    ]
    assert messages[0].header == "APEL-cloud-message: v0.4"
    every = [record for message in messages for record in message.records]
    assert {r.get("site_name", r.get("site")) for r in every} == {SITE}


def test_cloud_records_carry_vo_and_measurement_month(messages: list[ParsedMessage]) -> None:
    cloud = messages[0].records
    assert column(cloud, "vm_uuid", "status", "measurement_year", "measurement_month") == [
        (VM_1, "started", 2026, 9),
        (VM_1, "started", 2026, 10),
        (VM_1, "completed", 2026, 10),
        (VM_2, "started", 2026, 10),
        (VM_3, "error", 2026, 9),
    ]
    assert column(cloud, "global_user_name", "fqan", "vo", "vo_group", "vo_role") == [
        *[(ALICE, VOMS_FQAN, "vo.example.org", "/vo.example.org", "Role=NULL")] * 3,
        (BOB, "biomed", "biomed", "None", "None"),
        ("None", "None", "None", "None", "None"),
    ]
    # September's snapshot of VM 1 measured at StartTime + WallDuration; the completed one at
    # its EndTime; a running VM's EndTime is cASO's 0.
    assert cloud[0]["measurement_time"] == datetime(2026, 9, 30, 12, tzinfo=UTC)
    assert cloud[0]["end_time"] == datetime(1970, 1, 1, tzinfo=UTC)
    assert (
        cloud[2]["measurement_time"] == cloud[2]["end_time"] == datetime(2026, 10, 20, tzinfo=UTC)
    )
    assert column(cloud, "wall_duration", "cpu_duration", "cpu_count")[2:4] == [
        (30 * 86400, 60 * 86400, 2.0),
        (14 * 86400, 112 * 86400, 8.0),
    ]
    assert (cloud[3]["benchmark_type"], cloud[3]["benchmark"]) == ("HEPSCORE23", 11.5)
    assert (cloud[3]["public_ip_count"], cloud[3]["cloud_type"]) == (2, "caso/5.2.2 (OpenStack)")
    # The two October snapshots of VM 1 share a key: the last one loaded is kept.
    assert len({CLOUD.key_of(record) for record in cloud}) == 4


def test_public_ip_records_by_version_and_month(messages: list[ParsedMessage]) -> None:
    ips = messages[1].records
    assert column(ips, "global_user_name", "vo", "ip_version", "ip_count", "measurement_month") == [
        (ALICE, "vo.example.org", 4, 1, 9),
        (ALICE, "vo.example.org", 4, 2, 10),
        (BOB, "biomed", 4, 1, 10),
        (BOB, "biomed", 6, 1, 10),
    ]
    assert ips[0]["measurement_time"] == datetime(2026, 9, 30, 12, tzinfo=UTC)
    assert {r["cloud_compute_service"] for r in ips} == {SERVICE}
    assert len({PUBLIC_IP.key_of(record) for record in ips}) == 4


def test_the_gpu_record_of_the_gpu_vm(messages: list[ParsedMessage]) -> None:
    (gpu,) = messages[2].records
    assert gpu == gpu | {
        "associated_record_type": "cloud",
        "associated_record": VM_2,
        "measurement_month": 10,
        "measurement_year": 2026,
        "global_user_name": BOB,
        "vo": "biomed",
        "type": "GPU",
        "model": "NVIDIA A100-PCIE-40GB",
        "count": 1.0,
        "cores": 6912,
        "available_duration": 14 * 86400,
        "active_duration": 10 * 86400,
    }


def test_volume_snapshots_as_star_records(messages: list[ParsedMessage]) -> None:
    volumes = messages[3].records
    assert column(
        volumes, "record_id", "user_identity", "group_name", "resource_capacity_used"
    ) == [
        ("5a000000-0000-4000-8000-000000000001", ALICE, VOMS_FQAN, 50 * 2**30),
        ("5a000000-0000-4000-8000-000000000002", BOB, "biomed", 200 * 2**30),
    ]
    assert {(r["storage_system"], r["site"]) for r in volumes} == {(SERVICE, SITE)}
    measured = datetime(2026, 10, 15, 12, tzinfo=UTC)
    assert (
        column(volumes, "start_time", "end_time", "create_time")
        == [(datetime(2026, 10, 1, tzinfo=UTC), measured, measured)] * 2
    )


def fedcore(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``fedcore ARGS`` as an operator runs it, on the SQLite database of DATA_DIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDCORE_")}
    env |= {"FEDCORE_DATA_DIR": str(data_dir), "FEDCORE_ADMIN_SUBJECT": OPERATOR}
    return subprocess.run(
        [sys.executable, "-m", "fedcore", *args],
        cwd=data_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_loads_the_queue_directory(caso_queue: Path, tmp_path: Path) -> None:
    """One line per message file, in queue order; the rows as cASO meant them (VM 1's two
    October snapshots share a key: 4 cloud rows of 5 records), loaded as the operator."""
    assert fedcore(tmp_path, "db", "upgrade").returncode == 0
    loaded = fedcore(tmp_path, "accounting", "load", str(caso_queue))
    assert (loaded.returncode, loaded.stderr) == (0, "")
    files = caso_messages(caso_queue)
    assert loaded.stdout.splitlines() == [
        f"{files[0]}: 5 cloud records, 4 rows written",
        f"{files[1]}: 4 public ip records, 4 rows written",
        f"{files[2]}: 1 accelerator records, 1 rows written",
        f"{files[3]}: 2 storage records, 2 rows written",
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'fedcore.sqlite'}")
    try:
        with Session(engine) as session:
            stored = {
                kind: session.scalars(select(model.__table__.c.publisher)).all()
                for kind, model in RECORD_TABLES.items()
            }
            statuses = session.scalars(select(Message.status)).all()
    finally:
        engine.dispose()
    assert {kind: len(rows) for kind, rows in stored.items() if rows} == {
        RecordKind.CLOUD: 4,
        RecordKind.PUBLIC_IP: 4,
        RecordKind.ACCELERATOR: 1,
        RecordKind.STORAGE: 2,
    }
    assert {publisher for rows in stored.values() for publisher in rows} == {OPERATOR}
    assert statuses == [MessageStatus.ACCEPTED] * 4
