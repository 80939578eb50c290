"""The poll cycle against fake agencies: cursors, idempotency, ordering, due items, breaker, Retry-After."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import AgencyState, ClearanceItem, StatusEvent
from status_tracker.polling import Poller, PollPolicy
from tests.conftest import make_uscc
from tests.tracker.fakes import UNAVAILABLE, FakeFeed, FakeItems, receipt

DECL = KINDS["customs_declaration"].reference_example
TRANSIT = KINDS["transit"].reference_example
LICENCE = KINDS["license"].reference_example
VESSEL = KINDS["transport_vehicle"].reference_example


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=1)  # items tracked during set-up are due

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def tracked(sessions):
    """Track one item of several kinds for one company; returns {kind: item id}."""
    with sessions.begin() as session:
        company = create_company(session, name="申报企业", uscc=make_uscc(1))
        ids = {}
        for kind in ("customs_declaration", "transit", "license", "transport_vehicle", "export_tax_refund"):
            item, _ = track_item(session, company_id=company.id, user_id=None, kind=kind,
                                 reference=KINDS[kind].reference_example)
            ids[kind] = item.id
    return ids


def make_poller(sessions, clock, hook=None, **clients):
    policy = PollPolicy(min_interval=10, max_interval=80, feed_page_size=2, breaker_threshold=3,
                        breaker_cool_off=30)
    return Poller(sessions, clients, on_change=hook, policy=policy, now=clock, poller_id="test")


def events(sessions, item_id):
    with sessions() as session:
        return [(e.native_code, e.sequence) for e in session.scalars(
            select(StatusEvent).where(StatusEvent.item_id == item_id).order_by(StatusEvent.sequence))]


def item(sessions, item_id) -> ClearanceItem:
    with sessions() as session:
        return session.get(ClearanceItem, item_id)


def test_the_feed_is_read_page_by_page_after_the_persisted_cursor(sessions, clock, tracked):
    feed = FakeFeed()
    feed.add(receipt(DECL, 1, "L", "customs_declaration"), receipt("999999999999999999", 1, "L"),
             receipt(DECL, 2, "P", "customs_declaration"), receipt(TRANSIT, 1, "01", "transit"),
             receipt(DECL, 3, "R", "customs_declaration"))
    poller = make_poller(sessions, clock, gacc=feed)
    result = poller.poll("gacc")
    assert feed.calls == [0, 2, 4] and result.events == 4  # the untracked reference is skipped
    assert events(sessions, tracked["customs_declaration"]) == [("L", 1), ("P", 2), ("R", 3)]
    assert item(sessions, tracked["customs_declaration"]).stage == "completed"
    poller.poll("gacc")
    assert feed.calls[-1] == 5  # the next cycle starts where the last one ended


def test_a_crash_between_fetch_and_commit_rereads_the_same_receipts_without_duplicates(sessions, clock, tracked):
    feed = FakeFeed()
    feed.add(receipt(DECL, 1, "L", "customs_declaration"), receipt(DECL, 2, "C", "customs_declaration"))

    def crash(_session, _changes):
        raise RuntimeError("process died before commit")

    result = make_poller(sessions, clock, hook=crash, gacc=feed).poll("gacc")  # a failure, counted, not raised
    assert result.error == "RuntimeError: process died before commit"
    with sessions() as session:
        state = session.get(AgencyState, "gacc")
        assert (state.cursor, state.errors_total, state.consecutive_failures) == (0, 1, 1)
    assert events(sessions, tracked["customs_declaration"]) == []
    seen = []
    make_poller(sessions, clock, hook=lambda _s, changes: seen.extend(changes), gacc=feed).poll("gacc")
    make_poller(sessions, clock, gacc=feed).poll("gacc")
    assert events(sessions, tracked["customs_declaration"]) == [("L", 1), ("C", 2)]
    assert len(seen) == 2


def test_duplicates_and_out_of_order_receipts_never_move_the_status_backwards(sessions, clock, tracked):
    feed = FakeFeed()
    feed.add(receipt(DECL, 3, "P", "customs_declaration"), receipt(DECL, 3, "P", "customs_declaration"),
             receipt(DECL, 1, "L", "customs_declaration"), receipt(DECL, 2, "C", "customs_declaration"))
    changes = []
    make_poller(sessions, clock, hook=lambda _s, c: changes.extend(c), gacc=feed).poll("gacc")
    assert events(sessions, tracked["customs_declaration"]) == [("L", 1), ("C", 2), ("P", 3)]
    current = item(sessions, tracked["customs_declaration"])
    assert (current.current_code, current.stage) == ("P", "released")
    assert [c.code for c in changes] == ["P"]  # older receipts joined the timeline only


def test_a_restarted_feed_is_read_again_from_the_start(sessions, clock, tracked):
    feed = FakeFeed()
    feed.add(receipt(DECL, 1, "L", "customs_declaration"))
    poller = make_poller(sessions, clock, gacc=feed)
    poller.poll("gacc")
    feed.feed_id = "feed-2"
    feed.add(receipt(DECL, 2, "P", "customs_declaration"))
    poller.poll("gacc")
    assert feed.calls == [0, 1, 0]
    assert events(sessions, tracked["customs_declaration"]) == [("L", 1), ("P", 2)]


def test_per_item_agencies_ask_only_due_items_and_back_off_when_idle(sessions, clock, tracked):
    msa = FakeItems()
    msa.add(receipt(VESSEL, 1, "10"))
    poller = make_poller(sessions, clock, msa=msa)
    poller.poll("msa")
    assert msa.asked == [VESSEL]
    vessel = item(sessions, tracked["transport_vehicle"])
    assert vessel.poll_interval == 10 and vessel.poll_etag == '"v1"'
    poller.poll("msa")
    assert len(msa.asked) == 1  # not due yet
    intervals = []
    for _ in range(4):
        clock.advance(100)
        poller.poll("msa")
        intervals.append(item(sessions, tracked["transport_vehicle"]).poll_interval)
    assert intervals == [20, 40, 80, 80]  # unchanged (304) → growing intervals, capped
    msa.add(receipt(VESSEL, 2, "20"))
    clock.advance(100)
    poller.poll("msa")
    assert item(sessions, tracked["transport_vehicle"]).poll_interval == 10  # moved → asked often again


def test_terminal_items_are_never_polled_again(sessions, clock, tracked):
    mofcom = FakeItems()
    terminal = next(c.code for c in KINDS["license"].codes if c.terminal)
    mofcom.add(receipt(LICENCE, 1, KINDS["license"].initial_code), receipt(LICENCE, 2, terminal))
    poller = make_poller(sessions, clock, mofcom=mofcom)
    poller.poll("mofcom")
    assert item(sessions, tracked["license"]).next_poll_at is None
    clock.advance(10_000)
    poller.poll("mofcom")
    assert len(mofcom.asked) == 1


def test_the_breaker_opens_after_repeated_failures_and_half_opens_later(sessions, clock, tracked):
    feed = FakeFeed(fail_with=UNAVAILABLE)
    poller = make_poller(sessions, clock, gacc=feed)
    for _ in range(3):
        assert poller.poll("gacc").error
    assert not poller.poll("gacc").polled  # open: the agency is left alone
    assert len(feed.calls) == 3
    clock.advance(31)
    feed.fail_with = None
    feed.add(receipt(DECL, 1, "L", "customs_declaration"))
    result = poller.poll("gacc")  # half-open: one trial, it works, closed again
    assert result.polled and result.events == 1
    with sessions() as session:
        state = session.get(AgencyState, "gacc")
        assert state.consecutive_failures == 0 and state.breaker_open_until is None and state.errors_total == 3


def test_retry_after_is_honoured_and_what_was_fetched_is_kept(sessions, clock, tracked):
    sta = FakeItems(limit_after=0)
    ref = KINDS["export_tax_refund"].reference_example
    sta.add(receipt(ref, 1, KINDS["export_tax_refund"].initial_code))
    poller = make_poller(sessions, clock, sta=sta)
    result = poller.poll("sta")
    assert result.error and "retry after 2" in result.error
    assert not poller.poll("sta").polled
    clock.advance(2.5)
    sta.limit_after = None
    assert poller.poll("sta").events == 1
    with sessions() as session:
        state = session.get(AgencyState, "sta")
        assert state.consecutive_failures == 0 and state.errors_total == 0


def test_a_batch_agency_asks_at_most_100_references_per_request(sessions, clock):
    with sessions.begin() as session:
        company = create_company(session, name="许可证企业", uscc=make_uscc(2))
        for n in range(230):
            track_item(session, company_id=company.id, user_id=None, kind="license", reference=f"LIC2024{n:08d}")
    clock.now = utcnow() + timedelta(seconds=1)  # tracking 230 items may take longer than the clock's margin
    mofcom = FakeItems()
    make_poller(sessions, clock, mofcom=mofcom).poll("mofcom")
    assert [len(batch.split(",")) for batch in mofcom.asked] == [100, 100, 30]
    with sessions() as session:
        assert session.scalar(select(func.count()).where(ClearanceItem.next_poll_at > clock.now)) == 230
