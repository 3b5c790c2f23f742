"""cASO 5.2.2 (PyPI, the cloud accounting producer of EGI's OpenStack sites) writes its messages
with its own record classes and its SSM messenger into a dirq queue (``clients/caso_producer.py``,
in cASO's own environment); fedcore's parser reads every message of that queue, unchanged, into
the records cASO meant: kinds, counts, VO fields from the FQAN, measurement months, values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import CLOUD, PUBLIC_IP, ParsedMessage, RecordKind
from tests.support.ams_client import RunClient
from tests.support.dirq import caso_messages

pytestmark = pytest.mark.interop

SITE = "CASO-CLOUD-01"
SERVICE = "https://keystone.caso-cloud.example.org:5000/v3"
ALICE = "https://aai.egi.eu/auth/realms/egi#alice@egi.eu"
BOB = "https://aai.egi.eu/auth/realms/egi#bob@egi.eu"
VOMS_FQAN = "/vo.example.org/Role=NULL/Capability=NULL"
VM_1, VM_2, VM_3 = (f"c1000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))


@pytest.fixture(scope="module")
def caso_queue(tmp_path_factory: pytest.TempPathFactory, run_client: RunClient) -> Path:
    """The dirq directory cASO's SSM messenger wrote."""
    directory = tmp_path_factory.mktemp("caso") / "outgoing" / "openstack"
    run_client("caso", "caso_producer.py", OUTPUT_PATH=str(directory))
    return directory


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
