"""The summary arithmetic on hand-built records: no database (reference §2.4, §1.11)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import CLOUD, JOB, RecordKind
from fedcore.accounting.summaries import (
    NORMALISED_UNITS,
    AcceleratorTotals,
    CloudTotals,
    JobTotals,
    Key,
    Totals,
    aggregate,
    changes,
    job_contribution,
    normalisation_factor,
    normalisation_units,
    normalised_summary_contribution,
    round_units,
    subtract,
    summary_contribution,
    vm_month_deltas,
)

Record = dict[str, Any]

OCT = datetime(2026, 10, 1, tzinfo=UTC)
SEP = datetime(2026, 9, 1, tzinfo=UTC)


def job(**values: Any) -> Record:
    """A job record as the parser gives it; ``end_time`` decides end_year and end_month."""
    record: Record = {
        "site": "SITE-ALPHA",
        "submit_host": "ce01.example.org",
        "local_job_id": "1.0",
        "global_user_name": "/CN=Alice",
        "vo": "atlas",
        "vo_group": "/atlas",
        "vo_role": "Role=production",
        "wall_duration": 100,
        "cpu_duration": 80,
        "processors": 1,
        "node_count": 1,
        "end_time": OCT + timedelta(days=1),
        "infrastructure_type": "grid",
        "service_level_type": "HEPSPEC",
        "service_level": 10.5,
    } | values
    record["end_year"] = record["end_time"].year
    record["end_month"] = record["end_time"].month
    return record


def apply(
    table: dict[Key, Totals],
    kind: RecordKind,
    stored: Iterable[Record],
    old: list[Record],
    new: list[Record],
) -> None:
    """What the loader does: add the deltas, then rebuild the stale groups from the records."""
    change = changes(kind, old, new)
    for key, delta in change.deltas.items():
        known = table.get(key)
        table[key] = delta if known is None else known + delta
    rebuilt = aggregate(kind, stored)
    for key in change.stale:
        if key in rebuilt:
            table[key] = rebuilt[key]
        else:
            del table[key]


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service_level_type", "service_level", "factor"),
    [
        ("si2k", 2500, 10.0),
        ("SI2K", 2625.0, 10.5),
        ("HEPSPEC", 10.5, 10.5),
        ("hepspec", Decimal("10.500"), 10.5),
        ("HEPscore23", 12.0, 12.0),
        ("custom", 1, 1.0),
    ],
)
def test_normalisation_factor(service_level_type: str, service_level: float, factor: float) -> None:
    assert normalisation_factor(service_level_type, service_level) == factor


def test_normalisation_factor_is_exact_in_units_of_1_250000() -> None:
    # ServiceLevel is DECIMAL(10,3): 0.001 si2k is one unit, 10.123 HEPSPEC 2,530,750 units,
    # and a fourth decimal is rounded away as DECIMAL(10,3) does.
    assert normalisation_units("si2k", 0.001) == 1
    assert normalisation_units("HEPSPEC", 10.123) == 2_530_750
    assert normalisation_units("HEPSPEC", 10.1235) == 2_531_000


def test_normalisation_factor_names_a_missing_service_level() -> None:
    with pytest.raises(ValueError, match="ServiceLevel: NULL"):
        normalisation_units("HEPSPEC", None)


@pytest.mark.parametrize(
    ("units", "rounded"),
    [(0, 0), (625_000, 3), (624_999, 2), (875_000, 4), (-625_000, -3), (10, 0)],
)
def test_round_units_rounds_ties_away_from_zero(units: int, rounded: int) -> None:
    assert round_units(units) == rounded


# --- jobs, summaries, normalised summaries ----------------------------------------------------


def test_job_contribution() -> None:
    key, totals = job_contribution(job(wall_duration=100, cpu_duration=-5))
    assert key == (
        "jobs", "SITE-ALPHA", 2026, 10, "/CN=Alice", "atlas", "/atlas", "Role=production",
        "ce01.example.org", "grid", "HEPSPEC", 10.5, 1, 1,
    )  # fmt: skip
    assert totals == JobTotals(
        earliest_end_time=OCT + timedelta(days=1),
        latest_end_time=OCT + timedelta(days=1),
        wall_duration=100,
        cpu_duration=-5,
        normalised_wall_units=1050 * NORMALISED_UNITS,
        normalised_cpu_units=0,
        number_of_jobs=1,
    )


def test_aggregate_rounds_the_group_sum_not_each_job() -> None:
    # 1 s at 10.5 HS06 per job: each job is 10.5 (a tie), the group 31.5 rounds to 32; rounding each
    # job would give 33 (ties away from zero) or 30 (ties to even).
    early, late = OCT + timedelta(hours=3), OCT + timedelta(days=9)
    jobs = [
        job(local_job_id="1", wall_duration=1, cpu_duration=1, end_time=late),
        job(local_job_id="2", wall_duration=1, cpu_duration=1, end_time=early),
        job(local_job_id="3", wall_duration=1, cpu_duration=1),
        job(local_job_id="4", vo="cms", vo_group="/cms", service_level_type="si2k",
            service_level=2500.0, wall_duration=7, cpu_duration=3),
    ]  # fmt: skip
    groups = aggregate(RecordKind.JOB, jobs)
    assert len(groups) == 2
    atlas = groups[job_contribution(jobs[0])[0]]
    assert isinstance(atlas, JobTotals)
    assert (atlas.earliest_end_time, atlas.latest_end_time) == (early, late)
    assert (atlas.wall_duration, atlas.cpu_duration, atlas.number_of_jobs) == (3, 3, 3)
    assert (atlas.normalised_wall_duration, atlas.normalised_cpu_duration) == (32, 32)
    cms = groups[job_contribution(jobs[3])[0]]
    assert isinstance(cms, JobTotals)
    assert (cms.normalised_wall_duration, cms.normalised_cpu_duration) == (70, 30)


def summary(**values: Any) -> Record:
    return {
        "site": "SITE-BETA",
        "month": 10,
        "year": 2026,
        "global_user_name": "/CN=Alice",
        "vo": "atlas",
        "vo_group": "/atlas",
        "vo_role": "Role=production",
        "submit_host": "ce01.example.org",
        "infrastructure_type": "grid",
        "service_level_type": "si2k",
        "service_level": 2625.0,
        "node_count": 1,
        "processors": 8,
        "earliest_end_time": OCT + timedelta(days=1),
        "latest_end_time": OCT + timedelta(days=3),
        "wall_duration": 1001,
        "cpu_duration": 7000,
        "number_of_jobs": 4,
    } | values


def test_received_summary_is_normalised_by_its_factor() -> None:
    key, totals = summary_contribution(summary())
    assert key[0] == "summaries"
    assert key[10:12] == ("si2k", 2625.0)
    # si2k 2625 is 10.5 HS06: 1001 s → 10510.5 → 10511; 7000 s → 73500.
    assert (totals.normalised_wall_duration, totals.normalised_cpu_duration) == (10511, 73500)
    assert (totals.wall_duration, totals.number_of_jobs) == (1001, 4)
    assert (totals.earliest_end_time, totals.latest_end_time) == (
        OCT + timedelta(days=1),
        OCT + timedelta(days=3),
    )


def test_received_normalised_summary_is_copied_with_service_level_zero() -> None:
    record = summary(infrastructure="grid", service_level_type="HEPscore23",
                     normalised_wall_duration=12012, normalised_cpu_duration=84000)  # fmt: skip
    key, totals = normalised_summary_contribution(record)
    assert key[0] == "normalised"
    assert key[9:12] == ("grid", "HEPscore23", 0.0)
    assert (totals.normalised_wall_duration, totals.normalised_cpu_duration) == (12012, 84000)
    assert (totals.wall_duration, totals.cpu_duration, totals.number_of_jobs) == (1001, 7000, 4)


# --- replacements -----------------------------------------------------------------------------


def test_a_replaced_job_in_the_same_group_moves_its_sums_only() -> None:
    old = [job(wall_duration=100)]
    new = [job(wall_duration=160)]
    change = changes(RecordKind.JOB, old, new)
    assert change.stale == frozenset()
    (delta,) = change.deltas.values()
    assert isinstance(delta, JobTotals)
    assert (delta.wall_duration, delta.number_of_jobs) == (60, 0)
    assert delta.normalised_wall_units == 60 * 10.5 * NORMALISED_UNITS
    table = aggregate(RecordKind.JOB, [*old, job(local_job_id="2")])
    apply(table, RecordKind.JOB, [*new, job(local_job_id="2")], old, new)
    assert table == aggregate(RecordKind.JOB, [*new, job(local_job_id="2")])


def test_a_job_leaving_its_group_makes_the_group_stale() -> None:
    first, leaving = job(local_job_id="1"), job(local_job_id="2", end_time=OCT + timedelta(days=20))
    moved = job(local_job_id="2", end_time=leaving["end_time"], vo="cms", vo_group="/cms")
    change = changes(RecordKind.JOB, [leaving], [moved])
    atlas, cms = job_contribution(leaving)[0], job_contribution(moved)[0]
    assert change.stale == {atlas}
    assert change.deltas[atlas] == -job_contribution(leaving)[1]
    assert change.deltas[cms] == job_contribution(moved)[1]
    table = aggregate(RecordKind.JOB, [first, leaving])
    apply(table, RecordKind.JOB, [first, moved], [leaving], [moved])
    assert table == aggregate(RecordKind.JOB, [first, moved])
    assert table[atlas].latest_end_time == first["end_time"]  # type: ignore[attr-defined]


def test_an_identical_resend_changes_nothing() -> None:
    records = [job(local_job_id=str(n)) for n in range(3)]
    assert changes(RecordKind.JOB, records, records) == changes(RecordKind.JOB, [], [])
    assert changes(RecordKind.JOB, [], []).deltas == {}


def test_negation_drops_extremes_and_subtract_leaves_out_equal_groups() -> None:
    _, one = job_contribution(job())
    assert (-one).earliest_end_time is None
    assert one - one == replace(
        JobTotals.zero(),
        earliest_end_time=one.earliest_end_time,
        latest_end_time=one.latest_end_time,
    )
    assert subtract({("a",): one}, {("a",): one}) == {}
    assert subtract({}, {("a",): one}) == {("a",): -one}


def test_a_replaced_summary_with_a_later_earliest_end_time_is_rebuilt() -> None:
    old, new = summary(), summary(earliest_end_time=OCT + timedelta(days=2), wall_duration=900)
    change = changes(RecordKind.SUMMARY, [old], [new])
    assert change.stale == set(change.deltas)
    table = aggregate(RecordKind.SUMMARY, [old])
    apply(table, RecordKind.SUMMARY, [new], [old], [new])
    assert table == aggregate(RecordKind.SUMMARY, [new])


SERVICE_LEVELS = [("HEPSPEC", 10.5), ("HEPscore23", 12.0), ("si2k", 2500.123),
                  ("HEPSPEC", 10.123), ("custom", 1.0)]  # fmt: skip


def random_job(rng: random.Random) -> Record:
    service_level_type, service_level = rng.choice(SERVICE_LEVELS)
    return job(
        site=rng.choice(["SITE-A", "SITE-B"]),
        local_job_id=str(rng.randrange(30)),
        end_time=rng.choice([SEP, OCT]) + timedelta(hours=rng.randrange(3)),
        vo=rng.choice(["atlas", "cms"]),
        submit_host=rng.choice(["ce01", "ce02"]),
        wall_duration=rng.randrange(-5, 50_000),
        cpu_duration=rng.randrange(-5, 400_000),
        processors=rng.choice([1, 8]),
        service_level_type=service_level_type,
        service_level=service_level,
    )


@pytest.mark.parametrize("seed", range(40))
def test_incremental_loads_equal_the_rebuild(seed: int) -> None:
    """Messages of random jobs, with resends and replacements by key, loaded in random order."""
    rng = random.Random(seed)
    pool = [random_job(rng) for _ in range(120)]
    pool += [pool[rng.randrange(len(pool))] for _ in range(20)]
    rng.shuffle(pool)
    stored: dict[Key, Record] = {}
    table: dict[Key, Totals] = {}
    while pool:
        size = rng.randint(1, 15)
        message, pool = pool[:size], pool[size:]
        new = list({JOB.key_of(record): record for record in message}.values())
        old = [stored[JOB.key_of(r)] for r in new if JOB.key_of(r) in stored]
        stored.update((JOB.key_of(record), record) for record in new)
        apply(table, RecordKind.JOB, stored.values(), old, new)
        assert table == aggregate(RecordKind.JOB, stored.values())


# --- cloud ------------------------------------------------------------------------------------


def cloud(vm: str, measured: datetime, **values: Any) -> Record:
    """A stored cloud row (measurement time given, counters cumulative since the VM started)."""
    return {
        "vm_uuid": vm,
        "site_name": "EXAMPLE-CLOUD-01",
        "cloud_compute_service": "https://keystone.example.org:5000/v3",
        "global_user_name": "alice@egi.eu",
        "vo": "vo.example.org",
        "vo_group": "/vo.example.org",
        "vo_role": "Role=NULL",
        "status": "started",
        "image_id": "ubuntu",
        "cpu_count": 2.0,
        "benchmark_type": "HEPSCORE23",
        "benchmark": 11.5,
        "cloud_type": "caso/5.2.2 (OpenStack)",
        "start_time": SEP - timedelta(days=5),
        "wall_duration": 0,
        "cpu_duration": 0,
        "network_inbound": 0,
        "network_outbound": 0,
        "memory": 4096,
        "disk": 40,
        "measurement_time": measured,
        "measurement_year": measured.year,
        "measurement_month": measured.month,
    } | values


def stored_cloud_rows(loaded: Iterable[Record]) -> list[Record]:
    """The rows after the loader's upserts: one per VM and month, the last loaded wins (§1.8)."""
    return list({CLOUD.key_of(record): record for record in loaded}.values())


