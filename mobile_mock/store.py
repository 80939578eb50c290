"""What each device received, in delivery order, with live feeds for streaming clients."""

from __future__ import annotations

import queue
import threading
import time
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Any

CLOSED = object()  # put on a feed when the server shuts down


@dataclass(frozen=True)
class Delivery:
    seq: int  # global and never reused, even across resets: the cursor for `after=`
    name: str  # the FCM message name returned to the sender
    token: str
    message: dict[str, Any]  # exactly as sent
    via: str  # "token", "fid", "topic:<name>" or "condition"
    received_at: float  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "name": self.name, "token": self.token, "via": self.via,
                "received_at": self.received_at, "message": self.message}


class MessageStore:
    """Keeps the last `max_messages` deliveries; older ones are dropped from the log and every index."""

    def __init__(self, max_messages: int = 200_000) -> None:
        self._max = max_messages
        self._lock = threading.Lock()
        self._log: list[Delivery] = []
        self._first_seq = 1  # seq of self._log[0]
        self._by_token: dict[str, list[Delivery]] = {}
        self._feeds: dict[str, set[queue.SimpleQueue[Any]]] = {}

    def record(self, name: str, tokens: list[str], message: dict[str, Any], via: str) -> list[Delivery]:
        now = time.time()
        with self._lock:
            seq = self._first_seq + len(self._log)
            deliveries = [Delivery(seq + i, name, token, message, via, now) for i, token in enumerate(tokens)]
            self._log.extend(deliveries)
            for delivery in deliveries:
                self._by_token.setdefault(delivery.token, []).append(delivery)
                for feed in self._feeds.get(delivery.token, ()):
                    feed.put(delivery)
            if len(self._log) > self._max * 5 // 4:  # trim in batches to keep appends amortised O(1)
                self._trim(len(self._log) - self._max)
        return deliveries

    def since(self, after: int = 0, limit: int = 1000) -> list[Delivery]:
        with self._lock:
            start = max(0, after + 1 - self._first_seq)
            return self._log[start:start + limit]

    def for_token(self, token: str, after: int = 0, limit: int = 1000) -> list[Delivery]:
        with self._lock:
            deliveries = self._by_token.get(token, [])
            start = bisect_right(deliveries, after, key=lambda d: d.seq)
            return deliveries[start:start + limit]

    def count_for(self, token: str) -> int:
        with self._lock:
            return len(self._by_token.get(token, ()))

    def last_seq(self) -> int:
        with self._lock:
            return self._first_seq + len(self._log) - 1

    def clear(self) -> None:
        with self._lock:
            self._first_seq += len(self._log)
            self._log = []
            self._by_token = {}

    def open_feed(self, token: str) -> queue.SimpleQueue[Any]:
        feed: queue.SimpleQueue[Any] = queue.SimpleQueue()
        with self._lock:
            self._feeds.setdefault(token, set()).add(feed)
        return feed

    def close_feed(self, token: str, feed: queue.SimpleQueue[Any]) -> None:
        with self._lock:
            feeds = self._feeds.get(token, set())
            feeds.discard(feed)
            if not feeds:
                self._feeds.pop(token, None)

    def feed_count(self) -> int:
        """Open streams: lets tests see that a departed client's stream was cleaned up."""
        with self._lock:
            return sum(len(feeds) for feeds in self._feeds.values())

    def close_all_feeds(self) -> None:
        with self._lock:
            for feeds in self._feeds.values():
                for feed in feeds:
                    feed.put(CLOSED)

    def _trim(self, count: int) -> None:
        dropped = Counter(delivery.token for delivery in self._log[:count])
        del self._log[:count]
        self._first_seq += count
        for token, n in dropped.items():
            remaining = self._by_token[token]
            del remaining[:n]
            if not remaining:
                del self._by_token[token]
