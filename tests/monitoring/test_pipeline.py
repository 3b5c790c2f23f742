"""The daily computation on the worked example of the reference (§10), and recomputations:
monitoring-source exclusion, applied status changes (most specific selector wins), metric
exclusions, group exclusions for A/R; the grace state of metrics new in the profile. Results in
time order (as storage reads them) are read by a faster path than results in any other order:
both give the same day."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fedcore.monitoring.pipeline import DayInput, DayResult, StatusTimeline, compute_day
from fedcore.monitoring.replay import load_case, read_case, render
from fedcore.monitoring.states import InputError
from fedcore.monitoring.timelines import to_json

DAY = "2025-03-10"


def t(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}:00Z"


def result(
    hostname: str, service: str, metric: str, hhmm: str, status: str, **extra: Any
) -> dict[str, Any]:
    day = "2025-03-09" if hhmm == "prev" else DAY
    return {
        "timestamp": t("23:00" if hhmm == "prev" else hhmm, day),
        "service": service,
        "hostname": hostname,
        "metric": metric,
        "status": status,
        "monitoring_host": extra.get("monitoring_host"),
        "actual_data": None,
    }


@pytest.fixture
def example(shared_dir: Path) -> dict[str, Any]:
    """Reference §10: SITE-A in NGI-X with ce1, ce2 (CE) and se1 (SE), one downtime on se1."""
    operations = read_case(shared_dir / "conformance/argo/e2e-2022-01-14.json")["profiles"][
        "operations"
    ]
    results = [
        ("ce1", "CE", "ce.JobSubmit", "prev", "OK"),
        ("ce1", "CE", "ce.JobSubmit", "06:00", "CRITICAL"),
        ("ce1", "CE", "ce.JobSubmit", "08:00", "OK"),
        ("ce1", "CE", "ce.CertLifetime", "prev", "OK"),
        ("ce2", "CE", "ce.JobSubmit", "03:00", "OK"),
        ("ce2", "CE", "ce.JobSubmit", "07:00", "WARNING"),
        ("ce2", "CE", "ce.JobSubmit", "09:00", "OK"),
        ("ce2", "CE", "ce.CertLifetime", "prev", "OK"),
        ("se1", "SE", "se.Put", "prev", "OK"),
        ("se1", "SE", "se.Put", "12:00", "CRITICAL"),
        ("se1", "SE", "se.Put", "13:30", "OK"),
        ("se1", "SE", "se.Get", "prev", "OK"),
        ("se1", "SE", "se.Get", "20:00", "UNKNOWN"),
        ("se1", "SE", "se.Get", "22:00", "OK"),
    ]
    rows = [result(*r) for r in results]
    endpoint = {"date": DAY, "group": "SITE-A", "type": "SITES", "tags": {"monitored": "1"}}
    return {
        "date": DAY,
        "report": {
            "topology_schema": {"group": {"type": "NGI", "group": {"type": "SITES"}}},
            "filter_tags": [
                {"name": "monitored", "value": "1", "context": "argo.endpoint.filter.tags"}
            ],
        },
        "profiles": {
            "operations": operations,
            "aggregation": {
                "metric_operation": "AND",
                "profile_operation": "AND",
                "groups": [
                    {
                        "name": "compute",
                        "operation": "OR",
                        "services": [{"name": "CE", "operation": "OR"}],
                    },
                    {
                        "name": "storage",
                        "operation": "OR",
                        "services": [{"name": "SE", "operation": "OR"}],
                    },
                ],
            },
            "metric": {
                "services": [
                    {"service": "CE", "metrics": ["ce.JobSubmit", "ce.CertLifetime"]},
                    {"service": "SE", "metrics": ["se.Put", "se.Get"]},
                ]
            },
        },
        "topology": {
            "endpoints": [
                {**endpoint, "service": "CE", "hostname": "ce1"},
                {**endpoint, "service": "CE", "hostname": "ce2"},
                {**endpoint, "service": "SE", "hostname": "se1"},
                {**endpoint, "service": "SE", "hostname": "se2", "tags": {"monitored": "0"}},
            ],
            "groups": [{"group": "NGI-X", "type": "NGI", "subgroup": "SITE-A", "tags": {}}],
        },
        "downtimes": [
            {"hostname": "se1", "service": "SE", "start_time": t("12:00"), "end_time": t("13:59")}
        ],
        "recomputations": [],
        "weights": [{"group": "SITE-A", "weight": 1000}],
        "metric_data": {
            "previous_day": [r for r in rows if r["timestamp"].startswith("2025-03-09")],
            "day": [r for r in rows if r["timestamp"].startswith(DAY)],
        },
    }


def compute(case: dict[str, Any]) -> DayResult:
    return compute_day(load_case(case))


def points(line: StatusTimeline) -> list[tuple[str, str]]:
    return [(stamp[11:16], state) for stamp, state in to_json(line.timeline)]


def one(lines: list[StatusTimeline], **keys: str) -> StatusTimeline:
    (line,) = [x for x in lines if all(getattr(x, k) == v for k, v in keys.items())]
    return line


def test_worked_example_timelines(example: dict[str, Any]) -> None:
    day = compute(example)
    assert points(one(day.endpoints, hostname="ce1")) == [
        ("00:00", "OK"),
        ("06:00", "CRITICAL"),
        ("08:00", "OK"),
    ]
    assert points(one(day.endpoints, hostname="ce2")) == [
        ("00:00", "MISSING"),
        ("03:00", "OK"),
        ("07:00", "WARNING"),
        ("09:00", "OK"),
    ]
    assert points(one(day.endpoints, hostname="se1")) == [
        ("00:00", "OK"),
        ("12:00", "DOWNTIME"),
        ("14:00", "OK"),
        ("20:00", "UNKNOWN"),
        ("22:00", "OK"),
    ]
    assert points(one(day.services, service="CE")) == [
        ("00:00", "OK"),
        ("07:00", "WARNING"),
        ("08:00", "OK"),
    ]
    assert points(one(day.groups, group="SITE-A")) == [
        ("00:00", "OK"),
        ("07:00", "WARNING"),
        ("08:00", "OK"),
        ("12:00", "DOWNTIME"),
        ("14:00", "OK"),
        ("20:00", "UNKNOWN"),
        ("22:00", "OK"),
    ]
    assert {e.hostname for e in day.endpoints} == {"ce1", "ce2", "se1"}  # se2 is not monitored


def test_worked_example_ar(example: dict[str, Any]) -> None:
    data = load_case(example)
    ar = render(compute_day(data), data.topology)["ar"]
    numbers = ("availability", "reliability", "up", "unknown", "down")
    by_host = {row["hostname"]: [row[n] for n in numbers] for row in ar["endpoints"]}
    assert by_host == {
        "ce1": [91.66667, 91.66667, 0.91667, 0, 0],
        "ce2": [100, 100, 0.875, 0.125, 0],
        "se1": [90.90909, 100, 0.83333, 0.08333, 0.08333],
    }
    assert [row["service"] for row in ar["services"]] == ["CE", "SE"]
    assert [ar["services"][0][n] for n in numbers] == [100, 100, 1, 0, 0]
    (group,) = ar["groups"]
    assert group == {
        "group": "SITE-A",
        "supergroup": "NGI-X",
        "weight": 1000,
        "availability": 90.90909,
        "reliability": 100,
        "up": 0.83333,
        "unknown": 0.08333,
        "down": 0.08333,
    }


def test_results_of_an_excluded_monitoring_source_are_dropped(example: dict[str, Any]) -> None:
    case = copy.deepcopy(example)
    case["metric_data"]["day"].append(
        result("ce1", "CE", "ce.CertLifetime", "10:00", "CRITICAL", monitoring_host="monB")
    )
    case["recomputations"] = [
        {
            "start_time": t("00:00"),
            "end_time": t("23:59"),
            "status": "approved",
            "exclude_monitoring_source": [
                {"host": "monB", "start_time": t("09:00"), "end_time": t("10:00")}
            ],
        }
    ]
    assert points(one(compute(case).metrics, hostname="ce1", metric="ce.CertLifetime")) == [
        ("00:00", "OK")
    ]
    case["recomputations"][0]["status"] = "pending"
    assert points(one(compute(case).metrics, hostname="ce1", metric="ce.CertLifetime")) == [
        ("00:00", "OK"),
        ("10:00", "CRITICAL"),
    ]


def test_applied_status_changes_most_specific_selector_wins(example: dict[str, Any]) -> None:
    case = copy.deepcopy(example)
    case["recomputations"] = [
        {
            "start_time": t("05:00"),
            "end_time": t("09:59"),
            "status": "running",
            "applied_status_changes": [
                {"group": "SITE-A", "service": "CE", "state": "OK"},
                {"metric": "ce.JobSubmit", "state": "EXCLUDED"},
            ],
        },
        {
            "start_time": t("06:00"),
            "end_time": t("06:59"),
            "status": "done",
            "applied_status_changes": [
                {"metric": "ce.JobSubmit", "hostname": "ce1", "state": "CRITICAL"},
            ],
        },
    ]
    day = compute(case)
    assert points(one(day.metrics, hostname="ce1", metric="ce.JobSubmit")) == [
        ("00:00", "OK"),
        ("05:00", "EXCLUDED"),
        ("06:00", "CRITICAL"),
        ("07:00", "EXCLUDED"),
        ("10:00", "OK"),
    ]
    assert points(one(day.metrics, hostname="ce2", metric="ce.JobSubmit")) == [
        ("00:00", "MISSING"),
        ("03:00", "OK"),
        ("05:00", "EXCLUDED"),
        ("10:00", "OK"),
    ]
    # ce2 with JobSubmit excluded is its CertLifetime alone (EXCLUDED is neutral)
    assert points(one(day.endpoints, hostname="ce2")) == [("00:00", "MISSING"), ("03:00", "OK")]
    # the service-level change forces CE to OK from 05:00 to 10:00, whatever is below
    assert points(one(day.services, service="CE")) == [("00:00", "OK")]


def test_exclude_metrics_restores_the_real_state_after_the_end_minute(
    example: dict[str, Any],
) -> None:
    case = copy.deepcopy(example)
    case["recomputations"] = [
        {
            "start_time": t("12:00"),
            "end_time": t("12:59"),
            "status": "approved",
            "exclude_metrics": [{"metric": "se.Put", "hostname": "se1"}],
        }
    ]
    assert points(one(compute(case).metrics, metric="se.Put")) == [
        ("00:00", "OK"),
        ("12:00", "EXCLUDED"),
        ("13:00", "CRITICAL"),
        ("13:30", "OK"),
    ]


def test_a_group_exclusion_counts_as_unknown_in_ar_only(example: dict[str, Any]) -> None:
    case = copy.deepcopy(example)
    case["recomputations"] = [
        {
            "start_time": t("00:00"),
            "end_time": t("11:59"),
            "status": "approved",
            "exclude": ["SITE-A"],
        }
    ]
    data = load_case(case)
    day = compute_day(data)
    assert points(one(day.groups, group="SITE-A"))[1] == ("07:00", "WARNING")
    (group,) = render(day, data.topology)["ar"]["groups"]
    assert (group["up"], group["unknown"], group["availability"]) == (0.33333, 0.58333, 80)


def test_new_metrics_without_results_start_unknown(example: dict[str, Any]) -> None:
    data = load_case(example)
    data = replace(data, previous_day=[], results=[], new_metrics=frozenset({("SE", "se.Get")}))
    day = compute_day(data)
    assert points(one(day.metrics, metric="se.Get")) == [("00:00", "UNKNOWN")]
    assert points(one(day.metrics, metric="se.Put")) == [("00:00", "MISSING")]


def test_an_unknown_applied_state_is_named(example: dict[str, Any]) -> None:
    case = copy.deepcopy(example)
    case["recomputations"] = [
        {
            "start_time": t("00:00"),
            "end_time": t("01:00"),
            "applied_status_changes": [{"metric": "se.Put", "state": "FINE"}],
        }
    ]
    with pytest.raises(InputError) as error:
        load_case(case)
    assert str(error.value) == (
        "recomputations[0].applied_status_changes[0].state: unknown state 'FINE' "
        "(states: OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME)"
    )


def in_time_order(data: DayInput) -> DayInput:
    """The day's and the previous day's results oldest first, as storage reads them."""
    return replace(
        data,
        results=sorted(data.results, key=lambda r: r.timestamp),
        previous_day=sorted(data.previous_day, key=lambda r: r.timestamp),
    )


def test_results_in_time_order_give_the_same_day(shared_dir: Path) -> None:
    data = load_case(read_case(shared_dir / "conformance/argo/e2e-2022-01-14.json"))
    assert data.results != in_time_order(data).results  # the case lists them otherwise
    expected = render(compute_day(data), data.topology)
    assert render(compute_day(in_time_order(data)), data.topology) == expected
    backwards = replace(data, results=data.results[::-1])
    assert render(compute_day(backwards), data.topology) == expected


@pytest.mark.parametrize("order", ["as given", "in time order"])
def test_of_several_results_at_one_second_the_last_given_wins(
    example: dict[str, Any], order: str
) -> None:
    case = copy.deepcopy(example)
    case["metric_data"]["day"] += [
        result("ce1", "CE", "ce.CertLifetime", "10:00", "CRITICAL"),
        result("ce1", "CE", "ce.CertLifetime", "10:00", "OK"),
        result("ce1", "CE", "ce.CertLifetime", "11:00", "WARNING"),
        result("ce1", "CE", "ce.CertLifetime", "11:00", "WARNING"),
        result("ce1", "CE", "ce.CertLifetime", "12:00", "OK"),
        result("ce1", "CE", "ce.CertLifetime", "12:00", "CRITICAL"),
    ]
    data = load_case(case)
    day = compute_day(in_time_order(data) if order == "in time order" else data)
    assert points(one(day.metrics, hostname="ce1", metric="ce.CertLifetime")) == [
        ("00:00", "OK"),
        ("11:00", "WARNING"),
        ("12:00", "CRITICAL"),
    ]


@pytest.mark.parametrize(
    ("order", "named"),
    [
        ("as given", "08:00:00Z: status: unknown state 'FOO'"),
        ("in time order", "06:00:00Z: status: unknown state 'BAR'"),
    ],
)
def test_the_first_result_in_an_unknown_state_is_named(
    example: dict[str, Any], order: str, named: str
) -> None:
    case = copy.deepcopy(example)
    case["metric_data"]["day"] += [
        result("se1", "SE", "se.Get", "08:00", "FOO"),
        result("se1", "SE", "se.Get", "06:00", "BAR"),
    ]
    data = load_case(case)
    with pytest.raises(InputError) as error:
        compute_day(in_time_order(data) if order == "in time order" else data)
    assert str(error.value).startswith("metric result se1/SE/se.Get at 2025-03-10T")
    assert named in str(error.value)


@pytest.mark.parametrize("order", ["as given", "in time order"])
def test_excluded_sources_and_new_metrics_in_either_order(
    example: dict[str, Any], order: str
) -> None:
    case = copy.deepcopy(example)
    case["metric_data"]["day"] += [
        result("ce1", "CE", "ce.CertLifetime", "09:30", "CRITICAL", monitoring_host="monB"),
        result("ce1", "CE", "ce.CertLifetime", "10:30", "CRITICAL", monitoring_host="monB"),
        result("ce1", "CE", "ce.CertLifetime", "11:00", "OK", monitoring_host="monA"),
    ]
    case["recomputations"] = [
        {
            "start_time": t("00:00"),
            "end_time": t("23:59"),
            "status": "approved",
            "exclude_monitoring_source": [
                {"host": "monB", "start_time": t("09:00"), "end_time": t("10:00")}
            ],
        }
    ]
    data = load_case(case)
    data = replace(data, new_metrics=frozenset({("SE", "se.Get"), ("CE", "ce.JobSubmit")}))
    day = compute_day(in_time_order(data) if order == "in time order" else data)
    assert points(one(day.metrics, hostname="ce1", metric="ce.CertLifetime")) == [
        ("00:00", "OK"),
        ("10:30", "CRITICAL"),
        ("11:00", "OK"),
    ]
    # new in the profile: UNKNOWN only without any result; a carried-over status stays
    assert points(one(day.metrics, hostname="ce2", metric="ce.JobSubmit"))[0] == (
        "00:00",
        "MISSING",
    )
    assert points(one(day.metrics, hostname="ce1", metric="ce.JobSubmit"))[0] == ("00:00", "OK")
