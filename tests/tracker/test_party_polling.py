"""The poll cycle records the parties every receipt or answer names, in the transaction of its events; a claim
made on an item is answered by the agency's next answer, even for a finished item."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from core.models import Company
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, ItemParty
from status_tracker.parties import AgencyParty, my_claims
from tests.conftest import make_uscc
from tests.tracker.fakes import FakeFeed, FakeItems, receipt
from tests.tracker.test_polling import Clock, make_poller

DECL = KINDS["customs_declaration"].reference_example
LICENCE = KINDS["license"].reference_example


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def companies(sessions):
    with sessions.begin() as session:
        made = [create_company(session, name=f"企业{n}", uscc=make_uscc(500 + n), customs_code=f"31009900{n:02d}")
                for n in range(3)]
        return [(c.id, c.uscc, c.customs_code) for c in made]


def claim(sessions, company_id, kind, reference):
    with sessions.begin() as session:
        item, mine = track_item(session, company_id=company_id, user_id=None, kind=kind, reference=reference)
        return item.id


def confirmed(sessions, item_id):
    with sessions() as session:
        return sorted((p.role, p.company_id, p.uscc, p.customs_code) for p in session.scalars(
            select(ItemParty).where(ItemParty.item_id == item_id, ItemParty.source == "agency")))


def with_parties(r, *parties):
    return replace(r, parties=tuple(parties))


def test_feed_receipts_confirm_the_parties_they_name(sessions, clock, companies):
    (first, first_uscc, _), (second, _, second_code), _ = companies
    item_id = claim(sessions, first, "customs_declaration", DECL)
    unknown = make_uscc(999)
    feed = FakeFeed()
    feed.add(with_parties(receipt(DECL, 1, "L", "customs_declaration"), AgencyParty("declarant", first_uscc),
                          AgencyParty("agent", None, second_code), AgencyParty("consignee", unknown)),
             receipt(DECL, 2, "P", "customs_declaration"))  # says nothing of parties: they stay
    make_poller(sessions, clock, gacc=feed).poll("gacc")
    assert confirmed(sessions, item_id) == [("agent", second, None, second_code), ("consignee", None, unknown, None),
                                            ("declarant", first, first_uscc, None)]
    with sessions() as session:
        assert [c.state for c in my_claims(session, first)] == ["confirmed"]
    # The consignee registers: customs' word about it attaches to its new company.
    with sessions.begin() as session:
        newcomer = create_company(session, name="新企业", uscc=unknown).id
    assert ("consignee", newcomer, unknown, None) in confirmed(sessions, item_id)


def test_an_answer_with_nothing_new_still_brings_the_parties_up_to_date(sessions, clock, companies):
    (first, first_uscc, _), (second, second_uscc, _), _ = companies
    item_id = claim(sessions, first, "license", LICENCE)
    mofcom = FakeItems()
    mofcom.add(with_parties(receipt(LICENCE, 1, "10"), AgencyParty("declarant", first_uscc)))
    poller = make_poller(sessions, clock, mofcom=mofcom)
    poller.poll("mofcom")
    assert [p[:2] for p in confirmed(sessions, item_id)] == [("declarant", first)]
    # The licence is amended: another applicant, no new receipt.
    mofcom.histories[LICENCE][-1] = with_parties(mofcom.histories[LICENCE][-1], AgencyParty("declarant", second_uscc))
    clock.advance(3600)
    result = poller.poll("mofcom")
    assert result.events == 0
    assert [p[:2] for p in confirmed(sessions, item_id)] == [("declarant", second)]
    with sessions() as session:
        assert [c.state for c in my_claims(session, first)] == ["not_confirmed"]


def test_a_stale_answer_does_not_bring_back_old_parties(sessions, clock, companies):
    (first, first_uscc, _), (second, second_uscc, _), _ = companies
    item_id = claim(sessions, first, "license", LICENCE)
    mofcom = FakeItems()
    mofcom.add(receipt(LICENCE, 1, "10"),
               with_parties(receipt(LICENCE, 2, "20"), AgencyParty("declarant", second_uscc)))
    poller = make_poller(sessions, clock, mofcom=mofcom)
    poller.poll("mofcom")
    mofcom.histories[LICENCE] = [with_parties(receipt(LICENCE, 1, "10"), AgencyParty("declarant", first_uscc))]
    clock.advance(3600)
    poller.poll("mofcom")
    assert [p[:2] for p in confirmed(sessions, item_id)] == [("declarant", second)]


def test_a_claim_on_a_finished_item_is_answered_once_and_polling_stops_again(sessions, clock, companies):
    (first, first_uscc, _), (second, _, _), _ = companies
    item_id = claim(sessions, first, "license", LICENCE)
    final = next(c.code for c in KINDS["license"].codes if c.terminal)
    mofcom = FakeItems()
    mofcom.add(with_parties(receipt(LICENCE, 1, final), AgencyParty("declarant", first_uscc)))
    poller = make_poller(sessions, clock, mofcom=mofcom)
    poller.poll("mofcom")
    with sessions() as session:
        assert session.get(ClearanceItem, item_id).next_poll_at is None
    claim(sessions, second, "license", LICENCE)  # someone else claims it after it finished
    with sessions() as session:
        assert session.get(ClearanceItem, item_id).next_poll_at is not None
    clock.advance(1)
    poller.poll("mofcom")
    assert mofcom.asked == [LICENCE, LICENCE]
    with sessions() as session:
        assert session.get(ClearanceItem, item_id).next_poll_at is None
        assert [c.state for c in my_claims(session, second)] == ["not_confirmed"]
        assert session.get(Company, second) is not None
