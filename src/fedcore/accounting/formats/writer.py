"""APEL key/value messages written from records, as APEL's clients and cASO write them: the
header line, then each record's ``Key: value`` lines, records separated by ``%%``.

Times are written as epoch seconds and a ``None`` value is left out, so that what
:func:`fedcore.accounting.formats.parse_message` reads back equals what was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return str(int(value.timestamp()))
    return str(value)


def text_message(header: str, records: Iterable[Mapping[str, Any]]) -> str:
    """One message of HEADER (e.g. ``APEL-individual-job-message: v0.3``) holding RECORDS,
    each a mapping of APEL field names to values."""
    lines = [header]
    for record in records:
        lines.extend(
            f"{key}: {_value(value)}" for key, value in record.items() if value is not None
        )
        lines.append("%%")
    return "\n".join(lines) + "\n"
