"""Counts send outcomes: accepted sends, deliveries, errors per FCM code, and the same per token."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class SendStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._accepted = 0  # send requests FCM would answer 200 (not validate_only)
            self._validated = 0  # validate_only requests answered 200
            self._delivered = 0  # messages stored for a device (a topic send counts each subscriber)
            self._errors: Counter[str] = Counter()
            self._per_token: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def accepted(self, tokens: list[str]) -> None:
        with self._lock:
            self._accepted += 1
            self._delivered += len(tokens)
            for token in tokens:
                self._per_token[token]["delivered"] += 1

    def validated(self) -> None:
        with self._lock:
            self._validated += 1

    def error(self, code: str, token: str | None = None) -> None:
        with self._lock:
            self._errors[code] += 1
            if token is not None:
                self._per_token[token][code] += 1

    def snapshot(self, per_token: bool = True) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = {
                "accepted": self._accepted,
                "validated_only": self._validated,
                "delivered": self._delivered,
                "errors": dict(self._errors),
                "error_total": sum(self._errors.values()),
            }
            if per_token:
                result["per_token"] = {token: dict(counts) for token, counts in self._per_token.items()}
            return result
