"""Fake agency clients for poll-cycle tests: they answer from in-memory data and can fail on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from status_tracker.adapters.base import (
    AgencyUnavailable,
    BatchAnswer,
    FeedPage,
    ItemAnswer,
    ItemStatus,
    RateLimited,
    Receipt,
)

T0 = datetime(2026, 6, 3, 0, 0, tzinfo=UTC)


def receipt(reference: str, version: int, code: str, kind: str | None = None, note: str | None = None) -> Receipt:
    return Receipt(reference=reference, code=code, note=note, agency_time=T0 + timedelta(minutes=version),
                   event_id=f"{reference}:{version}:{code}", version=version, kind=kind)


@dataclass
class FakeFeed:
    receipts: list[Receipt] = field(default_factory=list)
    feed_id: str = "feed-1"
    fail_with: Exception | None = None
    calls: list[int] = field(default_factory=list)

    def add(self, *receipts: Receipt) -> None:
        self.receipts += receipts

    def fetch(self, after: int, limit: int) -> FeedPage:
        self.calls.append(after)
        if self.fail_with:
            raise self.fail_with
        page = self.receipts[after : after + limit]
        next_cursor = after + len(page)
        return FeedPage(receipts=page, next_cursor=next_cursor, has_more=next_cursor < len(self.receipts),
                        feed_id=self.feed_id, last_seq=len(self.receipts))


@dataclass
class FakeItems:
    """Per-item or batch agency: each reference has a history; `etag` is its length."""

    histories: dict[str, list[Receipt]] = field(default_factory=dict)
    fail_with: Exception | None = None
    limit_after: int | None = None  # answer this many requests, then 429
    asked: list[str] = field(default_factory=list)

    def add(self, *receipts: Receipt) -> None:
        for r in receipts:
            self.histories.setdefault(r.reference, []).append(r)

    def _status(self, reference: str) -> ItemStatus:
        history = self.histories.get(reference)
        if history is None:
            return ItemStatus(reference=reference, found=False)
        return ItemStatus(reference=reference, found=True, receipts=list(history), etag=f'"v{len(history)}"')

    def _check(self, reference: str) -> None:
        if self.fail_with:
            raise self.fail_with
        if self.limit_after is not None and len(self.asked) >= self.limit_after:
            raise RateLimited(2)
        self.asked.append(reference)

    def fetch(self, reference: str, etag: str | None = None) -> ItemAnswer:
        self._check(reference)
        status = self._status(reference)
        if etag is not None and etag == status.etag:
            return ItemAnswer(status=None, not_modified=True)
        return ItemAnswer(status=status)

    def query(self, references: list[str]) -> BatchAnswer:
        assert len(references) <= 100
        self._check(",".join(references))
        return BatchAnswer(items=[self._status(r) for r in references])


UNAVAILABLE = AgencyUnavailable("gacc: 503 Service Unavailable")
