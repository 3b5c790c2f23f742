"""Exports (``service.exports``, ``GET /api/accounting/exports/{kind}``, ``fedcore accounting
export``): APEL's column names in APEL's order, the samples' rows, one job route per site-month,
cloud summaries from VM-month deltas, JSON equal to CSV, and who may read the DNs."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fedcore.accounting.cli import app as accounting_app
from fedcore.accounting.enums import Transport
from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import column_name
from fedcore.accounting.service import exports, loader
from fedcore.core.config import Settings, get_settings
from fedcore.core.db import isoformat_z
from fedcore.core.errors import Forbidden, ValidationFailed
from fedcore.core.security import ANONYMOUS, Principal, principal_for
from tests.accounting.factories import CLOUD_SUMMARY_MESSAGE
from tests.conftest import ADMIN
from tests.registry.factories import Federation

OPERATOR = principal_for(ADMIN, ADMIN)
SAMPLES = "samples/accounting"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

JOB_RECORD_COLUMNS = [
    "Site", "SubmitHost", "MachineName", "Queue", "LocalJobId", "LocalUserId", "GlobalUserName",
    "FQAN", "VO", "VOGroup", "VORole", "WallDuration", "CpuDuration", "Processors", "NodeCount",
    "StartTime", "EndTime", "InfrastructureDescription", "InfrastructureType", "MemoryReal",
    "MemoryVirtual", "ServiceLevelType", "ServiceLevel",
]  # fmt: skip
"""Reference §1.4's field list, which is APEL's view VJobRecords without UpdateTime."""

CLOUD_RECORD_COLUMNS = [
    "RecordCreateTime", "VMUUID", "SiteName", "CloudComputeService", "MachineName",
    "LocalUserId", "LocalGroupId", "GlobalUserName", "FQAN", "Status", "StartTime", "EndTime",
    "SuspendDuration", "WallDuration", "CpuDuration", "CpuCount", "NetworkType",
    "NetworkInbound", "NetworkOutbound", "PublicIPCount", "Memory", "Disk", "BenchmarkType",
    "Benchmark", "StorageRecordId", "ImageId", "CloudType",
    "VO", "VOGroup", "VORole", "MeasurementTime", "MeasurementMonth", "MeasurementYear",
]  # fmt: skip
"""Reference §1.8's field list, then what APEL's view VCloudRecords adds."""

JOB_SUMMARY_COLUMNS = [
    "Site", "Month", "Year", "GlobalUserName", "VO", "VOGroup", "VORole", "SubmitHost",
    "Infrastructure", "ServiceLevelType", "ServiceLevel", "NodeCount", "Processors",
    "EarliestEndTime", "LatestEndTime", "WallDuration", "CpuDuration", "NormalisedWallDuration",
    "NormalisedCpuDuration", "NumberOfJobs",
]  # fmt: skip

CLOUD_SUMMARY_COLUMNS = [
    "SiteName", "CloudComputeService", "Month", "Year", "GlobalUserName", "VO", "VOGroup",
    "VORole", "Status", "CloudType", "ImageId", "EarliestStartTime", "LatestStartTime",
    "WallDuration", "CpuDuration", "CpuCount", "NetworkInbound", "NetworkOutbound", "Memory",
    "Disk", "BenchmarkType", "Benchmark", "NumberOfVMs",
]  # fmt: skip

ALL_SAMPLES = [
    "job_v03_individual.txt",
    "job_v04_individual.txt",
    "summary_v02.txt",
    "cloud_v04_caso.txt",
    "ip_v02_caso.json",
    "accelerator_v01_caso.json",
    "storage_star_caso.xml",
]

VM_B_GROUP = {
    "GlobalUserName": "https://aai.egi.eu/auth/realms/egi#9f8e7d6c5b4a@egi.eu",
    "Status": "started",
    "ImageId": "almalinux-9-egi",
    "CpuCount": "4.0",
}


def sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / SAMPLES / name).read_bytes()


def load(session: Session, settings: Settings, body: bytes) -> None:
    origin = loader.Origin(Transport.CLI, OPERATOR)
    outcome = loader.submit_message(session=session, settings=settings, origin=origin, body=body)
    assert isinstance(outcome, loader.LoadResult), outcome


def load_samples(session: Session, settings: Settings, shared_dir: Path, *names: str) -> None:
    for name in names:
        load(session, settings, sample(shared_dir, name))


def export_csv(
    session: Session, kind: str, actor: Principal = OPERATOR, **filters: Any
) -> list[dict[str, str]]:
    columns, rows = exports.export_rows(session=session, actor=actor, kind=kind, **filters)
    text = "".join(exports.write_csv(columns, rows))
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == columns
    return [dict(zip(columns, row, strict=True)) for row in reader]


def text(value: Any) -> str:
    """A parsed sample value as the CSV writes it."""
    if value is None:
        return ""
    return isoformat_z(value) if isinstance(value, datetime) else str(value)


def test_job_records_carry_apel_columns_in_order_and_v04_replaces_v03(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    """The v0.4 sample's 3 jobs have the keys (Site, LocalJobId, EndTime) of the v0.3 sample's
    first 3, so they replace them: 21 rows."""
    load_samples(session, settings, shared_dir, "job_v03_individual.txt", "job_v04_individual.txt")
    columns, _ = exports.export_rows(session=session, actor=OPERATOR, kind="job-records")
    assert columns == JOB_RECORD_COLUMNS
    rows = export_csv(session, "job-records")
    jobs = parse_message(sample(shared_dir, "job_v03_individual.txt").decode()).records
    assert len(rows) == 21
    assert sorted((row["Site"], row["LocalJobId"], row["EndTime"]) for row in rows) == sorted(
        (job["site"], job["local_job_id"], text(job["end_time"])) for job in jobs
    )
    assert all(ISO_Z.fullmatch(row["StartTime"]) for row in rows)


def test_cloud_records_add_what_apel_shows_and_leave_null_empty(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    load_samples(session, settings, shared_dir, "cloud_v04_caso.txt")
    rows = export_csv(session, "cloud-records")
    assert list(rows[0]) == CLOUD_RECORD_COLUMNS
    assert len(rows) == 7
    # cASO sends no RecordCreateTime: NULL, an empty CSV field.
    assert {row["RecordCreateTime"] for row in rows} == {""}
    vm_b = [row for row in rows if row["VMUUID"] == "22222222-bbbb-4bbb-8bbb-000000000002"]
    assert [(row["MeasurementMonth"], row["WallDuration"]) for row in vm_b] == [
        ("9", "864000"),
        ("10", "1728000"),
    ]
    assert {row["VO"] for row in rows} == {"vo.example.org", "another.vo.eu"}


def test_job_summaries_are_the_summary_sample_site_aside(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    """The job sample (SITE-ALPHA) summarised, against summary_v02.txt (SITE-BETA) made from
    the same jobs; the file's one known defect is Dan Bio's October HEPSPEC CPU."""
    load_samples(session, settings, shared_dir, "job_v03_individual.txt")
    columns, _ = exports.export_rows(session=session, actor=OPERATOR, kind="job-summaries")
    assert columns == JOB_SUMMARY_COLUMNS
    rows = export_csv(session, "job-summaries")
    received = parse_message(sample(shared_dir, "summary_v02.txt").decode()).records
    assert len(rows) == len(received) == 10
    compared = [name for name in JOB_SUMMARY_COLUMNS if not name.startswith("Normalised")]
    compared.remove("Site")
    group = compared[: compared.index("Processors") + 1]
    by_group = {tuple(row[name] for name in group): row for row in rows}
    differences = {}
    for record in received:
        values = {
            name: text(record[column_name(name)]) for name in compared if name != "Infrastructure"
        }
        values["Infrastructure"] = record["infrastructure_type"]
        row = by_group[tuple(values[name] for name in group)]
        assert row["Site"] == "SITE-ALPHA"
        user = values["GlobalUserName"].rpartition("CN=")[2]
        differences.update(
            {
                (user, values["ServiceLevelType"], values["Month"], name): (row[name], value)
                for name, value in values.items()
                if row[name] != value
            }
        )
    assert differences == {("Dan Bio", "HEPSPEC", "10", "CpuDuration"): ("45987", "40436")}


def test_job_summaries_take_one_route_per_site_month(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    """SITE-ALPHA sends jobs and, for the same months, summaries: its rows come from the jobs
    only. SITE-BETA sends only summaries: its rows are those."""
    summary = sample(shared_dir, "summary_v02.txt")
    load_samples(session, settings, shared_dir, "job_v03_individual.txt")
    load(session, settings, summary)
    load(session, settings, summary.replace(b"Site: SITE-BETA", b"Site: SITE-ALPHA"))
    rows = export_csv(session, "job-summaries")
    assert [row["Site"] for row in rows] == ["SITE-ALPHA"] * 10 + ["SITE-BETA"] * 10
    dan_bio = [
        (row["Site"], row["CpuDuration"])
        for row in rows
        if row["GlobalUserName"].endswith("Dan Bio")
        and (row["Month"], row["ServiceLevelType"]) == ("10", "HEPSPEC")
    ]
    assert dan_bio == [("SITE-ALPHA", "45987"), ("SITE-BETA", "40436")]
    october = export_csv(session, "job-summaries", site="SITE-BETA", from_month="2026-10")
    assert {row["Month"] for row in october} == {"10"}
    assert len(october) == 9


def test_cloud_summaries_sum_the_vm_month_deltas(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    """VM B's October delta is its October counters minus September's; VM A's three snapshots
    of October and VM D's resend count once (samples README). A received cloud summary counts
    only for a site-month without records."""
    load_samples(session, settings, shared_dir, "cloud_v04_caso.txt")
    for site in ("EXAMPLE-CLOUD-01", "OTHER-CLOUD"):
        load(session, settings, CLOUD_SUMMARY_MESSAGE.format(site=site).encode())
    rows = export_csv(session, "cloud-summaries")
    assert list(rows[0]) == CLOUD_SUMMARY_COLUMNS
    vm_b = [
        (row["Month"], row["WallDuration"], row["CpuDuration"], row["NumberOfVMs"])
        for row in rows
        if all(row[name] == value for name, value in VM_B_GROUP.items())
    ]
    assert vm_b == [("9", "864000", "3456000", "1"), ("10", "864000", "3456000", "1")]
    vm_a = [row for row in rows if row["Benchmark"] == "11.5"]
    assert [(row["WallDuration"], row["NumberOfVMs"]) for row in vm_a] == [("820800", "1")]
    vm_d = [row for row in rows if row["CpuCount"] == "8.0"]
    assert [(row["WallDuration"], row["NumberOfVMs"]) for row in vm_d] == [("259200", "1")]
    assert [row["SiteName"] for row in rows] == ["EXAMPLE-CLOUD-01"] * 7 + ["OTHER-CLOUD"]
    assert (rows[-1]["WallDuration"], rows[-1]["EarliestStartTime"]) == (
        "3600",
        "2026-10-01T00:00:00Z",
    )


@pytest.mark.parametrize("kind", [kind.value for kind in exports.ExportKind])
def test_json_holds_what_csv_holds(
    session: Session, settings: Settings, shared_dir: Path, kind: str
) -> None:
    load_samples(session, settings, shared_dir, *ALL_SAMPLES)
    columns, rows = exports.export_rows(session=session, actor=OPERATOR, kind=kind)
    document = json.loads("".join(exports.write_json(columns, rows)))
    from_csv = export_csv(session, kind)
    assert from_csv
    assert all(list(item) == columns for item in document)
    assert [{name: text(value) for name, value in item.items()} for item in document] == from_csv


def test_writers_stream_in_chunks() -> None:
    """Rows go out as they come, a chunk per thousand rows, never the whole export at once."""
    rows = ([index, None] for index in range(2_500))
    chunks = list(exports.write_json(["Index", "Empty"], rows))
    assert len(chunks) == 3
    assert json.loads("".join(chunks))[2_499] == {"Index": 2_499, "Empty": None}
    assert len(list(exports.write_csv(["Index"], ([index] for index in range(2_500))))) == 3
    assert json.loads("".join(exports.write_json(["Index"], iter([])))) == []


def test_periods_select_months_and_storage_end_times(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    load_samples(session, settings, shared_dir, "job_v03_individual.txt", "storage_star_caso.xml")
    september = export_csv(session, "job-records", from_month="2026-09", to_month="2026-09")
    assert [row["EndTime"][:7] for row in september] == ["2026-09"]
    assert len(export_csv(session, "job-records", from_month="2026-10")) == 20
    assert (
        len(export_csv(session, "storage-records", from_month="2026-10", to_month="2026-10")) == 3
    )
    assert export_csv(session, "storage-records", to_month="2026-09") == []
    assert export_csv(session, "storage-records", from_month="2026-11") == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"kind": "jobs"}, "kind"),
        ({"kind": "job-records", "from_month": "2026-13"}, "from"),
        ({"kind": "job-records", "to_month": "2026-1"}, "to"),
        ({"kind": "job-records", "from_month": "2026-10", "to_month": "2026-09"}, "from"),
    ],
)
def test_bad_arguments_name_their_field(
    session: Session, filters: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        exports.export_rows(session=session, actor=OPERATOR, **filters)
    assert caught.value.field == field


def test_only_operators_and_the_sites_administrators_read_dns(
    session: Session, federation: Federation
) -> None:
    site = federation.site.short_name
    exports.export_rows(session=session, actor=federation.site_admin.principal, kind="ip-records", site=site)  # fmt: skip
    refused = [
        (ANONYMOUS, site),
        (federation.member.principal, site),
        (federation.site_admin.principal, None),
        (federation.site_admin.principal, federation.other_site.short_name),
        (federation.site_admin.principal, "SITE-ALPHA"),
    ]
    for actor, name in refused:
        with pytest.raises(Forbidden) as caught:
            exports.export_rows(session=session, actor=actor, kind="ip-records", site=name)
        assert caught.value.field == "site"


# --- REST ---------------------------------------------------------------------------------------


def test_rest_streams_csv_and_json_to_those_who_may_read_them(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    federation: Federation,
) -> None:
    site = federation.site.short_name
    jobs = sample(shared_dir, "job_v03_individual.txt")
    load(session, settings, jobs)
    load(session, settings, jobs.replace(b"Site: SITE-ALPHA", f"Site: {site}".encode()))
    session.commit()
    url = "/api/accounting/exports/job-records"

    assert client.get(url, params={"site": site}).status_code == 403
    refused = client.get(url, headers=federation.site_admin.headers)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (403, "site")

    answer = client.get(
        url, params={"site": site, "format": "csv"}, headers=federation.site_admin.headers
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 21
    assert {row["Site"] for row in rows} == {site}

    everything = client.get(url, headers=federation.operator.headers)
    assert everything.headers["content-type"] == "application/json"
    assert sorted({item["Site"] for item in everything.json()}) == sorted({site, "SITE-ALPHA"})
    assert len(everything.json()) == 42

    unknown = client.get("/api/accounting/exports/jobs", headers=federation.operator.headers)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "kind")


# --- CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def configured(committed: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("FEDCORE_DATABASE_URL", committed.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", ADMIN)
    get_settings.cache_clear()
    yield committed
    get_settings.cache_clear()


def run(*args: str) -> Any:
    """``fedcore accounting ARGS``, mounted as ``core/cli.py`` mounts it."""
    fedcore = typer.Typer()
    fedcore.add_typer(accounting_app, name="accounting")
    return CliRunner().invoke(fedcore, ["accounting", *args])


def test_cli_writes_the_export_to_standard_output(configured: Engine, shared_dir: Path) -> None:
    loaded = run("load", str(shared_dir / SAMPLES / "job_v03_individual.txt"))
    assert loaded.exit_code == 0, loaded.stderr
    result = run("export", "job-records", "--format", "csv", "--site", "SITE-ALPHA")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert (rows[0], len(rows)) == (JOB_RECORD_COLUMNS, 22)
    result = run("export", "job-summaries", "--from", "2026-09", "--to", "2026-09")
    assert result.exit_code == 0, result.stderr
    assert [item["Month"] for item in json.loads(result.stdout)] == [9]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["jobs"], ["'jobs'", *(kind.value for kind in exports.ExportKind)]),
        (["job-records", "--from", "October"], ["from", "'October'"]),
    ],
)
def test_cli_refuses_bad_arguments_in_one_line(
    configured: Engine, args: list[str], named: list[str]
) -> None:
    result = run("export", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert all(word in result.stderr for word in named)
