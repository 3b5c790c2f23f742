"""argo-web-api's renderings: numbers as Go's ``%g`` prints them, its error bodies, and the
query parameters it accepts (reference §12; argo-web-api ``app/results``, ``app/status``,
``app/v3``)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fedcore.monitoring.service.argo_results import ARPoint, Granularity, SupergroupPoint
from fedcore.monitoring.states import InputError
from fedcore.monitoring.timelines import parse_timestamp

ZULU = "%Y-%m-%dT%H:%M:%SZ"


def go_g(value: float) -> str:
    """``value`` as Go's ``fmt.Sprintf("%g", value)``: the shortest decimal that reads back as
    the same double, in exponent form below 1e-4 or from 1e6 on (``1e-05``, ``1e+06``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    magnitude = len(digits) - 1 + exponent
    text = "".join(map(str, digits))
    prefix = "-" if sign else ""
    if -4 <= magnitude < 6:
        if exponent >= 0:
            return prefix + text + "0" * exponent
        point = len(text) + exponent
        if point > 0:
            return f"{prefix}{text[:point]}.{text[point:]}"
        return f"{prefix}0.{'0' * -point}{text}"
    mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
    return f"{prefix}{mantissa}e{'-' if magnitude < 0 else '+'}{abs(magnitude):02d}"


class ArgoError(Exception):
    """An answer in argo-web-api's error shape."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


UNAUTHORIZED = ArgoError(
    401,
    {
        "status": {
            "message": "Unauthorized",
            "code": "401",
            "details": "You need to provide a correct authentication token using the header "
            "'x-api-key'",
        }
    },
)


def bad_request(message: str, details: str) -> ArgoError:
    return ArgoError(
        400,
        {
            "status": {"message": "Bad Request", "code": "400"},
            "errors": [{"message": message, "code": "400", "details": details}],
        },
    )


def not_found(message: str) -> ArgoError:
    return ArgoError(404, {"message": message, "code": 404})


NO_RESULTS = "No results found for given query"


def parse_time(value: str, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(parse_timestamp(value, name), UTC)
    except InputError:
        raise bad_request(
            "Bad Request",
            f"Error parsing {name}={value} - please use zulu format like 2006-01-02T15:04:05Z",
        ) from None


def parse_span(start_time: str, end_time: str) -> tuple[datetime, datetime]:
    if not start_time or not end_time:
        raise bad_request(
            "No time span set",
            "Please use start_time and end_time url parameters to set the prefered time span",
        )
    return parse_time(start_time, "start_time"), parse_time(end_time, "end_time")


def parse_days(start_time: str, end_time: str) -> tuple[date, date]:
    start, end = parse_span(start_time, end_time)
    if end < start:
        raise bad_request("Bad Request", "end_time is before start_time")
    return start.date(), end.date()


def parse_granularity(value: str) -> Granularity:
    try:
        return Granularity(value.lower() or Granularity.DAILY)
    except ValueError:
        raise bad_request(
            "Wrong Granularity",
            f"{value} is not accepted as granularity parameter, please provide either daily, "
            "monthly or custom",
        ) from None


def supergroup_entry(point: SupergroupPoint, key: str) -> dict[str, str]:
    """One ``results`` item of a supergroup: the period under ``key`` (absent for custom),
    A and R."""
    entry = {key: point.period} if point.period is not None else {}
    entry["availability"] = go_g(point.availability)
    entry["reliability"] = go_g(point.reliability)
    return entry


def ar_entry(point: ARPoint, key: str) -> dict[str, str]:
    """One ``results`` item of an endpoint group, service or endpoint: A, R and the
    fractions of the day."""
    entry = supergroup_entry(
        SupergroupPoint(point.period, point.availability, point.reliability), key
    )
    entry["unknown"] = go_g(point.unknown)
    entry["uptime"] = go_g(point.up)
    entry["downtime"] = go_g(point.down)
    return entry


def statuses(
    points: list[tuple[str, str]], last_day: date, now: datetime, *, latest: bool = False
) -> list[dict[str, str]]:
    """The change points, then ARGO's closing point repeating the last state at 23:59:59 of
    the last day asked (at now when that day is today); only the last change point when
    ``latest``."""
    if latest:
        return [{"timestamp": t, "value": v} for t, v in points[-1:]]
    items = [{"timestamp": t, "value": v} for t, v in points]
    if points:
        closing = now if last_day >= now.date() else None
        moment = closing.strftime(ZULU) if closing else f"{last_day.isoformat()}T23:59:59Z"
        items.append({"timestamp": moment, "value": points[-1][1]})
    return items
