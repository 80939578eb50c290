"""STA's and the bank's rate-limited per-item clients against the mocks."""

from __future__ import annotations

import pytest

from status_tracker.adapters import (
    AgencyClient,
    AgencyUnavailable,
    ItemAnswer,
    ItemStatus,
    RateLimited,
    ThrottledClient,
)
from status_tracker.adapters.throttled_client import retry_after_seconds
from tests.adapters.mocks import DAY, REFERENCES, Admin, FakeMonotonic

REFUND, BILL = REFERENCES["export_tax_refund"], REFERENCES["tax_payment"]


@pytest.fixture
def sta(clients: dict[str, AgencyClient], admin: Admin) -> ThrottledClient:
    admin.register("sta", "export_tax_refund", REFUND)
    admin.advance(DAY)
    client = clients["sta"]
    assert isinstance(client, ThrottledClient)
    return client


def test_an_item_comes_with_its_history(sta: ThrottledClient) -> None:
    answer = sta.fetch(REFUND)
    assert answer.status is not None and answer.status.found and answer.status.etag is None
    assert [r.version for r in answer.status.receipts] == list(range(1, len(answer.status.receipts) + 1))
    assert answer.status.receipts[-1].kind == "export_tax_refund"


def test_the_bank_answers_the_same_way_and_keeps_an_unknown_code(
        clients: dict[str, AgencyClient], admin: Admin) -> None:
    admin.register("bank", "tax_payment", BILL)
    admin.force("bank", BILL, "X9", strict=False)
    bank = clients["bank"]
    assert isinstance(bank, ThrottledClient)
    answer = bank.fetch(BILL)
    assert answer.status is not None
    assert [(r.version, r.code, r.note) for r in answer.status.receipts] == [(1, "01", "税单已生成"), (2, "X9", "")]


def test_an_unknown_item_is_not_found(sta: ThrottledClient) -> None:
    assert sta.fetch("TS00000000000000") == ItemAnswer(status=ItemStatus(reference="TS00000000000000", found=False))


def test_over_the_limit_the_client_is_told_how_long_to_wait(
        sta: ThrottledClient, admin: Admin, monotonic: FakeMonotonic) -> None:
    admin.rate_limit("sta", per_second=1, burst=1)
    sta.fetch(REFUND)
    with pytest.raises(RateLimited) as refused:
        sta.fetch(REFUND)
    assert refused.value.retry_after == 1.0
    monotonic.now += 1
    assert sta.fetch(REFUND).status is not None


def test_a_slow_limit_asks_for_a_longer_wait(sta: ThrottledClient, admin: Admin) -> None:
    admin.rate_limit("sta", per_second=0.25, burst=1)
    sta.fetch(REFUND)
    with pytest.raises(RateLimited) as refused:
        sta.fetch(REFUND)
    assert refused.value.retry_after == 4.0


@pytest.mark.parametrize(("header", "seconds"), [
    ("3", 3.0), ("0", 0.0), ("1.5", 1.5), (None, 1.0), ("", 1.0), ("soon", 1.0), ("-2", 1.0), ("inf", 1.0),
    ("nan", 1.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 1.0),
])
def test_retry_after_is_read_in_seconds_with_a_default_of_one(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header) == seconds


def test_faults_are_unavailable(sta: ThrottledClient, admin: Admin) -> None:
    admin.faults("sta", malformed_rate=1)
    with pytest.raises(AgencyUnavailable, match="^sta: unreadable answer: not readable JSON"):
        sta.fetch(REFUND)
    admin.faults("sta", malformed_rate=0, error_rate=1, error_status=502)
    with pytest.raises(AgencyUnavailable, match="^sta: HTTP 502 simulated failure$"):
        sta.fetch(REFUND)
    admin.faults("sta", error_rate=0, timeout_rate=1)
    with pytest.raises(AgencyUnavailable, match=r"^sta: no answer within 2 s"):
        sta.fetch(REFUND)
