"""A/R: ARGO's daily vectors (``ar-vectors.json``), the rounding and -1, monthly/custom
periods with ARGO's epsilon, and weighted supergroups (argo-web-api's test values)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from fedcore.monitoring.ar import (
    DailyAR,
    daily_ar,
    monthly_ar,
    period_ar,
    round_half_up,
    supergroup_daily,
    supergroup_period,
)
from fedcore.monitoring.replay import read_case
from fedcore.monitoring.timelines import build, day_start, durations, parse_timestamp

PERFECT = DailyAR(100, 100, 1, 0, 0)
ALL_MISSING = DailyAR(-1, -1, 0, 1, 0)
EXAMPLE_SITE = DailyAR(90.90909, 100, 0.83333, 0.08333, 0.08333)  # reference §10, SITE-A


def day_ar(seconds: dict[str, int], day_seconds: int = 86400) -> DailyAR:
    return daily_ar(
        seconds,
        unknown_states=("UNKNOWN", "MISSING"),
        down_states=("DOWNTIME",),
        day_seconds=day_seconds,
    )


def test_argo_daily_vectors(shared_dir: Path) -> None:
    case = read_case(shared_dir / "conformance/argo/ar-vectors.json")
    for vector in case["vectors"]:
        start = day_start(date.fromisoformat(vector["date"]))
        points = [(parse_timestamp(t, "timeline"), s) for t, s in vector["timeline"]]
        timeline = build(start, points[0][1], points)
        result = day_ar(durations(timeline), case["day_seconds"])
        assert asdict(result) == vector["expected"], vector["name"]


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (200 / 3, 66.66667),
        (100 / 3, 33.33333),
        (0.000005, 0.00001),  # half-up on the decimal form, not on the binary double
        (1.000005, 1.00001),
        (2.675, 2.675),
        (0.123455, 0.12346),
        (-1.0, -1.0),
    ],
)
def test_rounding_is_half_up_on_the_shortest_decimal_form(value: float, rounded: float) -> None:
    assert round_half_up(value) == rounded


def test_undefined_is_minus_one_and_excluded_counts_as_nothing() -> None:
    assert day_ar({"MISSING": 86400}) == ALL_MISSING
    assert day_ar({"UNKNOWN": 43200, "DOWNTIME": 43200}) == DailyAR(0, -1, 0, 0.5, 0.5)
    assert day_ar({"EXCLUDED": 86400}) == DailyAR(0, 0, 0, 0, 0)
    assert day_ar({"OK": 72000, "DOWNTIME": 7200, "UNKNOWN": 7200}) == EXAMPLE_SITE


def test_a_month_is_the_mean_of_the_daily_fractions_with_argos_epsilon() -> None:
    days = [PERFECT] * 28 + [EXAMPLE_SITE, ALL_MISSING]
    month = period_ar(days)
    assert round_half_up(month.availability) == 99.71179
    assert round_half_up(month.reliability) == 99.99996
    assert period_ar([PERFECT] * 30).availability == 99.99999900000002
    assert period_ar([ALL_MISSING] * 3).availability == 0


def test_monthly_groups_the_stored_days_by_calendar_month() -> None:
    first = date(2025, 3, 30)
    days = {first + timedelta(days=i): PERFECT for i in range(4)}
    days[date(2025, 4, 1)] = ALL_MISSING
    months = monthly_ar(days)
    assert list(months) == ["2025-03", "2025-04"]
    assert months["2025-03"] == period_ar([PERFECT, PERFECT])
    assert months["2025-04"] == period_ar([ALL_MISSING, PERFECT])


def ar(availability: float, reliability: float) -> DailyAR:
    return DailyAR(availability, reliability, 0, 0, 0)


def test_supergroup_daily_is_weighted_by_weight_plus_one() -> None:
    # argo-web-api app/results/supergroup_test.go: GROUP_A on 2015-06-22, GROUP_B on 2015-06-23
    assert supergroup_daily([(ar(66.7, 54.6), 5634), (ar(70, 45), 4356)]) == (
        68.13896116893515,
        50.413931144915935,
    )
    assert supergroup_daily([(ar(30, 30), 5344), (ar(90, 90), 5634)])[0] == 60.79234972677595


def test_supergroup_daily_leaves_out_undefined_members() -> None:
    # reference §10: SITE-A (w 1000), SITE-B all unknown (w 3000), SITE-C (w 500)
    members = [(ar(90.90909, 100), 1000), (ar(-1, -1), 3000), (ar(50, 60), 500)]
    availability, reliability = supergroup_daily(members)
    assert availability is not None
    assert reliability is not None
    assert round_half_up(availability) == 77.26365
    assert round_half_up(reliability) == 86.65779
    equal = [(a, 0.0) for a, _ in members]
    assert supergroup_daily(equal) == (70.454545, 80)
    assert supergroup_daily([(ar(-1, -1), 10)]) == (None, None)


def test_supergroup_period_is_the_mean_of_its_defined_days() -> None:
    assert supergroup_period([(68.13896116893515, 50), (75.36324059247399, 50)])[0] == (
        71.75110088070457
    )
    assert supergroup_period([(60.79234972677595, None), (40, None), (None, None), (40, None)]) == (
        46.930783242258656,
        None,
    )
