"""Failure rate limits: too many failed attempts from one address within a window are refused.

Only failures count, so a busy, well-behaved client is never slowed down while guessing client
secrets, passwords or codes is (RFC 9700 §4.x brute-force advice). Counters live in the process:
with several processes each enforces the limit on its own share of the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

LIMITS: dict[str, tuple[int, float]] = {
    "token": (30, 60.0),
    "login": (10, 60.0),
}
"""name -> (failures allowed, window in seconds)."""


class FailureLimiter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return deque()
        return failures

    def fail(self, key: str) -> bool:
        """Record a failure; True when the key is now over its limit."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            failures.append(now)
            self._failures[key] = failures
            return len(failures) > self.limit

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def retry_after(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            if not failures:
                return 0
            return max(1, math.ceil(failures[0] + self.window - now))

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


_limiters: dict[str, FailureLimiter] = {}


def failure_limiter(name: str) -> FailureLimiter:
    limiter = _limiters.get(name)
    if limiter is None:
        limit, window = LIMITS[name]
        limiter = _limiters[name] = FailureLimiter(limit, window)
    return limiter
