"""StAR XML (reference §1.10) and JSON accelerator / public IP messages (§1.11, §1.12):
the cASO samples parse to their records, and every defect is refused with APEL's text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from fedcore.accounting.formats.json_records import parse_json
from fedcore.accounting.formats.records import (
    ACCELERATOR,
    PUBLIC_IP,
    STORAGE,
    RecordError,
    RecordKind,
)
from fedcore.accounting.formats.star import NAMESPACE, parse_star

NS = "{" + NAMESPACE + "}"
THIS_YEAR = datetime.now(UTC).year


def sample(shared_dir: Path, name: str) -> str:
    return (shared_dir / "samples/accounting" / name).read_text()


def xml(text: str) -> ElementTree.Element:
    """The root element, parsed as the dispatcher parses a message (only fixed texts here)."""
    return ElementTree.fromstring(text)  # noqa: S314


def star(shared_dir: Path) -> ElementTree.Element:
    return xml(sample(shared_dir, "storage_star_caso.xml"))


def message(shared_dir: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(shared_dir, name))
    return loaded


def test_star_sample_gives_three_volume_snapshots(shared_dir: Path) -> None:
    parsed = parse_star(star(shared_dir))

    assert parsed.kind is RecordKind.STORAGE
    assert parsed.header == NAMESPACE
    assert parsed.group_attributes == []
    assert [tuple(record) for record in parsed.records] == [STORAGE.columns] * 3
    assert [r["resource_capacity_used"] for r in parsed.records] == [
        40 * 2**30,
        500 * 2**30,
        2**40,
    ]
    first = parsed.records[0]
    assert first["record_id"] == "77777777-0000-4000-8000-000000000001"
    assert first["create_time"] == datetime(2026, 10, 15, 12, tzinfo=UTC)
    assert first["start_time"] == datetime(2026, 10, 1, tzinfo=UTC)
    assert first["storage_system"] == "https://keystone.example-cloud.org:5000/v3"
    assert first["site"] == "EXAMPLE-CLOUD-01"
    assert first["local_user"] == "u-alice"
    assert first["group_name"] == "/vo.example.org/Role=NULL/Capability=NULL"
    assert (first["storage_share"], first["sub_group"], first["role"]) == ("None",) * 3
    assert (first["file_count"], first["logical_capacity_used"]) == (None, None)


def test_star_single_record_with_any_prefix_offsets_and_group_attributes() -> None:
    root = xml(
        f"""<x:StorageUsageRecord xmlns:x="{NAMESPACE}">
          <x:RecordIdentity x:recordId="r-1" x:createTime="2026-10-15T14:30:00+02:00"/>
          <x:StorageSystem>dcache.example.org</x:StorageSystem>
          <x:FileCount>42</x:FileCount>
          <x:SubjectIdentity>
            <x:Group>atlas</x:Group>
            <x:GroupAttribute x:attributeType="subgroup">higgs</x:GroupAttribute>
            <x:GroupAttribute x:attributeType="role">production</x:GroupAttribute>
            <x:GroupAttribute x:attributeType="authority">/C=CH/O=CERN</x:GroupAttribute>
          </x:SubjectIdentity>
          <x:StartTime>2026-10-01T00:00:00</x:StartTime>
          <x:EndTime>2026-10-15T12:00:00Z</x:EndTime>
          <x:ResourceCapacityUsed>1024</x:ResourceCapacityUsed>
        </x:StorageUsageRecord>"""
    )

    parsed = parse_star(root)

    (record,) = parsed.records
    assert record["create_time"] == datetime(2026, 10, 15, 12, 30, tzinfo=UTC)
    assert record["start_time"] == datetime(2026, 10, 1, tzinfo=UTC)
    assert record["end_time"] == datetime(2026, 10, 15, 12, tzinfo=UTC)
    assert (record["file_count"], record["resource_capacity_used"]) == (42, 1024)
    assert (record["group_name"], record["sub_group"], record["role"]) == (
        "atlas",
        "higgs",
        "production",
    )
    assert parsed.group_attributes == [
        {"record_id": "r-1", "attribute_type": "authority", "value": "/C=CH/O=CERN"}
    ]


def test_accelerator_sample_gives_three_gpu_records(shared_dir: Path) -> None:
    parsed = parse_json(sample(shared_dir, "accelerator_v01_caso.json"))

    assert parsed.kind is RecordKind.ACCELERATOR
    assert parsed.header == "APEL-accelerator-message"
    assert [tuple(record) for record in parsed.records] == [ACCELERATOR.columns] * 3
    a100, v100_september, v100_october = parsed.records
    assert a100["model"] == "NVIDIA A100-SXM4-40GB"
    assert (a100["count"], a100["cores"]) == (2.0, 13824)
    assert isinstance(a100["count"], float)
    assert (a100["vo"], a100["vo_group"], a100["vo_role"]) == (
        "vo.example.org",
        "/vo.example.org",
        "Role=NULL",
    )
    assert (a100["benchmark_type"], a100["benchmark"]) == ("None", None)
    assert v100_september["cores"] is None
    assert (v100_september["measurement_month"], v100_september["measurement_year"]) == (9, 2026)
    assert (v100_october["available_duration"], v100_october["active_duration"]) == (
        864000,
        691200,
    )
    assert v100_october["associated_record"] == "22222222-bbbb-4bbb-8bbb-000000000002"


def test_ip_sample_gives_four_snapshots_without_caso_uuid(shared_dir: Path) -> None:
    parsed = parse_json(sample(shared_dir, "ip_v02_caso.json"))

    assert parsed.kind is RecordKind.PUBLIC_IP
    assert parsed.header == "APEL Public IP message"
    assert [tuple(record) for record in parsed.records] == [PUBLIC_IP.columns] * 4
    assert [(r["local_user"], r["ip_version"], r["ip_count"]) for r in parsed.records] == [
        ("u-alice", 4, 2),
        ("u-bob", 4, 3),
        ("u-bob", 6, 5),
        ("u-alice", 4, 1),
    ]
    last = parsed.records[3]
    assert last["measurement_time"] == datetime(2026, 10, 20, 12, tzinfo=UTC)
    assert (last["measurement_month"], last["measurement_year"]) == (10, 2026)
    assert last["cloud_compute_service"] == "https://keystone.example-cloud.org:5000/v3"
    assert last["vo"] == "vo.example.org"


@pytest.mark.parametrize("version", ["0.2", "v0.2"])
@pytest.mark.parametrize("with_uuid", [True, False])
def test_ip_accepts_both_version_spellings_with_or_without_uuid(
    shared_dir: Path, version: str, with_uuid: bool
) -> None:
    body = message(shared_dir, "ip_v02_caso.json")
    body["Version"] = version
    for record in body["UsageRecords"]:
        if not with_uuid:
            del record["uuid"]
    body["UsageRecords"][0]["CloudComputeService"] = None

    parsed = parse_json(json.dumps(body))

    assert len(parsed.records) == 4
    assert parsed.records[0]["cloud_compute_service"] == "None"


def test_accelerator_measurement_year_may_be_the_current_year(shared_dir: Path) -> None:
    body = message(shared_dir, "accelerator_v01_caso.json")
    body["UsageRecords"][0]["MeasurementYear"] = THIS_YEAR

    assert parse_json(json.dumps(body)).records[0]["measurement_year"] == THIS_YEAR


def drop(record: int, name: str) -> Callable[[ElementTree.Element], None]:
    def mutate(root: ElementTree.Element) -> None:
        element = root[record - 1]
        child = element.find(NS + name)
        assert child is not None
        element.remove(child)

    return mutate


def set_text(record: int, name: str, text: str) -> Callable[[ElementTree.Element], None]:
    def mutate(root: ElementTree.Element) -> None:
        child = root[record - 1].find(NS + name)
        assert child is not None
        child.text = text

    return mutate


def drop_record_id(root: ElementTree.Element) -> None:
    identity = root[1].find(NS + "RecordIdentity")
    assert identity is not None
    del identity.attrib[NS + "recordId"]


def drop_all_records(root: ElementTree.Element) -> None:
    for element in list(root):
        root.remove(element)


@pytest.mark.parametrize(
    ("mutate", "text", "index", "field"),
    [
        (drop_all_records, "File does not contain StAR records!", None, None),
        (
            drop(2, "StorageSystem"),
            "Mandatory field StorageSystem not specified.",
            2,
            "StorageSystem",
        ),
        (drop_record_id, "NULL in mandatory field: RecordId", 2, "RecordId"),
        (
            set_text(3, "ResourceCapacityUsed", ""),
            "NULL in mandatory field: ResourceCapacityUsed",
            3,
            "ResourceCapacityUsed",
        ),
        (
            set_text(1, "StartTime", "yesterday"),
            "Message header is incorrect: Unable to parse date string 'yesterday'",
            1,
            "StartTime",
        ),
        (
            set_text(3, "ResourceCapacityUsed", "40GB"),
            "Invalid int value 40GB in field ResourceCapacityUsed",
            3,
            "ResourceCapacityUsed",
        ),
    ],
    ids=[
        "no-records",
        "missing-mandatory",
        "no-record-id",
        "null-mandatory",
        "bad-time",
        "bad-int",
    ],
)
def test_star_defects_are_refused_with_apel_texts(
    shared_dir: Path,
    mutate: Callable[[ElementTree.Element], None],
    text: str,
    index: int | None,
    field: str | None,
) -> None:
    root = star(shared_dir)
    mutate(root)

    with pytest.raises(RecordError) as refused:
        parse_star(root)

    assert (refused.value.text, refused.value.index, refused.value.field) == (text, index, field)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('{"Type": ', "Malformed JSON: Expecting value: line 1 column 10 (char 9)"),
        ('{"Version": "0.1", "UsageRecords": []}', "Type of JSON message not provided."),
        (
            '{"Type": "APEL-accelerator-summary-message", "Version": "0.1", "UsageRecords": []}',
            "Unsupported JSON message type: APEL-accelerator-summary-message",
        ),
    ],
    ids=["malformed", "no-type", "unsupported-type"],
)
def test_json_envelope_defects_are_refused_with_apel_texts(body: str, text: str) -> None:
    with pytest.raises(RecordError) as refused:
        parse_json(body)

    assert (refused.value.text, refused.value.index) == (text, None)


def setting(record: int, name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        body["UsageRecords"][record - 1][name] = value

    return mutate


def removing(record: int, name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        del body["UsageRecords"][record - 1][name]

    return mutate


def version(value: str) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        body["Version"] = value

    return mutate


ACCELERATOR_SCHEMA = "JSON message invalid against APEL-accelerator-message schema: "
IP_SCHEMA = "JSON message invalid against APEL Public IP message schema: "


@pytest.mark.parametrize(
    ("name", "mutate", "text", "index", "field"),
    [
        (
            "ip_v02_caso.json",
            version("0.3"),
            IP_SCHEMA + "'0.3' is not one of ['v0.2', '0.2']",
            None,
            None,
        ),
        (
            "accelerator_v01_caso.json",
            removing(2, "SiteName"),
            ACCELERATOR_SCHEMA + "'SiteName' is a required property",
            None,
            None,
        ),
        (
            "accelerator_v01_caso.json",
            setting(1, "MeasurementYear", THIS_YEAR + 1),
            ACCELERATOR_SCHEMA + f"{THIS_YEAR + 1} is greater than the maximum of {THIS_YEAR}",
            None,
            None,
        ),
        (
            "ip_v02_caso.json",
            setting(3, "IPCount", "5"),
            IP_SCHEMA + "'5' is not of type 'integer'",
            None,
            None,
        ),
        (
            "accelerator_v01_caso.json",
            setting(2, "Colour", "green"),
            "Unknown field: Colour",
            2,
            "Colour",
        ),
        (
            "accelerator_v01_caso.json",
            removing(3, "Model"),
            "NULL in mandatory field: Model",
            3,
            "Model",
        ),
        (
            "ip_v02_caso.json",
            setting(4, "FQAN", "None"),
            "NULL in mandatory field: FQAN",
            4,
            "FQAN",
        ),
        (
            "ip_v02_caso.json",
            setting(1, "MeasurementTime", 10**15),
            "year 31690708 is out of range",
            1,
            "MeasurementTime",
        ),
    ],
    ids=[
        "ip-version",
        "required",
        "future-year",
        "ip-count-type",
        "unknown-field",
        "no-model",
        "null-fqan",
        "epoch-range",
    ],
)
def test_json_record_defects_are_refused_with_apel_texts(
    shared_dir: Path,
    name: str,
    mutate: Callable[[dict[str, Any]], None],
    text: str,
    index: int | None,
    field: str | None,
) -> None:
    body = message(shared_dir, name)
    mutate(body)

    with pytest.raises(RecordError) as refused:
        parse_json(json.dumps(body))

    assert (refused.value.text, refused.value.index, refused.value.field) == (text, index, field)
