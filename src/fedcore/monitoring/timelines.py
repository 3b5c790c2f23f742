"""Status timelines of one UTC day as event intervals, and the one aggregation primitive.

A timeline (reference §2.1, §7) is a tuple of change points ``(t, state)``: ``t`` in Unix
seconds, sorted, the first at the day's 00:00:00, consecutive states different. A state holds
from its point until the next one, the last until the next midnight (the day is 86 400 s).
Nothing is resampled: points keep second resolution.

- :func:`build` makes a timeline from raw points (state at midnight, then change points);
- :func:`combine` folds several timelines with a truth table at the union of their points;
- :func:`overlay` forces a state over a period and restores the one in force at its end;
- :func:`durations` integrates the seconds spent in each state.

Timestamps are ``YYYY-MM-DDThh:mm:ssZ`` (:func:`parse_timestamp`, :func:`format_timestamp`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter

from fedcore.monitoring.states import InputError, TruthTable

DAY_SECONDS = 86400

Point = tuple[int, str]
Timeline = tuple[Point, ...]


def parse_timestamp(value: object, where: str) -> int:
    """Unix seconds of a ``YYYY-MM-DDThh:mm:ssZ`` string, or :class:`InputError` naming ``where``."""
    if isinstance(value, str) and len(value) == 20 and value[10] == "T" and value[19] == "Z":
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 (UTC by the Z)
        except ValueError:
            pass
        else:
            return calendar.timegm(moment.timetuple())
    raise InputError(f"{where}: expected a UTC timestamp YYYY-MM-DDThh:mm:ssZ, got {value!r}")


def format_timestamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: date) -> int:
    """Unix seconds of ``day`` at 00:00:00 UTC."""
    return calendar.timegm(day.timetuple())


def merge(points: Iterable[Point]) -> Timeline:
    """Drop every point whose state repeats the one before it."""
    result: list[Point] = []
    for point in points:
        if not result or result[-1][1] != point[1]:
            result.append(point)
    return tuple(result)


def build(start: int, initial: str, points: Iterable[Point]) -> Timeline:
    """The timeline that is ``initial`` at ``start`` and then changes at ``points``.

    Points before ``start`` are ignored; of several points at the same second the last given
    wins (a stable sort keeps their order).
    """
    ordered = sorted((p for p in points if p[0] >= start), key=itemgetter(0))
    timeline: list[Point] = [(start, initial)]
    for t, state in ordered:
        if timeline[-1][0] == t:
            timeline[-1] = (t, state)
        else:
            timeline.append((t, state))
    return merge(timeline)


def state_at(timeline: Timeline, t: int) -> str:
    """The state in force at ``t`` (which must not be before the timeline's first point)."""
    current = timeline[0][1]
    for point_t, state in timeline:
        if point_t > t:
            break
        current = state
    return current


def combine(timelines: Sequence[Timeline], table: TruthTable) -> Timeline:
    """Fold ``timelines`` with ``table`` at every point of any of them (reference §2.1).

    All inputs start at the same instant; ``EXCLUDED`` is neutral (:meth:`TruthTable.fold`).
    """
    if not timelines:
        raise ValueError("combine needs at least one timeline")
    start = timelines[0][0][0]
    if any(timeline[0][0] != start for timeline in timelines):
        raise ValueError("combined timelines must start at the same instant")
    if len(timelines) == 1:
        return timelines[0]
    if all(len(timeline) == 1 for timeline in timelines):
        return ((start, table.fold(timeline[0][1] for timeline in timelines)),)
    # every point of every input, in time order (an input has one point per instant)
    events = sorted((t, i, state) for i, timeline in enumerate(timelines) for t, state in timeline)
    current = [timeline[0][1] for timeline in timelines]
    points: list[Point] = []
    for (t, i, state), following in zip(events, (*events[1:], (None, 0, "")), strict=True):
        current[i] = state
        if following[0] != t:
            points.append((t, table.fold(current)))
    return merge(points)


def overlay(timeline: Timeline, start: int, end: int, state: str) -> Timeline:
    """``state`` over ``[start, end)``, the original before and after (clipped to the timeline).

    The state in force at ``end`` in the original resumes at ``end``.
    """
    first = timeline[0][0]
    start = max(start, first)
    if end <= start:
        return timeline
    points = [p for p in timeline if p[0] < start]
    points.append((start, state))
    if end < first + DAY_SECONDS:
        points.append((end, state_at(timeline, end)))
        points.extend(p for p in timeline if p[0] > end)
    return merge(points)


def durations(timeline: Timeline, end: int | None = None) -> dict[str, int]:
    """Seconds spent in each state until ``end`` (default: the next midnight)."""
    stop = timeline[0][0] + DAY_SECONDS if end is None else end
    seconds: dict[str, int] = {}
    for (t, state), following in zip(timeline, (*timeline[1:], (stop, "")), strict=True):
        seconds[state] = seconds.get(state, 0) + max(0, min(following[0], stop) - t)
    return seconds


def to_json(timeline: Timeline) -> list[list[str]]:
    """``[[timestamp, state], ...]`` as the conformance cases and the status API show it."""
    return [[format_timestamp(t), state] for t, state in timeline]
