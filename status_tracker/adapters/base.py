"""What every agency adapter returns: receipts and parse problems as data, and the errors clients raise.

An adapter is a client (HTTP only, httpx) plus a pure parser (bytes in, data out, never raises on bad
input). The poll cycle (status_tracker/polling.py) only sees the types below.

Errors a client raises (and nothing else escapes a client):

    AgencyError                 base class
     ├── AgencyUnavailable      connection failure, timeout, 5xx
     │    ├── BadAnswer         a body the parser could not read, one over the size cap, one about another item
     │    └── Stopped           the client's stop event was set
     └── RateLimited            429; `retry_after` seconds before the next request to this agency
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from status_tracker.parties import AgencyParty


@dataclass(frozen=True)
class Receipt:
    """One status receipt as the agency sent it."""

    reference: str
    code: str  # native code, exactly as sent (unknown codes are kept, never guessed)
    note: str | None
    agency_time: datetime  # timezone-aware
    event_id: str  # the agency's unique id of this receipt
    version: int  # the agency's ordering of this item's receipts: higher is newer
    kind: str | None = None  # the kind when the agency names it (the GACC feed does)
    # The item's parties as the agency names them with this receipt (None: it did not say; docs/parties.md).
    parties: tuple[AgencyParty, ...] | None = None


@dataclass(frozen=True)
class ParseProblem:
    """Something in a payload that could not be read; `snippet` helps a person find it."""

    message: str
    snippet: str | None = None


@dataclass(frozen=True)
class RejectedReceipt(ParseProblem):
    """A receipt that was skipped: what the poll cycle quarantines. `reference` when it could be read and fits,
    `raw` the start of the receipt's text as the agency sent it."""

    reference: str | None = None
    raw: str | None = None


@dataclass(frozen=True)
class FeedPage:
    receipts: list[Receipt]
    next_cursor: int  # the SEQ_NO to ask `after=` next time
    has_more: bool
    feed_id: str  # changes when the agency's feed restarted: the cursor must go back to 0
    last_seq: int
    problems: list[ParseProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ItemStatus:
    """An item's receipts from a per-item or batch answer: its whole history, oldest first."""

    reference: str
    found: bool
    receipts: list[Receipt] = field(default_factory=list)
    etag: str | None = None
    parties: tuple[AgencyParty, ...] | None = None  # as the agency names them now (also on the newest receipt)


@dataclass(frozen=True)
class BatchAnswer:
    items: list[ItemStatus]
    problems: list[ParseProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ItemAnswer:
    """A per-item answer; `not_modified` when the agency said 304 to our ETag."""

    status: ItemStatus | None
    not_modified: bool = False
    problems: list[ParseProblem] = field(default_factory=list)


class AgencyError(Exception):
    pass


class AgencyUnavailable(AgencyError):
    pass


class BadAnswer(AgencyUnavailable):
    """An answer that arrived but cannot be used: unreadable, larger than the cap, or about another item. For a
    per-item or batch agency it concerns the items asked, not the agency as a whole."""


class Stopped(AgencyUnavailable):
    """The caller asked requests to stop (the scheduler is shutting down): not the agency's failure."""


class RateLimited(AgencyError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after
