"""The §3 pivot reports: numbers worked out by hand from the samples, totals, route precedence,
NGI and country from the registry, CSV, errors naming the parameter, and who sees users."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import vos
from fedcore.accounting.enums import Transport
from fedcore.accounting.formats import parse_message
from fedcore.accounting.models import CloudSuperSummary
from fedcore.accounting.service import loader
from fedcore.core.config import Settings
from fedcore.core.security import principal_for
from fedcore.registry import service as registry
from fedcore.registry.schemas import UserCreate
from tests.accounting.factories import CLOUD_SUMMARY_MESSAGE
from tests.registry.factories import ADMIN, Federation

URL = "/api/accounting/reports"
PERIOD = {"from": "2026-09", "to": "2026-10"}


def rounded(expected: float) -> Any:
    """A value as reports give it: to the thousandth (the sums themselves may differ in the
    last float bits)."""
    return pytest.approx(expected, abs=5e-4)


def sample(shared_dir: Path, name: str, **renames: str) -> str:
    text = (shared_dir / "samples" / "accounting" / name).read_text()
    for old, new in renames.items():
        text = text.replace(old, new)
    return text


def load(session: Session, settings: Settings, body: str) -> None:
    origin = loader.Origin(Transport.CLI, principal_for(ADMIN, ADMIN))
    outcome = loader.submit_message(
        session=session, settings=settings, origin=origin, body=body.encode()
    )
    assert isinstance(outcome, loader.LoadResult), outcome
    session.commit()


def ask(client: TestClient, headers: dict[str, str] | None = None, **params: str) -> Any:
    response = client.get(URL, params={**PERIOD, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def jobs(shared_dir: Path) -> list[dict[str, Any]]:
    records = parse_message(sample(shared_dir, "job_v03_individual.txt")).records
    assert {r["service_level_type"] for r in records} <= {"HEPSPEC", "HEPscore23"}
    return records


@pytest.fixture
def job_sample(
    session: Session, settings: Settings, federation: Federation, shared_dir: Path
) -> None:
    load(session, settings, sample(shared_dir, "job_v03_individual.txt"))


@pytest.mark.usefixtures("job_sample")
def test_normalised_cpu_by_vo_and_month_is_cpu_times_benchmark(
    client: TestClient, federation: Federation, shared_dir: Path
) -> None:
    expected: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for job in jobs(shared_dir):
        month = f"{job['end_year']}-{job['end_month']:02d}"
        # HEPSPEC and HEPscore23 are taken 1:1 (reference §2.4)
        expected[job["vo"]][month] += max(job["cpu_duration"], 0) * job["service_level"] / 3600
    answer = ask(
        client, federation.operator.headers, metric="normalized_sum_cpu", rows="vo", columns="month"
    )
    assert answer["metric"] == "normalized_sum_cpu"
    assert answer["unit"] == "HS06·h"
    assert answer["period"] == {"from": "2026-09", "to": "2026-10"}
    assert answer["columns"] == ["2026-09", "2026-10"]
    row_totals = {vo: sum(months.values()) for vo, months in expected.items()}
    assert answer["rows"] == sorted(row_totals, key=lambda vo: -row_totals[vo])
    for vo, cells in zip(answer["rows"], answer["cells"], strict=True):
        assert cells == [
            rounded(expected[vo][m]) if m in expected[vo] else None for m in answer["columns"]
        ]
    totals = answer["totals"]
    assert totals["rows"] == [rounded(row_totals[vo]) for vo in answer["rows"]]
    assert totals["columns"] == [
        rounded(sum(expected[vo].get(m, 0) for vo in expected)) for m in answer["columns"]
    ]
    assert totals["grand"] == pytest.approx(sum(row_totals.values()))


@pytest.mark.usefixtures("job_sample")
def test_cpu_efficiency_is_the_ratio_of_sums_not_an_average(
    client: TestClient, shared_dir: Path
) -> None:
    records = jobs(shared_dir)
    by_vo: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for job in records:
        by_vo[job["vo"]][0] += job["cpu_duration"]
        by_vo[job["vo"]][1] += job["wall_duration"] * job["processors"]
    answer = ask(client, metric="cpu_efficiency", rows="vo", columns="year")
    assert answer["unit"] == "%"
    assert answer["columns"] == ["2026"]
    for vo, total in zip(answer["rows"], answer["totals"]["rows"], strict=True):
        cpu, elapsed_cores = by_vo[vo]
        assert total == rounded(100 * cpu / elapsed_cores)
    cpu = sum(job["cpu_duration"] for job in records)
    elapsed_cores = sum(job["wall_duration"] * job["processors"] for job in records)
    assert answer["totals"]["grand"] == rounded(100 * cpu / elapsed_cores)
    averaged = sum(answer["totals"]["rows"]) / len(answer["rows"])
    assert answer["totals"]["grand"] != rounded(averaged)


@pytest.mark.usefixtures("job_sample")
def test_columns_cover_the_whole_period_by_month_quarter_or_year(
    client: TestClient, shared_dir: Path
) -> None:
    count = len(jobs(shared_dir))
    by_month = ask(
        client, metric="number_of_jobs", rows="site", columns="month", **{"from": "2026-08"}
    )
    assert by_month["columns"] == ["2026-08", "2026-09", "2026-10"]
    assert by_month["rows"] == ["SITE-ALPHA"]
    assert by_month["cells"][0][0] is None
    assert by_month["totals"]["grand"] == count
    by_quarter = ask(
        client,
        metric="number_of_jobs",
        rows="site",
        columns="quarter",
        **{"from": "2026-08", "to": "2027-01"},
    )
    assert by_quarter["columns"] == ["2026-Q3", "2026-Q4", "2027-Q1"]
    assert sum(by_quarter["cells"][0][:2]) == count
    assert by_quarter["cells"][0][2] is None
    assert by_quarter["totals"]["columns"][2] is None


def test_a_site_month_with_several_job_routes_counts_once(
    session: Session,
    settings: Settings,
    federation: Federation,
    client: TestClient,
    shared_dir: Path,
) -> None:
    # SITE-ALPHA: jobs, plus normalised summaries of the same months (VO renamed to see them);
    # SITE-BETA: summaries (VO renamed), plus normalised summaries; SITE-GAMMA: normalised only.
    normalised = sample(shared_dir, "normalised_summary_v03.txt")
    load(session, settings, sample(shared_dir, "job_v03_individual.txt"))
    load(
        session,
        settings,
        normalised.replace("SITE-GAMMA", "SITE-ALPHA").replace("VO: atlas", "VO: from-normalised"),
    )
    load(
        session,
        settings,
        sample(shared_dir, "summary_v02.txt").replace("VO: atlas", "VO: from-summaries"),
    )
    load(session, settings, normalised.replace("SITE-GAMMA", "SITE-BETA"))
    load(session, settings, normalised)
    by_site = ask(client, metric="number_of_jobs", rows="site", columns="year")
    totals = dict(zip(by_site["rows"], by_site["totals"]["rows"], strict=True))
    assert totals["SITE-ALPHA"] == len(jobs(shared_dir))
    assert totals["SITE-BETA"] == totals["SITE-GAMMA"]
    summaries = parse_message(sample(shared_dir, "summary_v02.txt")).records
    assert totals["SITE-BETA"] != sum(s["number_of_jobs"] for s in summaries)
    by_vo = ask(client, metric="number_of_jobs", rows="vo", columns="year")
    assert "from-normalised" not in by_vo["rows"]
    assert "from-summaries" not in by_vo["rows"]
    assert "atlas" in by_vo["rows"]


def test_ngi_and_country_come_from_the_registry_and_unknown_sites_are_named(
    session: Session,
    settings: Settings,
    federation: Federation,
    client: TestClient,
    shared_dir: Path,
) -> None:
    load(
        session,
        settings,
        sample(shared_dir, "job_v03_individual.txt", **{"SITE-ALPHA": "TEST-SITE"}),
    )
    load(session, settings, sample(shared_dir, "summary_v02.txt"))
    count = len(jobs(shared_dir))
    by_ngi = ask(client, metric="number_of_jobs", rows="ngi", columns="year")
    assert dict(zip(by_ngi["rows"], by_ngi["totals"]["rows"], strict=True)) == {
        "NGI_TEST": count,
        "unknown NGI": count,
    }
    by_country = ask(client, metric="number_of_jobs", rows="country", columns="year")
    assert set(by_country["rows"]) == {federation.site.country.name, "unknown country"}
    only_test = ask(client, metric="number_of_jobs", rows="site", columns="year", ngi="NGI_TEST")
    assert only_test["rows"] == ["TEST-SITE"]
    only_unknown = ask(
        client, metric="number_of_jobs", rows="site", columns="year", ngi="unknown NGI"
    )
    assert only_unknown["rows"] == ["SITE-BETA"]


def test_cloud_accelerator_storage_and_ip_metrics(
    session: Session,
    settings: Settings,
    federation: Federation,
    client: TestClient,
    shared_dir: Path,
) -> None:
    names = ("cloud_v04_caso.txt", "accelerator_v01_caso.json")
    names += ("storage_star_caso.xml", "ip_v02_caso.json")
    parsed = {name: parse_message(sample(shared_dir, name)).records for name in names}
    for name in names:
        load(session, settings, sample(shared_dir, name))

    def by_month(metric: str) -> dict[str, float | None]:
        answer = ask(client, metric=metric, rows="site", columns="month")
        assert answer["rows"] == ["EXAMPLE-CLOUD-01"]
        return dict(zip(answer["columns"], answer["cells"][0], strict=True))

    vm_months: dict[str, set[str]] = defaultdict(set)
    for vm in parsed["cloud_v04_caso.txt"]:
        vm_months[f"{vm['measurement_year']}-{vm['measurement_month']:02d}"].add(vm["vm_uuid"])
    assert by_month("number_of_vms") == {m: len(vm_months[m]) for m in ("2026-09", "2026-10")}

    gpu: dict[str, float] = defaultdict(float)
    for record in parsed["accelerator_v01_caso.json"]:
        gpu[f"{record['measurement_year']}-{record['measurement_month']:02d}"] += (
            record["active_duration"] / 3600
        )
    assert by_month("gpu_hours") == {m: rounded(gpu[m]) for m in ("2026-09", "2026-10")}

    used = sum(r["resource_capacity_used"] for r in parsed["storage_star_caso.xml"])
    storage = ask(client, metric="storage_used", rows="site", columns="year")
    assert storage["unit"] == "GB"
    assert storage["totals"]["grand"] == rounded(used / 10**9)

    # The month's last snapshot per user and IP version; users add up within a month.
    held: dict[tuple[str, int], int] = {}
    for record in sorted(parsed["ip_v02_caso.json"], key=lambda r: r["measurement_time"]):
        held[record["global_user_name"], record["ip_version"]] = record["ip_count"]
    ips = ask(client, metric="public_ips", rows="vo", columns="quarter")
    assert ips["totals"]["grand"] == sum(held.values())


@pytest.mark.usefixtures("job_sample")
def test_csv_has_a_header_then_a_line_per_row(client: TestClient, shared_dir: Path) -> None:
    answer = ask(client, metric="number_of_jobs", rows="vo", columns="month")
    response = client.get(
        URL, params={**PERIOD, "metric": "number_of_jobs", "rows": "vo", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "vo,2026-09,2026-10,total"
    expected = [
        ",".join([vo, *("" if v is None else str(v) for v in cells), str(total)])
        for vo, cells, total in zip(
            answer["rows"], answer["cells"], answer["totals"]["rows"], strict=True
        )
    ]
    assert lines[1:] == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "sum_gpu"}, "metric"),
        ({"rows": "planet"}, "rows"),
        ({"metric": "number_of_vms", "rows": "submit_host"}, "rows"),
        ({"columns": "week"}, "columns"),
        ({"from": "2026-11", "to": "2026-10"}, "from"),
        ({"to": "2026-13"}, "to"),
        ({"from": "2026-9"}, "from"),
        ({"metric": "gpu_hours", "rows": "site", "vo": "atlas"}, "vo"),
    ],
)
def test_every_error_names_its_parameter(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    query = {**PERIOD, "metric": "number_of_jobs", "rows": "vo", **params}
    response = client.get(URL, params=query)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_period_without_from_is_the_twelve_months_up_to_to(client: TestClient) -> None:
    response = client.get(URL, params={"metric": "number_of_jobs", "rows": "vo", "to": "2026-10"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["period"] == {"from": "2025-11", "to": "2026-10"}
    assert len(answer["columns"]) == 12


def test_a_cloud_site_month_with_records_and_a_received_summary_counts_the_records(
    session: Session, settings: Settings, client: TestClient, shared_dir: Path
) -> None:
    load(session, settings, sample(shared_dir, "cloud_v04_caso.txt"))
    for site in ("EXAMPLE-CLOUD-01", "OTHER-CLOUD"):
        load(session, settings, CLOUD_SUMMARY_MESSAGE.format(site=site))
    answer = ask(client, metric="number_of_vms", rows="site", columns="month")
    october = answer["columns"].index("2026-10")
    cells = dict(zip(answer["rows"], answer["cells"], strict=True))
    # EXAMPLE-CLOUD-01's October: its VMs from records (the received summary is not added);
    # OTHER-CLOUD sent a summary only, which counts.
    from_records = session.scalar(
        select(func.sum(CloudSuperSummary.number_of_vms)).where(
            CloudSuperSummary.source == "records", CloudSuperSummary.month == 10
        )
    )
    assert from_records == 6
    assert (cells["EXAMPLE-CLOUD-01"][october], cells["OTHER-CLOUD"][october]) == (6, 1)


@pytest.mark.usefixtures("job_sample")
def test_users_are_shown_only_to_those_who_may_see_them(
    session: Session, client: TestClient, federation: Federation, shared_dir: Path
) -> None:
    manager = federation.member
    vos.register_vo(session=session, actor=manager.principal, data=VoCreate(name="atlas"))
    session.commit()
    users = {"metric": "number_of_jobs", "rows": "user"}

    anonymous = client.get(URL, params={**PERIOD, **users})
    assert anonymous.status_code == 403
    assert anonymous.json()["errors"][0]["field"] == "rows"
    someone = client.get(
        URL, params={**PERIOD, "metric": "number_of_jobs", "rows": "vo", "user": "x"}
    )
    assert someone.status_code == 403
    assert someone.json()["errors"][0]["field"] == "user"
    for refused in ({}, {"vo": "cms"}, {"site": "SITE-ALPHA"}):
        response = client.get(URL, params={**PERIOD, **users, **refused}, headers=manager.headers)
        assert response.status_code == 403, refused

    atlas_users = {job["global_user_name"] for job in jobs(shared_dir) if job["vo"] == "atlas"}
    seen = ask(client, manager.headers, **users, vo="atlas")
    assert set(seen["rows"]) == atlas_users
    assert set(ask(client, federation.operator.headers, **users)["rows"]) > atlas_users
    own = ask(client, manager.headers, **users, user=manager.principal.subject)
    assert own["rows"] == []


@pytest.mark.usefixtures("job_sample")
def test_a_user_sees_their_own_rows_under_their_registry_certificate_dn(
    session: Session, client: TestClient, federation: Federation, shared_dir: Path
) -> None:
    records = jobs(shared_dir)
    mine, other = records[0]["global_user_name"], records[1]["global_user_name"]
    assert mine != other
    user = federation.member
    registry.register_user(
        session=session,
        actor=user.principal,
        data=UserCreate(subject=user.principal.subject, certdn=mine),
    )
    session.commit()
    own = ask(client, user.headers, metric="number_of_jobs", rows="user", user=mine)
    assert own["rows"] == [mine]
    assert own["totals"]["grand"] == sum(1 for job in records if job["global_user_name"] == mine)
    refused = client.get(
        URL,
        params={**PERIOD, "metric": "number_of_jobs", "rows": "user", "user": other},
        headers=user.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "rows"