def test_vm_month_deltas_subtract_the_previous_month() -> None:
    september = cloud("B", SEP + timedelta(days=20), wall_duration=864_000, cpu_duration=3_000_000,
                      network_inbound=10, network_outbound=None)  # fmt: skip
    october = cloud("B", OCT + timedelta(days=5), wall_duration=1_296_000,
                    cpu_duration=4_000_000, network_inbound=None, network_outbound=7)  # fmt: skip
    first, second = vm_month_deltas([october, september])
    assert first.record is september
    assert (first.wall_delta, first.cpu_delta) == (864_000, 3_000_000)
    assert (first.network_inbound_delta, first.network_outbound_delta) == (10, None)
    assert (second.wall_delta, second.cpu_delta) == (432_000, 1_000_000)
    # A NULL counter gives no delta; a NULL previous counter counts as 0 (APEL's IFNULL).
    assert (second.network_inbound_delta, second.network_outbound_delta) == (None, 7)


def test_vm_month_deltas_refuse_two_rows_of_one_month() -> None:
    rows = [cloud("A", SEP + timedelta(days=1)), cloud("A", SEP + timedelta(days=2))]
    with pytest.raises(ValueError, match="vm_uuid A: two records for 2026-09"):
        vm_month_deltas(rows)


def test_cloud_sample_scenario() -> None:
    """The README's cloud file: VM A three snapshots in a month, VM B across September and
    October, VM D sent twice; cumulative counters are never counted twice."""
    loaded = [
        cloud("A", SEP + timedelta(days=1), wall_duration=86_400, cpu_duration=172_800),
        cloud("A", SEP + timedelta(days=5), wall_duration=432_000, cpu_duration=864_000),
        cloud("A", SEP + timedelta(days=10), status="completed", wall_duration=820_800,
              cpu_duration=1_641_600),
        cloud("B", SEP + timedelta(days=20), cpu_count=4.0, wall_duration=864_000,
              cpu_duration=3_456_000),
        cloud("B", OCT + timedelta(days=5), cpu_count=4.0, wall_duration=1_296_000,
              cpu_duration=5_184_000),
        cloud("D", OCT + timedelta(days=3), cpu_count=8.0, wall_duration=259_200),
        cloud("D", OCT + timedelta(days=3), cpu_count=8.0, wall_duration=259_200),
    ]  # fmt: skip
    rows = stored_cloud_rows(loaded)
    assert len(rows) == 4
    groups = aggregate(RecordKind.CLOUD, rows)
    by_vm: dict[tuple[float, str, int], CloudTotals] = {}
    for key, totals in groups.items():
        assert isinstance(totals, CloudTotals)
        by_vm[(float(key[11]), key[9], key[4])] = totals
    completed_a = by_vm[(2.0, "completed", 9)]
    assert (completed_a.number_of_vms, completed_a.wall_duration) == (1, 820_800)
    assert completed_a.cpu_duration == 1_641_600
    b_september, b_october = by_vm[(4.0, "started", 9)], by_vm[(4.0, "started", 10)]
    assert (b_september.wall_duration, b_october.wall_duration) == (864_000, 1_296_000 - 864_000)
    assert b_october.cpu_duration == 5_184_000 - 3_456_000
    assert b_september.wall_duration + b_october.wall_duration == 1_296_000
    assert (b_october.memory, b_october.disk, b_october.number_of_vms) == (4096, 40, 1)
    d = by_vm[(8.0, "started", 10)]
    assert (d.number_of_vms, d.wall_duration) == (1, 259_200)
    assert d.earliest_start_time == d.latest_start_time == SEP - timedelta(days=5)
    assert d.cloud_type == "caso/5.2.2 (OpenStack)"
    assert sum(t.number_of_vms for t in by_vm.values()) == 4


