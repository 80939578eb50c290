"""GACC's feed client against the mocks: pages after a cursor, and every way a page can fail."""

from __future__ import annotations

import pytest

from status_tracker.adapters import AgencyClient, AgencyUnavailable, FeedClient, Receipt
from tests.adapters.mocks import DAY, REFERENCES, Admin, Waits


@pytest.fixture
def gacc(clients: dict[str, AgencyClient], admin: Admin) -> FeedClient:
    """The feed client, with three declarations a day into their stories (11 receipts in the feed)."""
    for kind in ("customs_declaration", "manifest", "transit"):
        admin.register("gacc", kind, REFERENCES[kind])
        admin.advance(900)
    admin.advance(DAY)
    client = clients["gacc"]
    assert isinstance(client, FeedClient)
    return client


def read_all(gacc: FeedClient, limit: int) -> list[Receipt]:
    cursor, receipts = 0, []
    while True:
        page = gacc.fetch(after=cursor, limit=limit)
        assert page.problems == []
        receipts += page.receipts
        cursor = page.next_cursor
        if not page.has_more:
            return receipts


def test_a_page_after_the_cursor_holds_the_receipts_that_follow_it(gacc: FeedClient) -> None:
    page = gacc.fetch(after=2, limit=3)
    assert [(r.reference, r.code, r.version) for r in page.receipts] == [
        ("2233202400004567", "01", 1), ("310120241001234567", "C", 2), ("2233202400004567", "02", 2),
    ]
    assert (page.next_cursor, page.last_seq, page.has_more, page.problems) == (5, 11, True, [])


def test_paging_on_with_the_next_cursor_reads_every_receipt_once(gacc: FeedClient) -> None:
    everything = gacc.fetch(after=0, limit=1000).receipts
    assert len(everything) == 11
    assert read_all(gacc, limit=4) == everything


def test_an_empty_page_keeps_the_cursor(gacc: FeedClient) -> None:
    page = gacc.fetch(after=11, limit=100)
    assert (page.receipts, page.next_cursor, page.has_more) == ([], 11, False)


def test_a_feed_that_repeats_and_shuffles_receipts_still_reads_every_receipt_once(
        gacc: FeedClient, admin: Admin) -> None:
    everything = gacc.fetch(after=0, limit=1000).receipts
    admin.faults("gacc", duplicate_rate=0.5, out_of_order_rate=1)
    assert read_all(gacc, limit=3) == everything


def test_a_cut_short_page_is_unavailable_so_the_cursor_stays(gacc: FeedClient, admin: Admin) -> None:
    admin.faults("gacc", malformed_rate=1)
    with pytest.raises(AgencyUnavailable, match=r"^gacc: unreadable answer: not readable XML \(ParseError"):
        gacc.fetch(after=0, limit=5)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_agency_error_is_unavailable(gacc: FeedClient, admin: Admin, status: int) -> None:
    admin.faults("gacc", error_rate=1, error_status=status)
    with pytest.raises(AgencyUnavailable, match=f"^gacc: HTTP {status} simulated failure$"):
        gacc.fetch(after=0, limit=5)


def test_a_page_slower_than_the_timeout_is_unavailable(gacc: FeedClient, admin: Admin, waits: Waits) -> None:
    admin.faults("gacc", timeout_rate=1, timeout_seconds=30)
    with pytest.raises(AgencyUnavailable, match=r"^gacc: no answer within 2 s \(ReadTimeout\)$"):
        gacc.fetch(after=0, limit=5)
    assert waits.seconds == [30]  # the mocks hung (on paper) for 30 s; the client gave up at 2 s


def test_a_slow_page_within_the_timeout_is_read(gacc: FeedClient, admin: Admin) -> None:
    admin.faults("gacc", latency_ms=1500)
    assert len(gacc.fetch(after=0, limit=5).receipts) == 5


def test_a_nonsense_cursor_is_the_caller_s_mistake(gacc: FeedClient) -> None:
    with pytest.raises(ValueError):
        gacc.fetch(after=-1, limit=5)
    with pytest.raises(ValueError):
        gacc.fetch(after=0, limit=0)
