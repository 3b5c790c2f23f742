"""Threshold profiles: a metric result's status recomputed from its perfdata (reference §5.3).

A rule ``{metric, host?, endpoint_group?, thresholds}`` carries space-separated
``label=value[uom];warn;crit;min;max`` items. For a result of that metric, the most specific
rule that exists is used: (group, host, metric), then (host, metric), then (group, metric),
then (metric). Each perfdata label of the result that the rule names gives an opinion:

- **WARNING when the value lies strictly inside the warning range**, else
- **CRITICAL when it lies strictly inside the critical range**, else none.

The opinions are combined with the operations profile's ``AND``; with none, the probe's own
status stays. Ranges: ``a:b``, ``a:`` (to +inf), ``~:b`` (from -inf), ``b`` (= ``0:b``); a
leading ``@`` inverts (matches outside or on the bounds).

This is ARGO's convention, kept for identical results, and it is the **opposite of Nagios'**
(Nagios alerts when the value is *outside* the range, bounds inclusive): with the rule
``time=1s;0:0.5;0.5:1;0;10`` a response time of 0.05 s is WARNING. Write rules accordingly.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from fedcore.monitoring.states import InputError, TruthTable, items, text

UNITS = ("us", "ms", "s", "%", "KB", "MB", "TB", "B", "c")
"""Units of measurement a perfdata value may carry (Nagios plugin guidelines)."""

_VALUE = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)([a-zA-Z%]*)$")


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    inverted: bool = False

    def contains(self, value: float) -> bool:
        inside = self.low < value < self.high
        return not inside if self.inverted else inside


def parse_value(raw: str) -> float | None:
    """The number of ``value[uom]``, or None when it is not a number with a known unit."""
    match = _VALUE.match(raw.strip())
    if match is None or (match.group(2) and match.group(2) not in UNITS):
        return None
    return float(match.group(1))


def parse_range(raw: str, where: str) -> Range | None:
    """A range expression; None when empty; :class:`InputError` naming ``where`` if invalid."""
    expression = raw.strip()
    if not expression:
        return None
    inverted = expression.startswith("@")
    body = expression[1:] if inverted else expression
    low_text, sep, high_text = body.partition(":")
    try:
        if not sep:
            return Range(0.0, float(low_text), inverted)
        low = -math.inf if low_text == "~" else float(low_text)
        high = math.inf if high_text == "" else float(high_text)
    except ValueError:
        raise InputError(f"{where}: invalid range {raw!r}") from None
    return Range(low, high, inverted)


@dataclass(frozen=True)
class Threshold:
    label: str
    warning: Range | None
    critical: Range | None

    def status(self, value: float) -> str | None:
        if self.warning is not None and self.warning.contains(value):
            return "WARNING"
        if self.critical is not None and self.critical.contains(value):
            return "CRITICAL"
        return None


def parse_thresholds(raw: str, where: str) -> dict[str, Threshold]:
    """A rule's ``label=value[uom];warn;crit;min;max ...`` items, by label."""
    thresholds: dict[str, Threshold] = {}
    for item in raw.split():
        label, sep, spec = item.partition("=")
        fields = spec.split(";")
        if not sep or not label or parse_value(fields[0]) is None:
            raise InputError(f"{where}: expected label=value[uom];warn;crit;min;max, got {item!r}")
        if len(fields) > 5:
            raise InputError(f"{where}: {item!r} has more than five ';'-separated fields")
        fields += [""] * (5 - len(fields))
        for bound in fields[3:5]:
            if bound.strip() and parse_value(bound) is None:
                raise InputError(f"{where}: invalid min/max {bound!r} in {item!r}")
        thresholds[label] = Threshold(
            label, parse_range(fields[1], where), parse_range(fields[2], where)
        )
    if not thresholds:
        raise InputError(f"{where}: no threshold given")
    return thresholds


_SHELL_FREE = re.compile(r"[^'\"\\\x0b\x0c\x1c-\x1f]*\Z")
"""ASCII text that :func:`shlex.split` splits exactly as :meth:`str.split` does (no quote, no
backslash, no whitespace beyond space, tab, CR and LF)."""


def parse_perfdata(raw: str, labels: Container[str] | None = None) -> dict[str, float]:
    """Numeric values by label of a Nagios perfdata string (only ``labels`` when given);
    malformed items are skipped."""
    if raw.isascii() and _SHELL_FREE.match(raw):
        tokens = raw.split()
    else:
        try:
            tokens = shlex.split(raw)
        except ValueError:
            tokens = raw.split()
    values: dict[str, float] = {}
    for token in tokens:
        label, sep, spec = token.rpartition("=")
        if not sep or not label or (labels is not None and label not in labels):
            continue
        value = parse_value(spec.split(";")[0])
        if value is not None:
            values[label] = value
    return values


@dataclass(frozen=True)
class ThresholdRule:
    metric: str
    host: str | None
    group: str | None
    thresholds: Mapping[str, Threshold]
    expression: str

    def decide(self, actual_data: str, and_table: TruthTable) -> str | None:
        """The status this rule gives a result's perfdata, or None (no opinion)."""
        opinions = [
            opinion
            for label, value in parse_perfdata(actual_data, self.thresholds).items()
            if (opinion := self.thresholds[label].status(value)) is not None
        ]
        return and_table.fold(opinions) if opinions else None


@dataclass(frozen=True)
class ThresholdProfile:
    name: str
    rules: Mapping[tuple[str | None, str | None, str], ThresholdRule]

    def select(self, group: str, host: str, metric: str) -> ThresholdRule | None:
        """The most specific rule for this result, or None."""
        for key in ((group, host, metric), (None, host, metric), (group, None, metric)):
            if key in self.rules:
                return self.rules[key]
        return self.rules.get((None, None, metric))

    def evaluate(
        self, group: str, host: str, metric: str, actual_data: str | None, and_table: TruthTable
    ) -> tuple[str, ThresholdRule] | None:
        """The status the rule decides from ``actual_data`` and the rule, or None (no opinion)."""
        rule = self.select(group, host, metric) if actual_data else None
        if rule is None or actual_data is None:
            return None
        decided = rule.decide(actual_data, and_table)
        return None if decided is None else (decided, rule)


def load_threshold_profile(data: Mapping[str, Any], where: str = "thresholds") -> ThresholdProfile:
    """A threshold profile from ARGO's JSON (``{name, rules: [...]}``)."""
    rules: dict[tuple[str | None, str | None, str], ThresholdRule] = {}
    for index, raw in enumerate(items(data, "rules", where)):
        at = f"{where}.rules[{index}]"
        metric = text(raw, "metric", at)
        host = text(raw, "host", at) if "host" in raw else None
        group = text(raw, "endpoint_group", at) if "endpoint_group" in raw else None
        expression = text(raw, "thresholds", at)
        key = (group, host, metric)
        if key in rules:
            raise InputError(f"{at}: a rule for this metric, host and group is given twice")
        rules[key] = ThresholdRule(
            metric, host, group, parse_thresholds(expression, f"{at}.thresholds"), expression
        )
    return ThresholdProfile(name=str(data.get("name", "")), rules=rules)
