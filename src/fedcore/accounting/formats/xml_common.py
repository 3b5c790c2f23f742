"""What the XML formats (StAR, CAR) read alike: an element's own text and ISO 8601 times."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from fedcore.accounting.formats.records import RecordError

BAD_TIMESTAMP = "Message header is incorrect: Unable to parse date string {!r}"
"""iso8601's ParseError is a ValueError, reported by APEL's RecordFactory as a header error."""


def own_text(element: Element) -> str:
    """The element's own text (DOM text nodes), without its children's."""
    return "".join([element.text or "", *(child.tail or "" for child in element)])


def epoch_seconds(field: str, timestamp: str) -> str:
    """An ISO 8601 time (any offset; none is UTC) as epoch seconds, the form the field rules
    read; a time that does not parse is APEL's header error, naming FIELD."""
    try:
        parsed = datetime.fromisoformat(timestamp)
    except ValueError:
        raise RecordError(BAD_TIMESTAMP.format(timestamp), field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return str(int(parsed.timestamp()))
