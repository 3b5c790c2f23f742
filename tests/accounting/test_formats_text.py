"""APEL's key/value messages and CAR XML (reference §1.2 to §1.9, §1.13): the samples parse to
their records, and every defect is refused with APEL's text and the record's position."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.fields import LINE_WITHOUT_PAIR
from fedcore.accounting.formats.records import FAMILIES, RecordError, RecordKind

JOB_V03 = "job_v03_individual.txt"
JOB_V04 = "job_v04_individual.txt"
SUMMARY = "summary_v02.txt"
NORMALISED = "normalised_summary_v03.txt"
SYNC = "sync_v01.txt"
CLOUD = "cloud_v04_caso.txt"


def sample(shared_dir: Path, name: str) -> str:
    return (shared_dir / "samples/accounting" / name).read_text()


def mutated(text: str, record: int, key: str, line: str | None) -> str:
    """``text`` with the ``key`` line of record ``record`` (1-based) replaced by ``line``.

    ``line`` None deletes it; a key the record lacks gets ``line`` appended; record 0 is the
    header line.
    """
    header, _, body = text.partition("\n")
    if record == 0:
        assert line is not None
        return line + "\n" + body
    chunks = body.split("%%")
    lines = chunks[record - 1].split("\n")
    found = [i for i, old in enumerate(lines) if old.partition(":")[0] == key]
    if found:
        lines[found[0] : found[0] + 1] = [] if line is None else [line]
    else:
        assert line is not None
        lines.insert(len(lines) - 1, line)
    chunks[record - 1] = "\n".join(lines)
    return header + "\n" + "%%".join(chunks)


def normalised_v04(shared_dir: Path) -> str:
    text = sample(shared_dir, NORMALISED).replace(
        "APEL-summary-job-message: v0.3", "APEL-normalised-summary-message: v0.4"
    )
    return re.sub(r"(Normalised\w+Duration): (\d+)", r"\1: {HEPSPEC: \2}", text)


def summary_v04(shared_dir: Path) -> str:
    text = sample(shared_dir, SUMMARY).replace("v0.2", "v0.4")
    text = re.sub(
        r"ServiceLevelType: (\w+)\nServiceLevel: ([\d.]+)", r"ServiceLevel: {\1: \2}", text
    )
    return text


@pytest.mark.parametrize(
    ("name", "kind", "count"),
    [
        (JOB_V03, RecordKind.JOB, 21),
        (JOB_V04, RecordKind.JOB, 3),
        (SUMMARY, RecordKind.SUMMARY, 10),
        (NORMALISED, RecordKind.NORMALISED_SUMMARY, 10),
        (SYNC, RecordKind.SYNC, 3),
        (CLOUD, RecordKind.CLOUD, 10),
    ],
)
def test_samples_parse_into_the_readme_counts(
    shared_dir: Path, name: str, kind: RecordKind, count: int
) -> None:
    message = parse_message(sample(shared_dir, name))
    assert (message.kind, len(message.records)) == (kind, count)
    assert message.header == sample(shared_dir, name).splitlines()[0]
    for record in message.records:
        assert tuple(record) == FAMILIES[kind].columns


@pytest.mark.parametrize(
    ("name", "kind", "count"),
    [
        ("storage_star_caso.xml", RecordKind.STORAGE, 3),
        ("accelerator_v01_caso.json", RecordKind.ACCELERATOR, 3),
        ("ip_v02_caso.json", RecordKind.PUBLIC_IP, 4),
    ],
)
def test_xml_and_json_messages_reach_their_parsers(
    shared_dir: Path, name: str, kind: RecordKind, count: int
) -> None:
    message = parse_message("\n  " + sample(shared_dir, name))
    assert (message.kind, len(message.records)) == (kind, count)


def test_job_fields_fqan_and_service_levels(shared_dir: Path) -> None:
    records = parse_message(sample(shared_dir, JOB_V03)).records
    first = records[0]
    assert (first["vo"], first["vo_group"], first["vo_role"]) == (
        "atlas",
        "/atlas",
        "Role=production",
    )
    assert first["start_time"] == datetime(2026, 10, 1, 5, 0, tzinfo=UTC)
    assert (first["wall_duration"], first["memory_real"], first["service_level"]) == (
        11686,
        4810104,
        12.0,
    )
    assert (first["end_year"], first["end_month"]) == (2026, 10)
    assert sorted({record["end_month"] for record in records}) == [9, 10]
    assert {record["service_level_type"] for record in records} == {"HEPscore23", "HEPSPEC"}
    assert {record["vo"] for record in records} == {"atlas", "cms", "biomed", "None"}
    local = next(record for record in records if record["infrastructure_type"] == "local")
    assert (local["fqan"], local["vo"], local["global_user_name"], local["memory_real"]) == (
        "None",
        "None",
        "None",
        None,
    )


def test_a_job_without_fqan_keeps_the_vo_fields_it_sent(shared_dir: Path) -> None:
    text = mutated(sample(shared_dir, JOB_V03), 2, "FQAN", None)
    text = mutated(text, 2, "VO", "VO: biomed")
    text = mutated(text, 2, "VORole", "VORole: null")
    record = parse_message(text).records[1]
    assert (record["fqan"], record["vo"], record["vo_group"], record["vo_role"]) == (
        "None",
        "biomed",
        "/atlas",
        "None",
    )


def test_fqan_overrides_sent_vo_fields(shared_dir: Path) -> None:
    text = mutated(sample(shared_dir, JOB_V03), 1, "FQAN", "FQAN: /cms/higgs/Role=pilot;/cms")
    record = parse_message(text).records[0]
    assert (record["vo"], record["vo_group"], record["vo_role"]) == (
        "cms",
        "/cms/higgs",
        "Role=pilot",
    )


def test_defaults_of_a_job_without_optional_fields(shared_dir: Path) -> None:
    text = sample(shared_dir, JOB_V03)
    for key in ("Processors", "NodeCount", "ServiceLevelType", "ServiceLevel", "MemoryReal"):
        text = mutated(text, 1, key, None)
    text = mutated(text, 1, "Queue", "Queue: NULL")
    text = mutated(text, 1, "UpdateTime", "UpdateTime: 2026-10-02 10:00:00")
    text = mutated(text, 1, "StartTime", "StartTime: 2026-10-01T05:00:00Z")
    record = parse_message(text).records[0]
    assert (record["processors"], record["node_count"], record["memory_real"]) == (0, 0, None)
    assert (record["service_level_type"], record["service_level"], record["queue"]) == (
        "custom",
        1.0,
        "None",
    )
    assert record["start_time"] == datetime(2026, 10, 1, 5, 0, tzinfo=UTC)


def test_v04_benchmark_dictionaries(shared_dir: Path) -> None:
    """The benchmark type is stored in one spelling whatever case the message used (APEL's
    MySQL compares it without case), so v0.3 and v0.4 records of one job share a group."""
    jobs = parse_message(sample(shared_dir, JOB_V04)).records
    assert [(job["service_level_type"], job["service_level"]) for job in jobs] == [
        ("HEPscore23", 12.0),
        ("HEPSPEC", 10.5),
        ("HEPSPEC", 10.5),
    ]
    v03 = parse_message(sample(shared_dir, JOB_V03)).records[:3]
    assert [job["service_level_type"] for job in v03] == [j["service_level_type"] for j in jobs]
    lower = mutated(
        sample(shared_dir, JOB_V03), 1, "ServiceLevelType", "ServiceLevelType: hepscore23"
    )
    assert parse_message(lower).records[0]["service_level_type"] == "HEPscore23"
    text = mutated(
        sample(shared_dir, JOB_V04), 1, "ServiceLevel", "ServiceLevel: {si2k: 2500, HEPSPEC: 10}"
    )
    text = mutated(text, 2, "ServiceLevel", "ServiceLevel: {si2k: 2500, HEPscore23: 11, x: 1}")
    jobs = parse_message(text).records
    assert [(job["service_level_type"], job["service_level"]) for job in jobs[:2]] == [
        ("HEPSPEC", 10.0),
        ("HEPscore23", 11.0),
    ]
    summaries = parse_message(summary_v04(shared_dir)).records
    assert len(summaries) == 10
    assert {summary["service_level_type"] for summary in summaries} == {"HEPSPEC", "HEPscore23"}
    normalised = parse_message(normalised_v04(shared_dir))
    assert normalised.kind == RecordKind.NORMALISED_SUMMARY
    assert normalised.records[0]["normalised_wall_duration"] == 824134
    assert {record["service_level_type"] for record in normalised.records} == {"HEPSPEC"}


def test_summaries_and_sync(shared_dir: Path) -> None:
    summary = parse_message(sample(shared_dir, SUMMARY)).records[0]
    assert (summary["site"], summary["month"], summary["service_level_type"]) == (
        "SITE-BETA",
        10,
        "HEPSPEC",
    )
    normalised = parse_message(sample(shared_dir, NORMALISED)).records[0]
    assert (normalised["infrastructure"], normalised["service_level_type"]) == ("grid", "None")
    sync = parse_message(sample(shared_dir, SYNC)).records
    assert [(row["month"], row["number_of_jobs"]) for row in sync] == [(10, 11), (9, 1), (10, 9)]


def test_cloud_measurement_months_and_defaults(shared_dir: Path) -> None:
    records = parse_message(sample(shared_dir, CLOUD)).records
    months = [(row["vm_uuid"][:8], row["status"], row["measurement_month"]) for row in records]
    assert months == [
        ("11111111", "started", 10),
        ("11111111", "started", 10),
        ("11111111", "completed", 10),
        ("22222222", "started", 9),
        ("22222222", "started", 10),
        ("33333333", "completed", 10),
        ("44444444", "started", 10),
        ("44444444", "started", 10),
        ("55555555", "suspended", 10),
        ("66666666", "error", 10),
    ]
    vm_b = records[3]
    assert vm_b["measurement_time"] == datetime(2026, 9, 30, tzinfo=UTC)
    assert records[2]["measurement_time"] == records[2]["end_time"]
    assert records[0]["end_time"] == datetime(1970, 1, 1, tzinfo=UTC)
    first = records[0]
    assert (first["vo"], first["vo_group"], first["vo_role"]) == (
        "vo.example.org",
        "/vo.example.org",
        "Role=NULL",
    )
    text = mutated(sample(shared_dir, CLOUD), 1, "Benchmark", None)
    text = mutated(text, 1, "CpuCount", None)
    text = mutated(text, 1, "FQAN", None)
    text = mutated(text, 1, "MeasurementMonth", "MeasurementMonth: 3")
    changed = parse_message(text).records[0]
    assert (changed["benchmark"], changed["cpu_count"], changed["vo"]) == (0.0, 0.0, "None")
    assert changed["measurement_month"] == 10


def test_a_trailing_separator_and_blank_records_are_optional(shared_dir: Path) -> None:
    text = sample(shared_dir, SYNC).rstrip().removesuffix("%%") + "\n%%\n \n%%"
    assert len(parse_message(text).records) == 3


DEFECTS: list[tuple[str, str, int, str, str | None, str, str | None]] = [
    # (case, sample, record, key, new line or None to delete, APEL's text, field)
    ("missing mandatory", JOB_V03, 2, "LocalJobId", None, "Mandatory field LocalJobId not specified.", "LocalJobId"),
    ("null mandatory", JOB_V03, 2, "Site", "Site: null", "NULL in mandatory field: Site", "Site"),
    ("unknown field", JOB_V03, 3, "Colour", "Colour: blue", "Unknown field: Colour", "Colour"),
    ("line without colon", JOB_V03, 2, "garbage", "garbage", LINE_WITHOUT_PAIR, None),
    ("float in int field", JOB_V03, 2, "WallDuration", "WallDuration: 12.5", "Invalid int value 12.5 in field WallDuration", "WallDuration"),
    ("unit in int field", JOB_V03, 2, "CpuDuration", "CpuDuration: 12h", "Invalid int value 12h in field CpuDuration", "CpuDuration"),
    ("bad float", JOB_V03, 2, "ServiceLevel", "ServiceLevel: ten", "Invalid float value ten in field ServiceLevel", "ServiceLevel"),
    ("bad datetime", JOB_V03, 2, "StartTime", "StartTime: yesterday", "Unknown datetime format!: yesterday", "StartTime"),
    ("epoch out of range", JOB_V03, 2, "EndTime", "EndTime: 1000000000000", "year 33658 is out of range", "EndTime"),
    ("end before start", JOB_V03, 2, "EndTime", "EndTime: 1790927999", "EndTime is before StartTime.", "EndTime"),
    ("future end", JOB_V03, 2, "EndTime", "EndTime: 4102444800", "Epoch time 2100-01-01 00:00:00 is in the future.", "EndTime"),
    ("unit without value", JOB_V03, 2, "ServiceLevel", None, "Unit but not value supplied for ScalingFactor.", "ServiceLevel"),
    ("value without unit", JOB_V03, 2, "ServiceLevelType", None, "Unit but not value supplied for ScalingFactor.", "ServiceLevelType"),
    ("bad unit", JOB_V03, 2, "ServiceLevelType", "ServiceLevelType: bogomips", "ScalingFactorUnit bogomips not valid.", "ServiceLevelType"),
    ("no valid benchmark", JOB_V04, 2, "ServiceLevel", "ServiceLevel: {bogomips: 3}", "No valid benchmark type found", "ServiceLevel"),
    ("plain number in v0.4", JOB_V04, 2, "ServiceLevel", "ServiceLevel: 10.5", "Expecting dictionary-like value. not enough values to unpack (expected 2, got 1)", "ServiceLevel"),
    ("duplicate benchmark", JOB_V04, 2, "ServiceLevel", "ServiceLevel: {HEPSPEC: 10.5, HEPSPEC: 11}", "Expecting dictionary-like value. Duplicate keys found in {HEPSPEC: 10.5, HEPSPEC: 11}", "ServiceLevel"),
    ("benchmark not a number", JOB_V04, 2, "ServiceLevel", "ServiceLevel: {HEPSPEC: ten}", "Expecting dictionary-like value. could not convert string to float: 'ten'", "ServiceLevel"),
    ("benchmark with two colons", JOB_V04, 2, "ServiceLevel", "ServiceLevel: {HEPSPEC: 1: 2}", "Expecting dictionary-like value. too many values to unpack (expected 2)", "ServiceLevel"),
    ("v0.4 job without benchmark", JOB_V04, 2, "ServiceLevel", None, "NULL in mandatory field: ServiceLevelType", "ServiceLevelType"),
    ("month out of range", SUMMARY, 2, "Month", "Month: 13", "Invalid values for month and/or year.", "Month"),
    ("earliest outside month", SUMMARY, 2, "EarliestEndTime", "EarliestEndTime: 1790000000", "EarliestEndTime is not within stated month.", "EarliestEndTime"),
    ("latest outside month", SUMMARY, 2, "LatestEndTime", "LatestEndTime: 1795000000", "LatestEndTime is not within stated month.", "LatestEndTime"),
    ("latest before earliest", SUMMARY, 1, "LatestEndTime", "LatestEndTime: 1791200000", "LatestEndTime is earlier than EarliestEndTime.", "LatestEndTime"),
    ("negative wall", SUMMARY, 2, "WallDuration", "WallDuration: -1", "Negative WallDuration", "WallDuration"),
    ("negative cpu (APEL's text)", SUMMARY, 2, "CpuDuration", "CpuDuration: -1", "Negative WallDuration", "CpuDuration"),
    ("summary without node count", SUMMARY, 2, "NodeCount", None, "NULL in mandatory field: NodeCount", "NodeCount"),
    ("summary without level type", SUMMARY, 2, "ServiceLevelType", "ServiceLevelType: none", "NULL in mandatory field: ServiceLevelType", "ServiceLevelType"),
    ("negative normalised", NORMALISED, 3, "NormalisedCpuDuration", "NormalisedCpuDuration: -5", "Negative NormalisedCpuDuration", "NormalisedCpuDuration"),
    ("unexpected field", NORMALISED, 2, "ServiceLevelType", "ServiceLevelType: HEPSPEC", "Unexpected field ServiceLevelType in message.", "ServiceLevelType"),
    ("null cloud key", CLOUD, 4, "VMUUID", "VMUUID: None", "NULL in mandatory field: VMUUID", "VMUUID"),
    ("bad cloud float", CLOUD, 4, "CpuCount", "CpuCount: two", "Invalid float value two in field CpuCount", "CpuCount"),
    ("sync without site", SYNC, 3, "Site", None, "Mandatory field Site not specified.", "Site"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "record", "key", "line", "text", "field"),
    [case[1:] for case in DEFECTS],
    ids=[case[0] for case in DEFECTS],
)
def test_defects_are_refused_with_apels_text(
    shared_dir: Path,
    name: str,
    record: int,
    key: str,
    line: str | None,
    text: str,
    field: str | None,
) -> None:
    with pytest.raises(RecordError) as refused:
        parse_message(mutated(sample(shared_dir, name), record, key, line))
    assert (refused.value.text, refused.value.index, refused.value.field) == (text, record, field)


def test_future_month_is_refused(shared_dir: Path) -> None:
    text = mutated(sample(shared_dir, SUMMARY), 2, "EarliestEndTime", None)
    text = mutated(text, 2, "Year", "Year: 2100")
    with pytest.raises(RecordError) as refused:
        parse_message(text)
    assert (refused.value.text, refused.value.index) == (
        "Month specified in record is in the future.",
        2,
    )


@pytest.mark.parametrize(
    ("key", "line", "text"),
    [
        ("NormalisedCpuDuration", "NormalisedCpuDuration: {si2k: 5}", "Mixture of benchmark types detected"),
        ("NormalisedWallDuration", "NormalisedWallDuration: {HEPSPEC: nan}", "Invalid int value nan in field NormalisedWallDuration"),
    ],
)  # fmt: skip
def test_normalised_v04_defects(shared_dir: Path, key: str, line: str, text: str) -> None:
    with pytest.raises(RecordError) as refused:
        parse_message(mutated(normalised_v04(shared_dir), 2, key, line))
    assert (refused.value.text, refused.value.index, refused.value.field) == (text, 2, key)


def test_a_truncated_message_is_refused_at_its_last_record(shared_dir: Path) -> None:
    text = sample(shared_dir, JOB_V03)
    cut = text[: text.index("WallDuration", text.index("LocalJobId: 5000103.0"))]
    with pytest.raises(RecordError) as refused:
        parse_message(cut)
    assert (refused.value.text, refused.value.index) == (
        "Mandatory field WallDuration not specified.",
        4,
    )


@pytest.mark.parametrize(
    ("header", "text"),
    [
        ("APEL-individual-job-message v0.3", "Message header is incorrect: substring not found"),
        ("APEL-summary-job-message: v0.9", "Message type APEL-summary-job-message: v0.9 not recognised."),
        ("APEL-normalised-summary-message: v0.3", "Message type APEL-normalised-summary-message: v0.3 not recognised."),
    ],
)  # fmt: skip
def test_header_defects(shared_dir: Path, header: str, text: str) -> None:
    body = mutated(sample(shared_dir, SYNC), 0, "", header)
    with pytest.raises(RecordError) as refused:
        parse_message(body)
    assert (refused.value.text, refused.value.index) == (text, None)


CAR_NS = "http://eu-emi.eu/namespaces/2012/11/computerecord"
CAR = f"""<?xml version="1.0" encoding="UTF-8"?>
<urf:UsageRecords xmlns:urf="{CAR_NS}">
<urf:UsageRecord>
  <urf:RecordIdentity urf:recordId="ce01 5000100.0 2026-10-01 08:14:46" urf:createTime="2026-10-02T00:00:00"/>
  <urf:JobIdentity><urf:LocalJobId>5000100.0</urf:LocalJobId></urf:JobIdentity>
  <urf:UserIdentity>
    <urf:GlobalUserName urf:type="opensslCompat">/DC=org/DC=example/OU=Users/CN=Alice Analyst</urf:GlobalUserName>
    <urf:Group>atlas</urf:Group>
    <urf:GroupAttribute urf:type="FQAN">/atlas/Role=production/Capability=NULL</urf:GroupAttribute>
    <urf:LocalUserId>atlasprd001</urf:LocalUserId>
  </urf:UserIdentity>
  <urf:Status>completed</urf:Status>
  <urf:Infrastructure urf:description="APEL-HTCONDORCE-HTCONDOR" urf:type="grid"/>
  <urf:WallDuration>PT3H14M46S</urf:WallDuration>
  <urf:CpuDuration urf:usageType="user">PT1S</urf:CpuDuration>
  <urf:CpuDuration urf:usageType="all">PT69011S</urf:CpuDuration>
  <urf:ServiceLevel urf:type="HEPscore23">12.0</urf:ServiceLevel>
  <urf:Memory urf:type="Physical" urf:storageUnit="KB">4810104</urf:Memory>
  <urf:NodeCount>1</urf:NodeCount>
  <urf:Processors>8</urf:Processors>
  <urf:EndTime>2026-10-01T08:14:46Z</urf:EndTime>
  <urf:StartTime>2026-10-01T07:00:00+02:00</urf:StartTime>
  <urf:MachineName>ce01.site-alpha.example.org</urf:MachineName>
  <urf:SubmitHost>ce01.site-alpha.example.org:9619/ce01.site-alpha.example.org-condor</urf:SubmitHost>
  <urf:Queue>condor</urf:Queue>
  <urf:Site>SITE-ALPHA</urf:Site>
