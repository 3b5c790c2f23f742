"""The extension-property expression parser (GOCDB's ExtensionsQueryNormaliser rules)."""

from __future__ import annotations

import pytest

from fedcore.registry.extensions_expr import (
    ExtensionsSyntaxError,
    ExtensionTerm,
    Operator,
    parse_extensions,
)

AND, OR, NOT = Operator.AND, Operator.OR, Operator.NOT


def test_single_term_defaults_to_and() -> None:
    assert parse_extensions("(VO=Alice)") == [ExtensionTerm(AND, "VO", "Alice")]


def test_operators_carry_over_to_following_groups() -> None:
    terms = parse_extensions(r"(VO=Alice)(VO=Atlas)NOT(VO=LHCB)(VO=AAA)OR(VO=\(BBB\))")
    assert terms == [
        ExtensionTerm(AND, "VO", "Alice"),
        ExtensionTerm(AND, "VO", "Atlas"),
        ExtensionTerm(NOT, "VO", "LHCB"),
        ExtensionTerm(NOT, "VO", "AAA"),
        ExtensionTerm(OR, "VO", "(BBB)"),
    ]


def test_empty_value_and_star_are_wildcards() -> None:
    assert parse_extensions("(P4U_Pilot_VAT=20)(P4U_Pilot_Grid_CPU=)(site=*)") == [
        ExtensionTerm(AND, "P4U_Pilot_VAT", "20"),
        ExtensionTerm(AND, "P4U_Pilot_Grid_CPU", None),
        ExtensionTerm(AND, "site", None),
    ]


def test_whitespace_around_operators_and_groups() -> None:
    assert parse_extensions(" AND (a=1)  OR (b=2) ") == [
        ExtensionTerm(AND, "a", "1"),
        ExtensionTerm(OR, "b", "2"),
    ]


def test_value_may_contain_equals_and_escaped_backslash() -> None:
    assert parse_extensions(r"(url=https://x?a\=b\\c)") == [
        ExtensionTerm(AND, "url", r"https://x?a=b\c")
    ]


def test_key_charset_is_gocdbs() -> None:
    assert parse_extensions("(my key@[x]+1.2-3_4=v)")[0].key == "my key@[x]+1.2-3_4"


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("VO=Alice", "groups"),
        ("(VO=Alice", "groups"),
        ("(VO=Alice))", "groups"),
        ("XOR(VO=Alice)", "groups"),
        ("and(VO=Alice)", "groups"),
        ("()", "groups"),
        ("(VOAlice)", "key=value"),
        ("(=Alice)", "invalid key"),
        ("(V#O=Alice)", "invalid key"),
        (f"({'k' * 256}=v)", "invalid key"),
        ("(VO=a;b)", "contains"),
        ("(VO=a`b)", "contains"),
        (f"(VO={'v' * 256})", "longer than 255"),
    ],
)
def test_invalid_expressions_say_why(expression: str, reason: str) -> None:
    with pytest.raises(ExtensionsSyntaxError, match=reason):
        parse_extensions(expression)
