"""Agency adapters: per polling style an HTTP client (I/O only) and a pure parser (bytes in, data out).

    FeedClient(agency, base_url, http, timeout).fetch(after, limit) -> FeedPage          GACC (XML change feed)
    BatchClient(...).query(references) -> BatchAnswer                                    MOFCOM, CCPIT
    EtagClient(...).fetch(reference, etag) -> ItemAnswer                                 MSA
    ThrottledClient(...).fetch(reference) -> ItemAnswer                                  STA, bank

`build_clients(base_url, http, timeout=, max_bytes=, stop=)` builds one client per agency of
status_tracker.agencies.AGENCIES (all subclass AgencyClient). Clients raise only AgencyUnavailable and RateLimited
(base.py), plus ValueError for a caller's mistake (a batch over 100, a negative cursor); a request ends by its
deadline and reads at most max_bytes (http_calls.py).
Parsers never raise, and bound every field of a receipt to what the tables store (bounds.py):

* an unreadable payload (cut short, not XML/JSON, an XML bomb, the wrong shape, no usable cursor) has an `Unreadable`
  among its problems (`unreadable(problems)` finds it) and no receipts; the clients raise AgencyUnavailable for it,
  so the poll cycle keeps its cursor / the item stays due;
* a partly readable payload returns what could be read, with a RejectedReceipt (a ParseProblem carrying the
  reference and the receipt's text, for quarantine) per skipped receipt; the feed's next_cursor is then
  HEAD/NEXT_SEQ.
"""

from __future__ import annotations

import threading

import httpx

from status_tracker.adapters.base import (
    AgencyError,
    AgencyUnavailable,
    BadAnswer,
    BatchAnswer,
    FeedPage,
    ItemAnswer,
    ItemStatus,
    ParseProblem,
    RateLimited,
    Receipt,
    RejectedReceipt,
    Stopped,
)
from status_tracker.adapters.batch_client import BatchClient
from status_tracker.adapters.etag_client import EtagClient
from status_tracker.adapters.feed_client import FeedClient
from status_tracker.adapters.feed_parser import parse_feed
from status_tracker.adapters.http_calls import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, AgencyClient, AgencyResponse
from status_tracker.adapters.json_parser import parse_batch, parse_item, parse_item_status
from status_tracker.adapters.problems import Unreadable, unreadable
from status_tracker.adapters.throttled_client import ThrottledClient
from status_tracker.agencies import AGENCIES, PollStyle

CLIENT_FOR_STYLE: dict[PollStyle, type[AgencyClient]] = {
    PollStyle.CHANGE_FEED: FeedClient,
    PollStyle.BATCH_QUERY: BatchClient,
    PollStyle.ETAG_ITEM: EtagClient,
    PollStyle.RATE_LIMITED_ITEM: ThrottledClient,
}


def build_client(agency: str, base_url: str, http: httpx.Client, timeout: float = DEFAULT_TIMEOUT,
                 max_bytes: int = DEFAULT_MAX_BYTES, stop: threading.Event | None = None) -> AgencyClient:
    """The client for one agency key; `base_url` is where the agencies live (the agency's own root is under it).
    `timeout` is each request's deadline (s), `max_bytes` the largest answer read; once `stop` is set, a request
    gives up (AgencyUnavailable) at its next check."""
    client_class = CLIENT_FOR_STYLE[AGENCIES[agency].style]
    return client_class(agency, f"{base_url.rstrip('/')}/{agency}", http, timeout, max_bytes, stop)


def build_clients(base_url: str, http: httpx.Client, timeout: float = DEFAULT_TIMEOUT,
                  max_bytes: int = DEFAULT_MAX_BYTES, stop: threading.Event | None = None) -> dict[str, AgencyClient]:
    """One client per agency key of AGENCIES, all sharing `http` (its connection pool)."""
    return {agency: build_client(agency, base_url, http, timeout, max_bytes, stop) for agency in AGENCIES}


__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "AgencyClient", "AgencyError", "AgencyResponse", "AgencyUnavailable",
    "BadAnswer", "BatchAnswer", "BatchClient", "EtagClient", "FeedClient", "FeedPage", "ItemAnswer", "ItemStatus",
    "ParseProblem", "RateLimited", "Receipt", "RejectedReceipt", "Stopped", "ThrottledClient", "Unreadable",
    "build_client", "build_clients", "parse_batch", "parse_feed", "parse_item", "parse_item_status", "unreadable",
]