</urf:UsageRecord>
</urf:UsageRecords>
"""


def test_a_car_record_is_the_job_of_its_text_form(shared_dir: Path) -> None:
    text = sample(shared_dir, JOB_V03)
    # APEL's CarParser does not read Memory.
    text = mutated(mutated(text, 1, "MemoryReal", None), 1, "MemoryVirtual", None)
    message = parse_message(CAR)
    assert (message.kind, message.header, len(message.records)) == (RecordKind.JOB, CAR_NS, 1)
    expected: dict[str, Any] = parse_message(text).records[0]
    assert message.records[0] == expected


@pytest.mark.parametrize(
    ("body", "text", "index"),
    [
        (CAR.replace("<urf:WallDuration>PT3H14M46S</urf:WallDuration>", ""), "Mandatory field WallDuration not specified.", 1),
        (CAR.replace("PT3H14M46S", "3 hours"), "Mandatory field WallDuration not specified.", 1),
        (CAR.replace("2026-10-01T08:14:46Z", "Oct 1st"), "Message header is incorrect: Unable to parse date string 'Oct 1st'", 1),
        (f'<urf:UsageRecords xmlns:urf="{CAR_NS}"/>', "File does not contain car records!", None),
        ('<aur:SummaryRecords xmlns:aur="http://eu-emi.eu/namespaces/2012/11/aggregatedcomputerecord"/>', "Aggregated usage record not yet supported.", None),
        ('<records xmlns="http://example.org/other"><record/></records>', "XML format not recognised.", None),
        (CAR[: CAR.index("<urf:Site>")], "no element found: line 25, column 31", None),
    ],
    ids=["missing element", "not ISO 8601", "bad timestamp", "no records", "AUR", "other namespace", "truncated"],
)  # fmt: skip
def test_xml_defects(body: str, text: str, index: int | None) -> None:
    with pytest.raises(RecordError) as refused:
        parse_message(body)
    assert (refused.value.text, refused.value.index) == (text, index)