def test_a_new_september_snapshot_moves_october_too() -> None:
    """A cloud row is its next month's "previous": replacing it changes both months."""
    old = [cloud("B", SEP + timedelta(days=20), wall_duration=864_000),
           cloud("B", OCT + timedelta(days=5), wall_duration=1_296_000)]  # fmt: skip
    new = [cloud("B", SEP + timedelta(days=29), wall_duration=1_000_000), old[1]]
    change = changes(RecordKind.CLOUD, old, new)
    walls = sorted(t.wall_duration for t in change.deltas.values())  # type: ignore[attr-defined]
    assert walls == [-136_000, 136_000]
    table = aggregate(RecordKind.CLOUD, old)
    apply(table, RecordKind.CLOUD, new, old, new)
    assert table == aggregate(RecordKind.CLOUD, new)


def test_a_vm_changing_status_leaves_a_stale_group() -> None:
    old = [cloud("C", OCT + timedelta(days=1), wall_duration=3600)]
    new = [cloud("C", OCT + timedelta(days=1), wall_duration=7200, status="completed")]
    change = changes(RecordKind.CLOUD, old, new)
    assert len(change.stale) == 1
    table = aggregate(RecordKind.CLOUD, old)
    apply(table, RecordKind.CLOUD, new, old, new)
    assert table == aggregate(RecordKind.CLOUD, new)


