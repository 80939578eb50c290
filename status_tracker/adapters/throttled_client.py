"""STA's and the bank's per-item query over HTTP, behind a rate limit: 429 becomes RateLimited(retry_after)."""

from __future__ import annotations

import math

from status_tracker.adapters.base import ItemAnswer, RateLimited
from status_tracker.adapters.per_item import PerItemClient

DEFAULT_RETRY_AFTER = 1.0  # seconds, when the agency's 429 does not say
MAX_RETRY_AFTER = 600.0  # seconds: the breaker's longest cool-off; a larger wish would silence the agency for days


class ThrottledClient(PerItemClient):
    def fetch(self, reference: str) -> ItemAnswer:
        """The item's status; found=False on 404; raises RateLimited on 429 (the caller waits, then goes on)."""
        response = self._get(reference)
        if response.status_code == 429:
            raise RateLimited(retry_after_seconds(response.headers.get("Retry-After")))
        return self._item_answer(reference, response)


def retry_after_seconds(header: str | None) -> float:
    """Retry-After in seconds, at most MAX_RETRY_AFTER; the default when it is missing, not a number of seconds,
    or negative."""
    try:
        seconds = float(header or "")
    except ValueError:  # also an HTTP-date, which these agencies do not send
        return DEFAULT_RETRY_AFTER
    return min(seconds, MAX_RETRY_AFTER) if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER
