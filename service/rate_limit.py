"""A per-key request rate limit: a token bucket for each API key, in this process's memory.

Each key may send ``per_minute`` requests a minute on average and up to ``per_minute`` at once
(the bucket holds a minute's worth). A request that finds the bucket empty is refused with the
seconds until the next token. The buckets live in one process: with several workers or replicas
each enforces the rate on its own (OWASP API4:2023, unrestricted resource consumption, asks for a
limit; a shared one would need a shared store).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allow each key ``per_minute`` requests a minute; ``clock`` is injectable for tests."""

    def __init__(self, *, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int:
        """Take a token for ``key``; return 0 when allowed, else the whole seconds to wait (Retry-After)."""
        with self._lock:
            now = self.clock()
            bucket = self._buckets.setdefault(key, _Bucket(tokens=self.capacity, updated=now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / self.per_second))