def random_snapshot(rng: random.Random) -> Record:
    vm = rng.choice("ABCDE")
    measured = rng.choice([SEP, OCT]) + timedelta(days=rng.randrange(28), hours=rng.randrange(24))
    return cloud(
        vm,
        measured,
        status=rng.choice(["started", "completed"]),
        cpu_count=rng.choice([2.0, 4.0]),
        start_time=SEP - timedelta(days="ABCDE".index(vm)),
        cloud_type=rng.choice(["caso/5.2.1 (OpenStack)", "caso/5.2.2 (OpenStack)"]),
        wall_duration=rng.choice([None, rng.randrange(3_000_000)]),
        cpu_duration=rng.randrange(9_000_000),
        network_inbound=rng.randrange(100),
        memory=rng.choice([None, 4096]),
    )


@pytest.mark.parametrize("seed", range(20))
def test_incremental_cloud_loads_equal_the_rebuild(seed: int) -> None:
    """Random snapshots in random messages: each load recomputes the VMs it touches."""
    rng = random.Random(seed)
    pool = [random_snapshot(rng) for _ in range(60)]
    stored: dict[Key, Record] = {}
    table: dict[Key, Totals] = {}
    while pool:
        size = rng.randint(1, 6)
        message, pool = pool[:size], pool[size:]
        vms = {record["vm_uuid"] for record in message}
        old = [row for row in stored.values() if row["vm_uuid"] in vms]
        stored.update((CLOUD.key_of(record), record) for record in message)
        new = [row for row in stored.values() if row["vm_uuid"] in vms]
        apply(table, RecordKind.CLOUD, stored.values(), old, new)
        assert table == aggregate(RecordKind.CLOUD, stored.values())


