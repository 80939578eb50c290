"""MOFCOM's and CCPIT's batch client against the mocks."""

from __future__ import annotations

import httpx
import pytest

from status_tracker.adapters import AgencyClient, AgencyUnavailable, BatchClient, ItemStatus, ParseProblem
from tests.adapters.mocks import DAY, REFERENCES, Admin

LICENCE, SERVICE = REFERENCES["license"], "FW20240000123456"


@pytest.fixture
def mofcom(clients: dict[str, AgencyClient], admin: Admin) -> BatchClient:
    admin.register("mofcom", "license", LICENCE)
    admin.register("mofcom", "service_trade", SERVICE)
    admin.advance(DAY)
    client = clients["mofcom"]
    assert isinstance(client, BatchClient)
    return client


def latest(item: ItemStatus) -> tuple[int, str]:
    return item.receipts[-1].version, item.receipts[-1].code


def test_a_batch_answers_every_reference_in_order_known_or_not(mofcom: BatchClient, admin: Admin) -> None:
    answer = mofcom.query([SERVICE, "LIC000000000000", LICENCE])
    assert [(i.reference, i.found) for i in answer.items] == [
        (SERVICE, True), ("LIC000000000000", False), (LICENCE, True)]
    assert latest(answer.items[2]) == (7, "50")
    assert [r.version for r in answer.items[2].receipts] == list(range(1, 8))
    assert answer.items[2].receipts[0].kind == "license"
    assert answer.problems == []


def test_repeated_results_and_history_entries_come_once(mofcom: BatchClient, admin: Admin) -> None:
    clean = mofcom.query([LICENCE, SERVICE])
    admin.faults("mofcom", duplicate_rate=1)
    assert mofcom.query([LICENCE, SERVICE]) == clean


def test_a_stale_answer_is_returned_as_it_is(mofcom: BatchClient, admin: Admin) -> None:
    admin.faults("mofcom", out_of_order_rate=1)
    (item,) = mofcom.query([LICENCE]).items
    assert latest(item) < (7, "50")  # older than the truth: the poll cycle must not move the item back


def test_an_unknown_code_is_returned_as_it_is(mofcom: BatchClient, admin: Admin) -> None:
    admin.force("mofcom", LICENCE, "ZZ", note="新状态", strict=False)
    (item,) = mofcom.query([LICENCE]).items
    assert (item.receipts[-1].code, item.receipts[-1].note, item.receipts[-1].version) == ("ZZ", "新状态", 8)


def test_ccpit_answers_the_same_way(clients: dict[str, AgencyClient], admin: Admin) -> None:
    admin.register("ccpit", "certificate_of_origin", REFERENCES["certificate_of_origin"])
    client = clients["ccpit"]
    assert isinstance(client, BatchClient)
    (item,) = client.query([REFERENCES["certificate_of_origin"]]).items
    assert (item.found, latest(item)) == (True, (1, "01"))


def test_up_to_100_references_go_in_one_query_and_more_is_the_caller_s_mistake(mofcom: BatchClient) -> None:
    assert len(mofcom.query([f"LIC{n:012d}" for n in range(100)]).items) == 100
    with pytest.raises(ValueError, match="at most 100"):
        mofcom.query([f"LIC{n:012d}" for n in range(101)])


def test_no_references_need_no_request() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    client = BatchClient("mofcom", "http://mocks/mofcom", httpx.Client(transport=httpx.MockTransport(refuse)))
    assert client.query([]).items == []


def test_a_reference_left_unanswered_is_a_problem() -> None:
    answer = {"results": [{"reference": "A", "found": False}]}
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=answer)))
    result = BatchClient("mofcom", "http://mocks/mofcom", http).query(["A", "B"])
    assert result.items == [ItemStatus(reference="A", found=False)]
    assert result.problems == [ParseProblem("mofcom: no result for 'B'")]


def test_a_cut_short_answer_is_unavailable(mofcom: BatchClient, admin: Admin) -> None:
    admin.faults("mofcom", malformed_rate=1)
    with pytest.raises(AgencyUnavailable, match=r"^mofcom: unreadable answer: not readable JSON"):
        mofcom.query([LICENCE])


def test_an_agency_error_is_unavailable(mofcom: BatchClient, admin: Admin) -> None:
    admin.faults("mofcom", error_rate=1, error_status=500)
    with pytest.raises(AgencyUnavailable, match="^mofcom: HTTP 500 simulated failure$"):
        mofcom.query([LICENCE])
