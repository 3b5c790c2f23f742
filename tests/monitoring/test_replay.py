"""ARGO's end-to-end day (``e2e-2022-01-14.json``) replayed through ``fedcore monitoring replay``
and through the engine: every expected timeline and daily A/R value, exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fedcore.monitoring.cli import app
from fedcore.monitoring.pipeline import compute_day
from fedcore.monitoring.replay import load_case, read_case, render
from fedcore.monitoring.timelines import durations

CASE = "conformance/argo/e2e-2022-01-14.json"
TIMELINES = (
    "metric_timelines",
    "endpoint_timelines",
    "service_timelines",
    "function_timelines",
    "group_timelines",
)
NUMBERS = ("timeline", "hasThr", "availability", "reliability", "up", "unknown", "down")


def by_entity(rows: list[dict[str, Any]]) -> dict[tuple[tuple[str, Any], ...], dict[str, Any]]:
    """Rows keyed by their entity fields (group, function, service, hostname, metric, ...)."""
    keyed = {tuple((k, v) for k, v in row.items() if k not in NUMBERS): row for row in rows}
    assert len(keyed) == len(rows), "an entity is listed twice"
    return keyed


def assert_matches(result: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(result) == {*TIMELINES, "ar"}
    for key in TIMELINES:
        assert by_entity(result[key]) == by_entity(expected[key]), key
    assert set(result["ar"]) == {"endpoints", "services", "groups"}
    for level, rows in expected["ar"].items():
        assert by_entity(result["ar"][level]) == by_entity(rows), level


@pytest.fixture
def case_path(shared_dir: Path) -> Path:
    return shared_dir / CASE


def test_replay_command_reproduces_every_expected_value(case_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["replay", str(case_path)])
    assert outcome.exit_code == 0, outcome.output
    assert_matches(json.loads(outcome.stdout), read_case(case_path)["expected"])


def test_engine_reproduces_every_expected_value_in_a_stable_order(case_path: Path) -> None:
    case = read_case(case_path)
    data = load_case(case)
    first = render(compute_day(data), data.topology)
    assert_matches(first, case["expected"])
    assert render(compute_day(data), data.topology) == first
    assert [m["metric"] for m in first["metric_timelines"][5:10]] == [
        "Metric_A",
        "Metric_B",
        "Metric_C",
        "Metric_D",
        "Metric_E",
    ]


def test_counts_and_the_threshold_flag(case_path: Path) -> None:
    data = load_case(read_case(case_path))
    result = compute_day(data)
    assert [len(result.metrics), len(result.endpoints), len(result.services)] == [58, 19, 10]
    assert [len(result.functions), len(result.groups)] == [9, 7]
    flagged = {(line.group, line.metric) for line in result.metrics if line.has_threshold}
    assert flagged == {("Group_XXXXX", "Metric_XXXXX")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ("[]", "expected a JSON object"),
    ],
)
def test_a_bad_file_exits_2_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(content)
    outcome = CliRunner().invoke(app, ["replay", str(path)])
    assert outcome.exit_code == 2
    assert outcome.stderr == f"error: {path}: {message}\n"


def test_a_missing_file_and_a_bad_field_are_named(tmp_path: Path, case_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["replay", str(tmp_path / "absent.json")])
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith(f"error: {tmp_path / 'absent.json'}: cannot be read")
    case = read_case(case_path)
    case["metric_data"]["day"][3]["timestamp"] = "2022-01-14 00:00"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    outcome = CliRunner().invoke(app, ["replay", str(path)])
    assert outcome.exit_code == 2
    assert outcome.stderr == (
        "error: metric_data.day[3].timestamp: expected a UTC timestamp YYYY-MM-DDThh:mm:ssZ, "
        "got '2022-01-14 00:00'\n"
    )
    assert outcome.stdout == ""


def test_a_result_in_an_unknown_state_is_named(tmp_path: Path, case_path: Path) -> None:
    case = read_case(case_path)
    case["metric_data"]["day"][1]["status"] = "BROKEN"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    outcome = CliRunner().invoke(app, ["replay", str(path)])
    assert outcome.exit_code == 2
    assert outcome.stderr == (
        "error: metric result Hostname_X/Service_X/Metric_X at 2022-01-14T00:00:00Z: status: "
        "unknown state 'BROKEN' (states: OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME)\n"
    )


def test_seconds_per_state_match_argos_duration_tables(case_path: Path) -> None:
    case = read_case(case_path)
    data = load_case(case)
    result = compute_day(data)
    levels = {
        "endpoints": (result.endpoints, ("group", "service", "hostname")),
        "services": (result.services, ("group", "service")),
        "groups": (result.groups, ("group",)),
    }
    for level, (lines, keys) in levels.items():
        ours = {
            tuple(getattr(line, k) for k in keys): (
                len(line.timeline) - 1,
                durations(line.timeline),
            )
            for line in lines
        }
        theirs = {
            tuple(row[k] for k in keys): (row["flipflops"], row["seconds"])
            for row in case["expected"]["durations"][level]
        }
        assert ours == theirs, level