def test_received_cloud_summary_is_copied() -> None:
    record = {
        "site_name": "EXAMPLE-CLOUD-01", "cloud_compute_service": "https://keystone",
        "month": 10, "year": 2026, "global_user_name": "alice@egi.eu", "vo": "vo.example.org",
        "vo_group": "/vo.example.org", "vo_role": "Role=NULL", "status": "started",
        "cloud_type": "OpenStack", "image_id": "ubuntu",
        "earliest_start_time": SEP, "latest_start_time": OCT,
        "wall_duration": 7200, "cpu_duration": 3600, "cpu_count": 2.0,
        "network_inbound": None, "network_outbound": 3, "memory": 8192, "disk": 80,
        "benchmark_type": "None", "benchmark": 0.0, "number_of_vms": 2,
    }  # fmt: skip
    ((key, totals),) = aggregate(RecordKind.CLOUD_SUMMARY, [record]).items()
    assert key == (
        "received", "EXAMPLE-CLOUD-01", "https://keystone", 2026, 10, "alice@egi.eu",
        "vo.example.org", "/vo.example.org", "Role=NULL", "started", "ubuntu",
        2.0, "None", 0.0,
    )  # fmt: skip
    assert totals == CloudTotals(
        cloud_type="OpenStack", earliest_start_time=SEP, latest_start_time=OCT,
        wall_duration=7200, cpu_duration=3600, network_inbound=0, network_outbound=3,
        memory=8192, disk=80, number_of_vms=2,
    )  # fmt: skip


