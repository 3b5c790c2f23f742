"""APEL's generic field rules (reference §1.3): one record's ``Key: value`` lines to a row.

A :class:`RecordSpec` is built once per message format from its record family: for every field
APEL accepts, the column it goes to, its type and whether it is mandatory. :func:`read_fields`
then reads one record as APEL's ``Record.load_from_msg`` and ``_check_fields`` do, with the same
error texts: null tokens (``none``, ``null``, empty, any case), ``int()`` and ``float()``
conversion, epoch or ``YYYY-MM-DDTHH:MM:SSZ`` datetimes (timezone-aware UTC here), the v0.4
benchmark dictionaries, unknown and ignored fields, missing mandatory fields, ``'None'`` for a
missing optional string and ``None`` for a missing number or datetime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Final

from fedcore.accounting.formats.records import Family, RecordError, column_name

LINE_WITHOUT_PAIR: Final = (
    "Message header is incorrect: not enough values to unpack (expected 2, got 1)"
)
"""APEL's text for a record line without ``:``: the unpacking ValueError of its
``load_from_msg`` escapes the ``except IndexError`` meant for it and is reported by
``RecordFactory.create_records`` as a header error."""
UNKNOWN_FIELD: Final = "Unknown field: {}"
NULL_IN_MANDATORY: Final = "NULL in mandatory field: {}"
MANDATORY_NOT_SPECIFIED: Final = "Mandatory field {} not specified."
UNEXPECTED_FIELD: Final = "Unexpected field {} in message."
INVALID_INT: Final = "Invalid int value {} in field {}"
INVALID_FLOAT: Final = "Invalid float value {} in field {}"
UNKNOWN_DATETIME: Final = "Unknown datetime format!: {}"
NOT_A_DICT: Final = "Expecting dictionary-like value. {}"
DUPLICATE_KEYS: Final = "Duplicate keys found in {}"
NO_BENCHMARK: Final = "No valid benchmark type found"
MIXED_BENCHMARKS: Final = "Mixture of benchmark types detected"

BENCHMARK_PRIORITY: Final = ("hepscore23", "hepspec", "si2k")
"""The benchmark a v0.4 dictionary field contributes, first found in this order (lower case)."""
BENCHMARK_SPELLING: Final = {"hepscore23": "HEPscore23", "hepspec": "HEPSPEC", "si2k": "si2k"}
"""One spelling per benchmark type. APEL's MySQL compares strings without case, so ``hepspec``
and ``HEPSPEC`` are one summary group there; here the stored type is written one way."""


def benchmark_spelling(name: str) -> str:
    """A benchmark type in its one stored spelling (any other type unchanged)."""
    return BENCHMARK_SPELLING.get(name.lower(), name)


STR: Final = 0
INT: Final = 1
DATETIME: Final = 2
FLOAT: Final = 3
DICT_INT: Final = 4
DICT_FLOAT: Final = 5
UNEXPECTED: Final = 6
"""Field kinds. ``UNEXPECTED`` is a field APEL reads and then refuses in ``_check_fields``."""

_KINDS = {"str": STR, "int": INT, "float": FLOAT, "datetime": DATETIME}
NULL_SPELLINGS = frozenset(
    "".join(
        letter.upper() if bit == "1" else letter
        for letter, bit in zip(token, f"{n:04b}", strict=True)
    )
    for token in ("none", "null")
    for n in range(16)
) | {""}
"""Every spelling of APEL's null tokens (``str(value).lower()`` in none, null, empty): no other
string lowers to one of them, so one set lookup decides."""


def is_null(value: str) -> bool:
    """APEL's ``check_for_null``: empty, ``none`` or ``null`` in any case."""
    return value in NULL_SPELLINGS


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """How one message format's records are read into rows of ``family``.

    ``fields`` maps each APEL name the format accepts to ``(column, fast, kind, mandatory,
    default)``: ``fast`` converts a well-formed value (``None`` for a plain string, ``int``,
    ``float``, epoch seconds to datetime), and any value it refuses is read again by the
    careful path, which knows null tokens, ISO datetimes, dictionaries and APEL's texts.
    ``default`` is what a missing or null optional value becomes.
    """

    family: Family
    fields: dict[str, tuple[str, Callable[[str], Any] | None, int, bool, Any]]
    ignored: frozenset[str]
    mandatory: tuple[tuple[str, str], ...]
    mandatory_values: Callable[[dict[str, Any]], tuple[Any, ...]]
    template: dict[str, Any]


def _epoch(value: str) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def _careful(value: str) -> Any:
    raise ValueError(value)


_FAST: dict[int, Callable[[str], Any]] = {INT: int, FLOAT: float, DATETIME: _epoch}


