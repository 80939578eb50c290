"""A token bucket: `per_second` requests a second on average, bursts of up to `burst`."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, per_second: float | None, burst: int, monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.configure(per_second, burst)

    def configure(self, per_second: float | None, burst: int) -> None:
        """`per_second=None` switches the limit off."""
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be > 0 (or null for no limit)")
        if burst < 1:
            raise ValueError("burst must be >= 1")
        with self._lock:
            self.per_second, self.burst = per_second, burst
            self._tokens = float(burst)
            self._stamp = self._monotonic()

    def take(self) -> float:
        """Take a token: 0.0 if one was free, else the seconds until one will be (nothing taken)."""
        with self._lock:
            if self.per_second is None:
                return 0.0
            now = self._monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.per_second)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.per_second

    def to_json(self) -> dict[str, float | int | None]:
        return {"per_second": self.per_second, "burst": self.burst}


def retry_after_header(wait_seconds: float) -> str:
    # Retry-After takes whole seconds; round up so a client that obeys it is never early.
    return str(max(1, math.ceil(wait_seconds)))
