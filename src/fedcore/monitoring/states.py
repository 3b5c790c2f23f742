"""Status states and the operations profile: truth tables that combine two states into one.

An operations profile (reference §1.1, §3) declares the states (``OK, WARNING, UNKNOWN, MISSING,
CRITICAL, DOWNTIME`` in ARGO's default ``egi_ops``), the states that play the roles *down*,
*missing* and *unknown*, and one truth table per named operation (``AND``, ``OR``, ...). ARGO's
JSON lists each unordered pair once; the table is mirrored here, and it must be:

- defined on known states only,
- complete: every ordered pair of states has a result,
- commutative: a pair listed both ways gives the same result both ways,
- associative: ``(a op b) op c == a op (b op c)`` for every triple, because the several inputs of
  a level are folded in no particular order.

A profile that breaks any of these is refused at load with :class:`InputError` naming the
operation and the states. The engine adds the state ``EXCLUDED`` (recomputations): it is the
neutral element of every operation (:meth:`TruthTable.fold`) and cannot be declared by a profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EXCLUDED = "EXCLUDED"
"""Engine state of an element removed by a recomputation; neutral in every operation."""

UP_STATES = frozenset({"OK", "WARNING"})
"""The states counted as up in A/R (ARGO names them literally, not through profile roles)."""


class InputError(ValueError):
    """Input the engine cannot compute with; the message names the field and the reason."""


def field(data: Mapping[str, Any], key: str, where: str) -> Any:
    """``data[key]``, or :class:`InputError` naming ``where.key`` when it is absent."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected an object, got {type(data).__name__}")
    if key not in data:
        raise InputError(f"{where}.{key}: missing")
    return data[key]


def text(data: Mapping[str, Any], key: str, where: str) -> str:
    """A non-empty string field, or :class:`InputError`."""
    value = field(data, key, where)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def items(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """A list field, or :class:`InputError`."""
    value = field(data, key, where)
    if not isinstance(value, list):
        raise InputError(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class TruthTable:
    """One named operation: the result of every ordered pair of declared states."""

    name: str
    results: Mapping[tuple[str, str], str]

    def __call__(self, a: str, b: str) -> str:
        return self.results[a, b]

    def fold(self, states: Iterable[str]) -> str:
        """Combine several states; ``EXCLUDED`` inputs are skipped, all-``EXCLUDED`` stays so."""
        result: str | None = None
        for state in states:
            if state == EXCLUDED:
                continue
            result = state if result is None else self.results[result, state]
        return EXCLUDED if result is None else result


@dataclass(frozen=True)
class OperationsProfile:
    name: str
    states: tuple[str, ...]
    down: str
    missing: str
    unknown: str
    operations: Mapping[str, TruthTable]

    def operation(self, name: str, where: str = "operation") -> TruthTable:
        """The truth table called ``name``, or :class:`InputError` naming ``where``."""
        try:
            return self.operations[name]
        except KeyError:
            known = ", ".join(self.operations)
            raise InputError(
                f"{where}: operation {name!r} is not in operations profile {self.name!r} "
                f"(known: {known})"
            ) from None

    def check_state(self, state: str, where: str, *, allow_excluded: bool = False) -> str:
        """``state`` if declared (or ``EXCLUDED`` when allowed), else :class:`InputError`."""
        if state in self.states or (allow_excluded and state == EXCLUDED):
            return state
        raise InputError(f"{where}: unknown state {state!r} (states: {', '.join(self.states)})")


def build_truth_table(
    name: str, states: tuple[str, ...], rows: Iterable[tuple[str, str, str]], where: str
) -> TruthTable:
    """Mirror the ``(a, b, x)`` rows and check completeness, commutativity and associativity."""
    known = set(states)
    results: dict[tuple[str, str], str] = {}
    for index, (a, b, x) in enumerate(rows):
        for role, state in (("a", a), ("b", b), ("x", x)):
            if state not in known:
                raise InputError(
                    f"{where}.truth_table[{index}].{role}: unknown state {state!r} "
                    f"(states: {', '.join(states)})"
                )
        for pair in ((a, b), (b, a)):
            if results.setdefault(pair, x) != x:
                raise InputError(
                    f"{where}: {name} is not commutative: {name}({pair[0]}, {pair[1]}) is given "
                    f"as both {results[pair]} and {x}"
                )
    missing = [f"({a}, {b})" for a in states for b in states if (a, b) not in results]
    if missing:
        raise InputError(f"{where}: {name} is incomplete: no result for {', '.join(missing)}")
    for a in states:
        for b in states:
            for c in states:
                left = results[results[a, b], c]
                right = results[a, results[b, c]]
                if left != right:
                    raise InputError(
                        f"{where}: {name} is not associative: ({a} {name} {b}) {name} {c} = "
                        f"{left} but {a} {name} ({b} {name} {c}) = {right}"
                    )
    return TruthTable(name=name, results=results)


def load_operations_profile(
    data: Mapping[str, Any], where: str = "operations"
) -> OperationsProfile:
    """An operations profile from ARGO's JSON (``available_states``, ``defaults``, ``operations``)."""
    raw_states = items(data, "available_states", where)
    if not raw_states or not all(isinstance(s, str) and s for s in raw_states):
        raise InputError(f"{where}.available_states: expected a non-empty list of state names")
    states = tuple(raw_states)
    if len(set(states)) != len(states):
        raise InputError(f"{where}.available_states: a state is listed twice")
    if EXCLUDED in states:
        raise InputError(f"{where}.available_states: {EXCLUDED} is reserved for the engine")
    defaults = field(data, "defaults", where)
    roles = {}
    for role in ("down", "missing", "unknown"):
        state = text(defaults, role, f"{where}.defaults")
        if state not in states:
            raise InputError(
                f"{where}.defaults.{role}: unknown state {state!r} (states: {', '.join(states)})"
            )
        roles[role] = state
    operations: dict[str, TruthTable] = {}
    for index, operation in enumerate(items(data, "operations", where)):
        at = f"{where}.operations[{index}]"
        name = text(operation, "name", at)
        if name in operations:
            raise InputError(f"{at}.name: operation {name!r} is defined twice")
        rows = [
            (
                text(row, "a", f"{at}.truth_table[{i}]"),
                text(row, "b", f"{at}.truth_table[{i}]"),
                text(row, "x", f"{at}.truth_table[{i}]"),
            )
            for i, row in enumerate(items(operation, "truth_table", at))
        ]
        operations[name] = build_truth_table(name, states, rows, at)
    return OperationsProfile(
        name=str(data.get("name", "")),
        states=states,
        down=roles["down"],
        missing=roles["missing"],
        unknown=roles["unknown"],
        operations=operations,
    )
