"""Parsers of every message format APEL accepts (reference §1); pure, no database.

:func:`parse_message` dispatches as APEL's ``RecordFactory.create_records`` does (§1.2): after
stripping the body, ``<`` is XML (the root element's namespace picks CAR or StAR; AUR is
refused), ``{`` is JSON, anything else is APEL's key/value text.
"""

from __future__ import annotations

from xml.etree import ElementTree

from fedcore.accounting.formats import car, star
from fedcore.accounting.formats.apel_text import parse_text
from fedcore.accounting.formats.json_records import parse_json
from fedcore.accounting.formats.records import ParsedMessage, RecordError

AUR_NAMESPACE = "http://eu-emi.eu/namespaces/2012/11/aggregatedcomputerecord"
AUR_REFUSED = "Aggregated usage record not yet supported."
UNKNOWN_XML = "XML format not recognised."


def parse_message(body: str) -> ParsedMessage:
    """The records of one message, or :class:`RecordError` with APEL's text for its first defect."""
    text = body.strip()
    if text.startswith("<"):
        try:
            # expat resolves no external entity and, from 2.4.1, bounds entity expansion.
            root = ElementTree.fromstring(text)  # noqa: S314
        except ElementTree.ParseError as error:
            raise RecordError(str(error)) from None
        namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        if namespace == car.NAMESPACE:
            return car.parse_car(root)
        if namespace == AUR_NAMESPACE:
            raise RecordError(AUR_REFUSED)
        if namespace == star.NAMESPACE:
            return star.parse_star(root)
        raise RecordError(UNKNOWN_XML)
    if text.startswith("{"):
        return parse_json(body)
    return parse_text(text)