def record_spec(
    family: Family,
    *,
    mandatory: tuple[str, ...],
    ignored: tuple[str, ...] = (),
    dict_fields: tuple[str, ...] = (),
    unfilled: tuple[str, ...] = (),
    unexpected: tuple[str, ...] = (),
    derived_inputs: tuple[str, ...] = (),
) -> RecordSpec:
    """A format's spec: the family's fields with APEL's mandatory and ignored lists.

    ``unfilled`` strings are stored but are not message fields, so a missing one stays ``None``
    (v0.4 ``ServiceLevelType``); ``unexpected`` fields are read and then refused;
    ``derived_inputs`` are accepted string fields whose derived column is recomputed later
    (the cloud record's ``VO``, ``VOGroup`` and ``VORole``).
    """
    fields: dict[str, tuple[str, Callable[[str], Any] | None, int, bool, Any]] = {}
    for apel, column_type in family.fields:
        kind = _KINDS[column_type]
        if apel in dict_fields:
            kind = DICT_INT if kind == INT else DICT_FLOAT
        elif apel in unexpected:
            kind = UNEXPECTED
        default = "None" if kind in (STR, UNEXPECTED) and apel not in unfilled else None
        fast = None if kind == STR else _FAST.get(kind, _careful)
        fields[apel] = (column_name(apel), fast, kind, apel in mandatory, default)
    for apel in derived_inputs:
        fields[apel] = (column_name(apel), None, STR, False, None)
    template = dict.fromkeys(family.columns)
    for column, _fast, _kind, required, default in fields.values():
        # A mandatory field is never legitimately null, so None marks it as not yet read.
        template[column] = None if required else default
    mandatory_columns = tuple((apel, fields[apel][0]) for apel in mandatory)
    return RecordSpec(
        family=family,
        fields=fields,
        ignored=frozenset(ignored),
        mandatory=mandatory_columns,
        mandatory_values=_values_getter(tuple(column for _apel, column in mandatory_columns)),
        template=template,
    )


def _values_getter(columns: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    get = itemgetter(*columns)
    if len(columns) > 1:
        return get
    return lambda record: (get(record),)


def read_fields(spec: RecordSpec, lines: Iterable[Sequence[str]]) -> dict[str, Any]:
    """One record's lines, each ``line.split(':', 1)``, as a row, with APEL's texts.

    Raises :class:`RecordError` (without index; the caller knows the record's position).
    """
    record = spec.template.copy()
    fields = spec.fields
    unexpected = None
    for line in lines:
        try:
            key, value = line
        except ValueError:
            raise RecordError(LINE_WITHOUT_PAIR) from None
        try:
            column, fast, kind, mandatory, default = fields[key]
        except KeyError:
            key = key.strip()
            if key not in fields:
                if key in spec.ignored:
                    continue
                raise RecordError(UNKNOWN_FIELD.format(key), field=key) from None
            column, fast, kind, mandatory, default = fields[key]
        value = value.strip()
        if fast is None:
            if value not in NULL_SPELLINGS:
                record[column] = value
                continue
        else:
            try:
                record[column] = fast(value)
                continue
            except (ValueError, OverflowError, OSError):
                pass
        if kind == UNEXPECTED:
            unexpected = unexpected or key
        elif kind in (DICT_INT, DICT_FLOAT):
            benchmark, number = extract_benchmark(key, value)
            current = record["service_level_type"]
            if current is None:
                record["service_level_type"] = benchmark
            elif current != benchmark:
                raise RecordError(MIXED_BENCHMARKS, field=key)
            record[column] = number if kind == DICT_FLOAT else _int_of(key, number)
        elif is_null(value):
            if mandatory:
                raise RecordError(NULL_IN_MANDATORY.format(key), field=key)
            record[column] = default
        elif kind == INT:
            raise RecordError(INVALID_INT.format(value, key), field=key)
        elif kind == FLOAT:
            raise RecordError(INVALID_FLOAT.format(value, key), field=key)
        else:
            record[column] = _datetime(key, value)
    if None in spec.mandatory_values(record):
        for apel, column in spec.mandatory:
            if record[column] is None:
                raise RecordError(MANDATORY_NOT_SPECIFIED.format(apel), field=apel)
    if unexpected is not None:
        raise RecordError(UNEXPECTED_FIELD.format(unexpected), field=unexpected)
    return record


def _int_of(key: str, number: float) -> int:
    try:
        return int(number)
    except (ValueError, OverflowError):
        raise RecordError(INVALID_INT.format(number, key), field=key) from None


def _datetime(key: str, value: str) -> datetime:
    """A datetime field's value that is not plain epoch seconds (nor a null token)."""
    try:
        seconds = int(value)
    except ValueError:
        try:
            return datetime.strptime(value.replace("Z", "UTC"), "%Y-%m-%dT%H:%M:%S%Z").replace(
                tzinfo=UTC
            )
        except ValueError:
            raise RecordError(UNKNOWN_DATETIME.format(value), field=key) from None
    return from_epoch(key, seconds)


def from_epoch(key: str, seconds: int) -> datetime:
    """UTC datetime of epoch seconds; out of range gives the platform's text, as APEL."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise RecordError(str(error), field=key) from None


def extract_benchmark(key: str, value: str) -> tuple[str, float]:
    """The chosen benchmark and its number from field ``key``'s v0.4 dictionary.

    ``{hepspec: 10.5}`` gives ``('HEPSPEC', 10.5)``; errors are APEL's ``_clean_up_dict`` and
    ``_extract_benchmark_dict`` texts.
    """
    numbers: dict[str, float] = {}
    pairs = []
    for element in value.strip("{}").split(","):
        parts = element.split(":")
        if len(parts) != 2:
            reason = (
                "not enough values to unpack (expected 2, got 1)"
                if len(parts) < 2
                else "too many values to unpack (expected 2)"
            )
            raise RecordError(NOT_A_DICT.format(reason), field=key)
        try:
            pairs.append((parts[0].strip(), float(parts[1].strip())))
        except ValueError as error:
            raise RecordError(NOT_A_DICT.format(error), field=key) from None
    for name, number in pairs:
        if name in numbers:
            raise RecordError(NOT_A_DICT.format(DUPLICATE_KEYS.format(value)), field=key)
        numbers[name] = number
    lowered = {name.lower(): number for name, number in numbers.items()}
    for benchmark in BENCHMARK_PRIORITY:
        if benchmark in lowered:
            return BENCHMARK_SPELLING[benchmark], lowered[benchmark]
    raise RecordError(NO_BENCHMARK, field=key)
