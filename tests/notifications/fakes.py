"""A sender for tests: records every message and answers from a script instead of FCM."""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

from notifications.sending import SendOutcome


class FakeSender:
    """`script(token, *outcomes)` queues answers for one token; `always(token, outcome)` answers every send
    to it the same way; anything else is accepted with a fresh message id."""

    def __init__(self, project_id: str = "demo-swm") -> None:
        self.project_id = project_id
        self.sent: list[dict[str, Any]] = []  # every message handed to send(), in order
        self.calls: list[int] = []  # the size of each send() call
        self._queued: defaultdict[str, deque[SendOutcome]] = defaultdict(deque)
        self._always: dict[str, SendOutcome] = {}
        self._ids = itertools.count(1)
        self.auth_error: str | None = None  # set: the credential fails (every send and authenticate())
        self.auth_checks = 0

    def script(self, token: str, *outcomes: SendOutcome) -> None:
        self._queued[token].extend(outcomes)

    def always(self, token: str, outcome: SendOutcome) -> None:
        self._always[token] = outcome

    def send(self, messages: Sequence[dict[str, Any]]) -> list[SendOutcome]:
        self.calls.append(len(messages))
        if self.auth_error:
            return [SendOutcome.retry(self.auth_error)] * len(messages)
        self.sent.extend(messages)
        return [self._answer(m["token"]) for m in messages]

    def authenticate(self) -> str | None:
        self.auth_checks += 1
        return self.auth_error

    def to(self, token: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["token"] == token]

    def _answer(self, token: str) -> SendOutcome:
        if self._queued[token]:
            return self._queued[token].popleft()
        if token in self._always:
            return self._always[token]
        return SendOutcome.sent(f"projects/{self.project_id}/messages/fake:{next(self._ids)}")
