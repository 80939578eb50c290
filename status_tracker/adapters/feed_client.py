"""GACC's change feed over HTTP: one GET of the receipts after a cursor; parsing is feed_parser's."""

from __future__ import annotations

from status_tracker.adapters.base import FeedPage
from status_tracker.adapters.feed_parser import parse_feed
from status_tracker.adapters.http_calls import AgencyClient
from status_tracker.adapters.problems import unreadable

MAX_LIMIT = 1000  # the feed caps larger pages silently


class FeedClient(AgencyClient):
    def fetch(self, after: int, limit: int = 100) -> FeedPage:
        """The page after SEQ_NO `after`. Raises AgencyUnavailable, also for a page that cannot be read at all
        (so the caller keeps its cursor); a partly readable page comes back with its problems."""
        if after < 0 or limit < 1:
            raise ValueError(f"after must be >= 0 and limit >= 1, got after={after}, limit={limit}")
        response = self._send("GET", "/receipts", params={"after": after, "limit": min(limit, MAX_LIMIT)})
        if response.status_code != 200:
            raise self._refused(response)
        page = parse_feed(response.content)
        problem = unreadable(page.problems)
        if problem is not None:
            raise self._unreadable(problem)
        return page
