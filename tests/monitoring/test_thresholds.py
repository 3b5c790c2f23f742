"""Threshold rules: ARGO's range convention (inside the range alerts, bounds excluded), rule
selection by specificity, perfdata parsing and rule errors."""

from __future__ import annotations

import math

import pytest

from fedcore.monitoring.states import InputError, build_truth_table
from fedcore.monitoring.thresholds import (
    Range,
    load_threshold_profile,
    parse_perfdata,
    parse_range,
    parse_thresholds,
)

STATES = ("OK", "WARNING", "CRITICAL")
AND = build_truth_table(
    "AND",
    STATES,
    [
        ("OK", "OK", "OK"),
        ("OK", "WARNING", "WARNING"),
        ("OK", "CRITICAL", "CRITICAL"),
        ("WARNING", "WARNING", "WARNING"),
        ("WARNING", "CRITICAL", "CRITICAL"),
        ("CRITICAL", "CRITICAL", "CRITICAL"),
    ],
    "AND",
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0:0.5", Range(0, 0.5)),
        ("10", Range(0, 10)),
        ("10:", Range(10, math.inf)),
        ("~:20", Range(-math.inf, 20)),
        ("@20:30", Range(20, 30, inverted=True)),
        ("", None),
    ],
)
def test_range_syntax(expression: str, expected: Range | None) -> None:
    assert parse_range(expression, "t") == expected


def test_inside_alerts_bounds_excluded_and_at_inverts() -> None:
    assert Range(0, 0.5).contains(0.051426)
    assert not Range(0, 0.5).contains(0.5)
    assert not Range(0, 0.5).contains(0)
    assert not Range(0, 0.5).contains(0.7)
    assert Range(20, 30, inverted=True).contains(20)
    assert Range(20, 30, inverted=True).contains(31)
    assert not Range(20, 30, inverted=True).contains(25)


def test_argo_fixture_rule_makes_a_fast_ok_a_warning_opposite_to_nagios() -> None:
    (threshold,) = parse_thresholds("time=1s;0:0.5;0.5:1;0;10", "t").values()
    assert threshold.status(0.051426) == "WARNING"
    assert threshold.status(0.7) == "CRITICAL"
    assert threshold.status(5) is None
    assert threshold.status(0.5) is None


def test_most_specific_rule_wins_and_labels_combine_with_and() -> None:
    profile = load_threshold_profile(
        {
            "rules": [
                {"metric": "m", "thresholds": "time=1s;0:1;1:2"},
                {"metric": "m", "endpoint_group": "G", "thresholds": "time=1s;5:6"},
                {"metric": "m", "host": "h", "thresholds": "time=1s;;0:1 size=1B;0:10;10:20"},
                {"metric": "m", "host": "h", "endpoint_group": "G", "thresholds": "size=1;;0:5"},
            ]
        }
    )
    perfdata = "time=0.5s;;;0;10 size=3B;;;0;"
    assert profile.evaluate("G", "h", "m", perfdata, AND) == (
        "CRITICAL",
        profile.rules["G", "h", "m"],
    )
    assert profile.select("G", "h", "m") == profile.rules["G", "h", "m"]
    assert profile.select("X", "h", "m") == profile.rules[None, "h", "m"]
    assert profile.select("G", "x", "m") == profile.rules["G", None, "m"]
    assert profile.select("X", "x", "m") == profile.rules[None, None, "m"]
    assert profile.select("X", "x", "other") is None
    assert profile.evaluate("X", "h", "m", perfdata, AND) == (
        "CRITICAL",
        profile.rules[None, "h", "m"],
    )
    assert profile.evaluate("X", "h", "m", "time=5s size=30B", AND) is None
    assert profile.evaluate("X", "h", "m", None, AND) is None


def test_perfdata_parsing() -> None:
    assert parse_perfdata("time=0.001398s;;;0.000000;10.000000 size=112B;;;0;") == {
        "time": 0.001398,
        "size": 112.0,
    }
    assert parse_perfdata("'response time'=20ms;0;300 bad=x% other=1furlong") == {
        "response time": 20.0
    }
    assert parse_perfdata("time=1s size=2B time=3s", labels={"time"}) == {"time": 3.0}
    # with a backslash, a quote or whitespace beyond space, tab, CR and LF, split as a shell does
    assert parse_perfdata("a\\ b=1 c=2\x0bd=3") == {"a b": 1.0, "c=2\x0bd": 3.0}


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (
            "time",
            "thresholds.rules[0].thresholds: expected label=value[uom];warn;crit;min;max, got 'time'",
        ),
        (
            "time=1x;0:1",
            "thresholds.rules[0].thresholds: expected label=value[uom];warn;crit;min;max, got 'time=1x;0:1'",
        ),
        ("time=1s;a:b", "thresholds.rules[0].thresholds: invalid range 'a:b'"),
        (
            "time=1s;0:1;1:2;0;10;11",
            "thresholds.rules[0].thresholds: 'time=1s;0:1;1:2;0;10;11' has more than five ';'-separated fields",
        ),
    ],
)
def test_bad_rules_are_named(thresholds: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        load_threshold_profile({"rules": [{"metric": "m", "thresholds": thresholds}]})
    assert str(error.value) == message
