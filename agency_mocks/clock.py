"""The simulated clock: runs `speed` times faster than real time and can be stepped by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

# China Standard Time; a fixed offset so no tz database is needed.
BEIJING = timezone(timedelta(hours=8), "CST")


class SimClock:
    """Simulated seconds since `start`, derived lazily from a real monotonic clock.

    Nothing ticks in the background: `now()` computes the simulated time from the real time elapsed
    since the last speed change, so a clock with a fake `real` function (or speed 0) is fully
    deterministic for tests.
    """

    def __init__(self, start: datetime, speed: float = 1.0, real: Callable[[], float] = time.monotonic):
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        _check_speed(speed)
        self.start = start
        self._real = real
        self._lock = threading.Lock()
        self._speed = float(speed)
        self._base_sim = 0.0
        self._base_real = real()

    def now(self) -> float:
        with self._lock:
            return self._now_locked()

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        _check_speed(speed)
        with self._lock:
            # Rebase so that time already simulated keeps its value and only the future runs faster.
            self._base_sim = self._now_locked()
            self._base_real = self._real()
            self._speed = float(speed)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base_sim += seconds

    def to_datetime(self, sim_seconds: float) -> datetime:
        return (self.start + timedelta(seconds=sim_seconds)).astimezone(BEIJING)

    def snapshot(self) -> dict[str, object]:
        now = self.now()
        return {
            "start": self.to_datetime(0).isoformat(timespec="seconds"),
            "now": self.to_datetime(now).isoformat(timespec="seconds"),
            "elapsed_seconds": round(now, 3),
            "speed": self._speed,
        }

    def _now_locked(self) -> float:
        return self._base_sim + (self._real() - self._base_real) * self._speed


def _check_speed(speed: float) -> None:
    if speed < 0:
        raise ValueError("speed must be >= 0")
