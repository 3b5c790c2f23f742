"""Event-interval timelines: ARGO's AND aggregation fixture (``timeline-and.json``), and
building, overlaying and integrating timelines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fedcore.monitoring.replay import read_case
from fedcore.monitoring.states import InputError, build_truth_table
from fedcore.monitoring.timelines import (
    build,
    combine,
    day_start,
    durations,
    overlay,
    parse_timestamp,
    to_json,
)

START = day_start(date(2021, 1, 15))
H = 3600


def at(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return START + int(hours) * H + int(minutes) * 60


def test_argo_and_fixture(shared_dir: Path) -> None:
    case = read_case(shared_dir / "conformance/argo/timeline-and.json")
    states = tuple(case["states"])
    (rows,) = [t["truth_table"] for t in case["truth_tables"] if t["name"] == case["operation"]]
    table = build_truth_table(
        case["operation"], states, [(r["a"], r["b"], r["x"]) for r in rows], "truth_tables[0]"
    )
    start = day_start(date.fromisoformat(case["date"]))
    inputs = []
    for item in case["inputs"]:
        points = [(parse_timestamp(t, "inputs"), s) for t, s in item["timeline"]]
        initial = next((s for t, s in points if t == start), "MISSING")
        inputs.append(build(start, initial, points))
    assert to_json(combine(inputs, table)) == case["expected"]["timeline"]


def test_build_starts_at_midnight_merges_repeats_and_the_last_of_a_second_wins() -> None:
    timeline = build(
        START,
        "MISSING",
        [(at("02:00"), "OK"), (at("01:00"), "OK"), (at("03:00"), "OK"), (at("03:00"), "CRITICAL")],
    )
    assert timeline == ((START, "MISSING"), (at("01:00"), "OK"), (at("03:00"), "CRITICAL"))


def test_overlay_forces_a_period_and_restores_the_state_in_force_at_its_end() -> None:
    timeline = build(START, "OK", [(at("12:00"), "CRITICAL"), (at("13:30"), "OK")])
    masked = overlay(timeline, at("12:00"), at("14:00"), "DOWNTIME")
    assert masked == ((START, "OK"), (at("12:00"), "DOWNTIME"), (at("14:00"), "OK"))
    inside = overlay(timeline, at("13:00"), at("13:10"), "DOWNTIME")
    assert inside == (
        (START, "OK"),
        (at("12:00"), "CRITICAL"),
        (at("13:00"), "DOWNTIME"),
        (at("13:10"), "CRITICAL"),
        (at("13:30"), "OK"),
    )
    beyond = overlay(timeline, at("18:00"), START + 3 * 86400, "DOWNTIME")
    assert beyond[-1] == (at("18:00"), "DOWNTIME")
    assert overlay(timeline, START - 86400, START - H, "DOWNTIME") == timeline


def test_durations_cover_the_day() -> None:
    timeline = build(START, "OK", [(at("03:00"), "CRITICAL"), (at("18:00"), "UNKNOWN")])
    assert durations(timeline) == {"OK": 3 * H, "CRITICAL": 15 * H, "UNKNOWN": 6 * H}


def test_combining_needs_a_common_start() -> None:
    table = build_truth_table("AND", ("OK",), [("OK", "OK", "OK")], "t")
    with pytest.raises(ValueError, match="same instant"):
        combine([((START, "OK"),), ((START + 1, "OK"),)], table)


@pytest.mark.parametrize(
    "value", ["2021-01-15T00:00:00", "2021-01-15 00:00:00Z", "2021-13-01T00:00:00Z", 0]
)
def test_malformed_timestamps_are_named(value: object) -> None:
    with pytest.raises(InputError) as error:
        parse_timestamp(value, "metric_data.day[0].timestamp")
    assert str(error.value) == (
        f"metric_data.day[0].timestamp: expected a UTC timestamp YYYY-MM-DDThh:mm:ssZ, got {value!r}"
    )