# --- accelerators -----------------------------------------------------------------------------


def accelerator(month: int, record: str, **values: Any) -> Record:
    return {
        "measurement_month": month,
        "measurement_year": 2026,
        "associated_record_type": "cloud",
        "associated_record": record,
        "global_user_name": "bob@egi.eu",
        "site_name": "EXAMPLE-CLOUD-01",
        "count": 1.0,
        "cores": None,
        "active_duration": 864_000,
        "available_duration": 864_000,
        "benchmark_type": "None",
        "benchmark": None,
        "type": "GPU",
        "model": "NVIDIA Tesla V100",
    } | values


def test_accelerators_are_summed_per_month_and_model_null_cores_and_benchmark_as_0() -> None:
    records = [
        accelerator(10, "D", count=2.0, cores=13824, available_duration=259_200,
                    active_duration=259_200, model="NVIDIA A100-SXM4-40GB"),
        accelerator(9, "B"),
        accelerator(10, "B", active_duration=691_200),
        accelerator(10, "E", cores=0, benchmark=0.0, active_duration=None),
    ]  # fmt: skip
    groups = aggregate(RecordKind.ACCELERATOR, records)
    assert groups == {
        (2026, 10, "cloud", "bob@egi.eu", "EXAMPLE-CLOUD-01", 13824, "GPU",
         "NVIDIA A100-SXM4-40GB", 0, "None"): AcceleratorTotals(259_200, 259_200, 1),
        (2026, 9, "cloud", "bob@egi.eu", "EXAMPLE-CLOUD-01", 0, "GPU", "NVIDIA Tesla V100",
         0, "None"): AcceleratorTotals(864_000, 864_000, 1),
        (2026, 10, "cloud", "bob@egi.eu", "EXAMPLE-CLOUD-01", 0, "GPU", "NVIDIA Tesla V100",
         0, "None"): AcceleratorTotals(1_728_000, 691_200, 2),
    }  # fmt: skip


