"""Server-Sent Events for one device: catch up from a cursor, then push each delivery as it happens."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator

from mobile_mock.state import MockState
from mobile_mock.store import CLOSED, Delivery

RETRY_MS = 2000  # how long EventSource waits before reconnecting


def format_event(delivery: Delivery) -> str:
    # `id:` makes EventSource send Last-Event-ID on reconnect, so the catch-up resumes where it stopped.
    data = json.dumps(delivery.to_json(), ensure_ascii=False)
    return f"id: {delivery.seq}\nevent: message\ndata: {data}\n\n"


def device_stream(state: MockState, token: str, after: int) -> Iterator[str]:
    """Yield events until the server shuts down; a departed client surfaces as a failed keepalive write."""
    feed = state.store.open_feed(token)  # open before the catch-up so nothing falls in between
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n"  # sends the headers now, not at the first message
        last = after
        for delivery in state.store.for_token(token, after, limit=10_000):
            last = delivery.seq
            yield format_event(delivery)
        while not state.shutdown.is_set():
            try:
                item = feed.get(timeout=state.sse_keepalive)
            except queue.Empty:
                yield ": keepalive\n\n"
                continue
            if item is CLOSED:
                return
            if item.seq > last:  # skip what the catch-up already sent
                last = item.seq
                yield format_event(item)
    finally:
        state.store.close_feed(token, feed)
