"""GOCDB's LDAP-like extension-property expressions (``extensions``, ``site_extensions`` and
``service_extensions`` PI parameters; GOCDB ``ExtensionsQueryNormaliser``/``ExtensionsParser2``).

An expression is a sequence of ``(key=value)`` groups, each optionally prefixed by ``AND``, ``OR``
or ``NOT``; a group without an operator takes the last one seen (``AND`` at the start)::

    (VO=Alice)                       entities with property VO=Alice
    AND(VO=Alice)(VO=Atlas)NOT(VO=LHCB)
    (P4U_Pilot_VAT=20)(P4U_Pilot_Grid_CPU=)   empty value (or ``*``): the key with any value

Parentheses inside a group are escaped with a backslash (``(k=a\\(b\\))``). Keys are 1-255
letters, digits, whitespace and ``@ _ - [ ] + .``; values are at most 255 characters without
``;``, quotes or backticks.

Pure: no database or web import. :func:`parse_extensions` returns the terms; the service layer
turns them into SQL, folding them left to right (``AND``: both, ``OR``: either, ``NOT``: and not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Operator(StrEnum):
    AND = "AND"
    OR = "OR"
    NOT = "NOT"


@dataclass(frozen=True)
class ExtensionTerm:
    operator: Operator
    key: str
    value: str | None
    """``None``: any value (the term only requires the key)."""


class ExtensionsSyntaxError(ValueError):
    """The expression cannot be parsed; the message says why."""


_GROUP = r"\((?:\\.|[^()\\])+\)"
_OPERATOR = r"(?:(?:AND|OR|NOT)\s*)?"
_WHOLE = re.compile(rf"^(?:\s*{_OPERATOR}{_GROUP}\s*)+$", re.DOTALL)
_ONE = re.compile(rf"(AND|OR|NOT)?\s*({_GROUP})", re.DOTALL)
_KEY = re.compile(r"^[a-zA-Z0-9\s@_\-\[\]+.]{1,255}$")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_FORBIDDEN_IN_VALUE = frozenset(";'\"`")
MAX_VALUE = 255


def parse_extensions(expression: str) -> list[ExtensionTerm]:
    """The terms of ``expression``, in order; raises :class:`ExtensionsSyntaxError`."""
    if not expression.strip():
        raise ExtensionsSyntaxError("the expression is empty")
    if not _WHOLE.match(expression):
        raise ExtensionsSyntaxError(
            "expected one or more (key=value) groups, each optionally prefixed by AND, OR or NOT"
        )
    terms: list[ExtensionTerm] = []
    operator = Operator.AND
    for match in _ONE.finditer(expression):
        if match.group(1):
            operator = Operator(match.group(1))
        terms.append(_term(operator, _UNESCAPE.sub(r"\1", match.group(2)[1:-1])))
    return terms


def _term(operator: Operator, pair: str) -> ExtensionTerm:
    key, equals, value = pair.partition("=")
    if not equals:
        raise ExtensionsSyntaxError(f"({pair}) is not of the form (key=value)")
    if not _KEY.match(key):
        raise ExtensionsSyntaxError(
            f"invalid key {key!r}: 1-255 letters, digits, whitespace or @ _ - [ ] + ."
        )
    if len(value) > MAX_VALUE:
        raise ExtensionsSyntaxError(f"the value of {key!r} is longer than {MAX_VALUE} characters")
    if _FORBIDDEN_IN_VALUE.intersection(value):
        raise ExtensionsSyntaxError(f"the value of {key!r} contains ; ' \" or `")
    wildcard = not value.strip() or value == "*"
    return ExtensionTerm(operator, key, None if wildcard else value)
