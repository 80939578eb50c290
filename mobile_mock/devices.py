"""Device tokens the mock knows: issued, deleted (app uninstalled), and their topic subscriptions."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any


def new_device_token() -> str:
    """An opaque string shaped like a real FCM registration token (instance id, ':APA91b', payload)."""
    return f"{secrets.token_urlsafe(16)[:22]}:APA91b{secrets.token_urlsafe(105)[:134]}"


class DeviceRegistry:
    """In strict mode only issued tokens are deliverable; in lenient mode any token never deleted is."""

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self._lock = threading.Lock()
        self._issued: dict[str, float] = {}  # token -> issued at (epoch seconds)
        self._deleted: set[str] = set()
        self._subscribers: dict[str, set[str]] = {}  # topic -> tokens
        self._topics: dict[str, set[str]] = {}  # token -> topics

    def issue(self, token: str | None = None) -> str:
        """Issue a new token, or (re)register a given one: a deleted token comes back to life."""
        token = token or new_device_token()
        with self._lock:
            self._deleted.discard(token)
            self._issued.setdefault(token, time.time())
        return token

    def delete(self, token: str) -> None:
        """Uninstall: the token stops being deliverable and leaves its topics."""
        with self._lock:
            self._deleted.add(token)
            self._issued.pop(token, None)
            for topic in self._topics.pop(token, set()):
                self._subscribers.get(topic, set()).discard(token)

    def is_deliverable(self, token: str) -> bool:
        # Set and dict membership are atomic under the GIL: no lock on the send path.
        if token in self._deleted:
            return False
        return not self.strict or token in self._issued

    def subscribe(self, token: str, topic: str) -> bool:
        """Return False if the token was already subscribed."""
        with self._lock:
            topics = self._topics.setdefault(token, set())
            if topic in topics:
                return False
            topics.add(topic)
            self._subscribers.setdefault(topic, set()).add(token)
            return True

    def unsubscribe(self, token: str, topic: str) -> bool:
        """Return False if the token was not subscribed."""
        with self._lock:
            topics = self._topics.get(token, set())
            if topic not in topics:
                return False
            topics.discard(topic)
            self._subscribers[topic].discard(token)
            return True

    def subscribers(self, topics: Iterable[str]) -> dict[str, frozenset[str]]:
        """Each subscriber of any of `topics`, with all the topics it follows (for conditions)."""
        with self._lock:
            tokens = set().union(*(self._subscribers.get(topic, set()) for topic in topics))
            return {token: frozenset(self._topics.get(token, ())) for token in sorted(tokens)}

    def describe(self, token: str) -> dict[str, Any]:
        with self._lock:
            if token in self._deleted:
                state = "deleted"
            elif token in self._issued:
                state = "issued"
            else:
                state = "unknown"
            return {
                "token": token,
                "state": state,
                "deliverable": token not in self._deleted and (not self.strict or token in self._issued),
                "issued_at": self._issued.get(token),
                "topics": sorted(self._topics.get(token, ())),
            }
