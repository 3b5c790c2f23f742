"""Operations profiles: ARGO's default tables load; incomplete, non-commutative,
non-associative tables and unknown states are refused with the operation and states named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fedcore.monitoring.replay import read_case
from fedcore.monitoring.states import EXCLUDED, InputError, load_operations_profile

AND_ORDER = ["OK", "WARNING", "UNKNOWN", "MISSING", "DOWNTIME", "CRITICAL"]
OR_ORDER = ["MISSING", "DOWNTIME", "UNKNOWN", "CRITICAL", "WARNING", "OK"]


@pytest.fixture
def egi_ops(shared_dir: Path) -> dict[str, Any]:
    profile: dict[str, Any] = read_case(shared_dir / "conformance/argo/e2e-2022-01-14.json")[
        "profiles"
    ]["operations"]
    return profile


def table(profile: dict[str, Any], name: str) -> list[dict[str, str]]:
    (operation,) = [o for o in profile["operations"] if o["name"] == name]
    rows: list[dict[str, str]] = operation["truth_table"]
    return rows


def test_argo_default_tables_are_max_over_a_total_order(egi_ops: dict[str, Any]) -> None:
    profile = load_operations_profile(egi_ops)
    assert (profile.down, profile.missing, profile.unknown) == ("DOWNTIME", "MISSING", "UNKNOWN")
    for name, order in (("AND", AND_ORDER), ("OR", OR_ORDER)):
        operation = profile.operation(name)
        for a in order:
            for b in order:
                assert operation(a, b) == max(a, b, key=order.index), (name, a, b)


def test_excluded_is_neutral(egi_ops: dict[str, Any]) -> None:
    operation = load_operations_profile(egi_ops).operation("AND")
    assert operation.fold(["OK", EXCLUDED, "WARNING"]) == "WARNING"
    assert operation.fold([EXCLUDED, "CRITICAL"]) == "CRITICAL"
    assert operation.fold([EXCLUDED, EXCLUDED]) == EXCLUDED


def test_an_incomplete_table_names_the_missing_pairs(egi_ops: dict[str, Any]) -> None:
    profile = copy.deepcopy(egi_ops)
    rows = table(profile, "OR")
    rows[:] = [r for r in rows if {r["a"], r["b"]} != {"UNKNOWN", "DOWNTIME"}]
    with pytest.raises(InputError) as error:
        load_operations_profile(profile)
    assert str(error.value) == (
        "operations.operations[1]: OR is incomplete: no result for (UNKNOWN, DOWNTIME), "
        "(DOWNTIME, UNKNOWN)"
    )


def test_a_pair_given_two_ways_differently_is_not_commutative(egi_ops: dict[str, Any]) -> None:
    profile = copy.deepcopy(egi_ops)
    table(profile, "AND").append({"a": "WARNING", "b": "OK", "x": "OK"})
    with pytest.raises(InputError) as error:
        load_operations_profile(profile)
    assert str(error.value) == (
        "operations.operations[0]: AND is not commutative: AND(WARNING, OK) is given as both "
        "WARNING and OK"
    )


def test_a_non_associative_table_is_refused(egi_ops: dict[str, Any]) -> None:
    profile = copy.deepcopy(egi_ops)
    for row in table(profile, "AND"):
        if {row["a"], row["b"]} == {"OK", "CRITICAL"}:
            row["x"] = "OK"
    with pytest.raises(InputError) as error:
        load_operations_profile(profile)
    assert str(error.value) == (
        "operations.operations[0]: AND is not associative: (OK AND WARNING) AND CRITICAL = "
        "CRITICAL but OK AND (WARNING AND CRITICAL) = OK"
    )


def test_an_unknown_state_is_named_with_its_place(egi_ops: dict[str, Any]) -> None:
    profile = copy.deepcopy(egi_ops)
    table(profile, "OR")[4]["x"] = "BROKEN"
    with pytest.raises(InputError) as error:
        load_operations_profile(profile)
    assert str(error.value) == (
        "operations.operations[1].truth_table[4].x: unknown state 'BROKEN' "
        "(states: OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME)"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"defaults": {"down": "DOWN", "missing": "MISSING", "unknown": "UNKNOWN"}},
            "operations.defaults.down: unknown state 'DOWN' "
            "(states: OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME)",
        ),
        (
            {"available_states": ["OK", "EXCLUDED"]},
            "operations.available_states: EXCLUDED is reserved for the engine",
        ),
        ({"operations": "AND"}, "operations.operations: expected a list, got str"),
    ],
)
def test_bad_profiles_name_the_field(
    egi_ops: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as error:
        load_operations_profile({**egi_ops, **change})
    assert str(error.value) == message


def test_an_unknown_operation_is_named(egi_ops: dict[str, Any]) -> None:
    with pytest.raises(InputError) as error:
        load_operations_profile(egi_ops).operation("XOR", "aggregation.metric_operation")
    assert str(error.value) == (
        "aggregation.metric_operation: operation 'XOR' is not in operations profile 'egi_ops' "
        "(known: AND, OR)"
    )
