"""Per-agency fault settings and the seeded dice that decide, request by request, when to misbehave."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: int = 0  # added to every polling response
    timeout_rate: float = 0.0  # share of requests that hang for timeout_seconds, then get 504
    timeout_seconds: float = 30.0
    error_rate: float = 0.0  # share of requests answered with error_status and a JSON error body
    error_status: int = 503
    malformed_rate: float = 0.0  # share of 200 answers whose body is cut short (invalid XML / JSON)
    duplicate_rate: float = 0.0  # share of receipts / results / histories that are repeated
    out_of_order_rate: float = 0.0  # share of feed pages shuffled / per-item answers served stale
    trickle_bytes_per_second: float = 0.0  # 200 answers sent this slowly (0: at once)
    oversize_bytes: int = 0  # 200 answers padded with trailing whitespace to this many bytes (0: as they are)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def merged(self, changes: Mapping[str, Any]) -> FaultSettings:
        """These settings with `changes` applied; raises ValueError on an unknown key or a bad value."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        updated = dataclasses.replace(self, **{k: _number(k, v) for k, v in changes.items()})
        updated._check()
        return updated

    def _check(self) -> None:
        for name in ("timeout_rate", "error_rate", "malformed_rate", "duplicate_rate", "out_of_order_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0 or self.timeout_seconds < 0:
            raise ValueError("latency_ms and timeout_seconds must be >= 0")
        if self.trickle_bytes_per_second < 0 or self.oversize_bytes < 0:
            raise ValueError("trickle_bytes_per_second and oversize_bytes must be >= 0")
        if self.error_status not in ERROR_STATUSES:
            raise ValueError(f"error_status must be one of {ERROR_STATUSES}")


def _number(name: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    return int(value) if name in ("latency_ms", "error_status", "oversize_bytes") else float(value)


class Faults:
    """One agency's current settings plus an RNG re-seeded on every change, so a test's run is repeatable."""

    def __init__(self, agency: str, seed: int):
        self._seed_text = f"{seed}:faults:{agency}"
        self._lock = threading.Lock()
        self.settings = FaultSettings()
        self._rng = random.Random(self._seed_text)

    def update(self, changes: Mapping[str, Any]) -> FaultSettings:
        with self._lock:
            self.settings = self.settings.merged(changes)
            self._rng = random.Random(self._seed_text)
            return self.settings

    def clear(self) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._rng = random.Random(self._seed_text)

    def roll(self, rate: float) -> bool:
        if rate <= 0:  # no draw when off, so switching one fault on does not shift another's dice
            return False
        with self._lock:
            return self._rng.random() < rate

    def cut(self, length: int) -> int:
        """Where to truncate a body of `length` bytes: somewhere in its middle, never at the end."""
        with self._lock:
            return int(length * self._rng.uniform(0.3, 0.8))

    def duplicated(self, entries: Sequence[T]) -> list[T]:
        """`entries` with some repeated later on (at-least-once delivery)."""
        out = list(entries)
        for index in reversed(range(len(entries))):  # from the end, so earlier positions stay valid
            if self.roll(self.settings.duplicate_rate):
                with self._lock:
                    position = self._rng.randint(index + 1, len(out))
                out.insert(position, entries[index])
        return out

    def shuffled(self, entries: Sequence[T]) -> list[T]:
        """`entries` in another order, when the dice say so and there is more than one."""
        out = list(entries)
        if len(out) > 1 and self.roll(self.settings.out_of_order_rate):
            with self._lock:
                self._rng.shuffle(out)
            if out == list(entries):  # a shuffle may leave the order as it was; make it visibly wrong
                out.reverse()
        return out

    def stale(self, history: Sequence[T]) -> Sequence[T]:
        """An older prefix of `history` (an out-of-date replica answering), when the dice say so."""
        if len(history) > 1 and self.roll(self.settings.out_of_order_rate):
            with self._lock:
                return history[: self._rng.randint(1, len(history) - 1)]
        return history