# --- the samples (reference samples README) ---------------------------------------------------

SAMPLE_DEFECTS = {
    # The summary files give 40436 s of CPU for Dan Bio's three HEPSPEC biomed jobs of October;
    # the job file's three jobs (5000103.0, 5000107.0, 5000111.0) sum to 45987 s.
    ("Dan Bio", "HEPSPEC", 10, "cpu_duration"): (45987, 40436),
    ("Dan Bio", "HEPSPEC", 10, "normalised_cpu_duration"): (482864, 424578),
    # 78489 s x 10.5 = 824134.5: APEL's MySQL ROUND of a DECIMAL rounds the tie away from zero;
    # the file was rounded to even.
    ("Alice Analyst", "HEPSPEC", 10, "normalised_wall_duration"): (824135, 824134),
}
"""Where the summary sample files differ from the SummariseJobs grouping of the job sample."""


def read_sample(shared_dir: Path, name: str) -> list[Record]:
    return parse_message((shared_dir / "samples/accounting" / name).read_text()).records


def test_the_job_sample_summarises_to_the_summary_samples(shared_dir: Path) -> None:
    """The 21 jobs (SITE-ALPHA) against the 10 summaries (SITE-BETA) and the normalised
    summaries (SITE-GAMMA) made from them, in the same order, site aside."""
    jobs = aggregate(RecordKind.JOB, read_sample(shared_dir, "job_v03_individual.txt"))
    received = read_sample(shared_dir, "summary_v02.txt")
    normalised = read_sample(shared_dir, "normalised_summary_v03.txt")
    assert len(jobs) == len(received) == len(normalised) == 10
    differences = {}
    for summary_record, normalised_record in zip(received, normalised, strict=True):
        key, expected = summary_contribution(summary_record)
        group = jobs[("jobs", "SITE-ALPHA", *key[2:])]
        assert isinstance(group, JobTotals)
        assert isinstance(expected, JobTotals)
        user = summary_record["global_user_name"].rpartition("CN=")[2]
        where = (user, summary_record["service_level_type"], summary_record["month"])
        pairs = [(name, getattr(group, name), getattr(expected, name)) for name in (
            "earliest_end_time", "latest_end_time", "wall_duration", "cpu_duration",
            "number_of_jobs")]  # fmt: skip
        pairs += [(name, getattr(group, name), normalised_record[name]) for name in (
            "normalised_wall_duration", "normalised_cpu_duration")]  # fmt: skip
        assert normalised_record["wall_duration"] == summary_record["wall_duration"]
        differences.update({(*where, name): (ours, theirs) for name, ours, theirs in pairs
                            if ours != theirs})  # fmt: skip
    assert differences == SAMPLE_DEFECTS
