"""Reading the JSON agencies' answers: recorded batches and per-item answers, duplicated, stale and broken."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from status_tracker.adapters import (
    BatchAnswer,
    ItemAnswer,
    ItemStatus,
    ParseProblem,
    Receipt,
    RejectedReceipt,
    Unreadable,
    parse_batch,
    parse_item,
    parse_item_status,
)
from tests.adapters.recorded import payload

BEIJING = timezone(timedelta(hours=8))
VESSEL = "IMO9321483/118W"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def versions(status: ItemStatus | None) -> list[tuple[int, str]]:
    assert status is not None
    return [(r.version, r.code) for r in status.receipts]


def test_a_recorded_item_answer_gives_its_whole_history_oldest_first() -> None:
    answer = parse_item(payload("item_current.json"))
    assert answer.problems == [] and not answer.not_modified
    assert answer.status is not None
    assert (answer.status.reference, answer.status.found, answer.status.etag) == (VESSEL, True, None)
    assert versions(answer.status) == [(1, "01"), (2, "02"), (3, "03"), (4, "06"), (5, "07")]
    assert answer.status.receipts[-1] == Receipt(
        reference=VESSEL, code="07", note="航次办结", agency_time=datetime(2024, 6, 3, 13, 49, tzinfo=BEIJING),
        event_id="MSA:IMO9321483/118W:5:07", version=5, kind="transport_vehicle",
    )


def test_a_stale_answer_is_returned_as_it_is_with_its_older_version() -> None:
    answer = parse_item(payload("item_stale.json"))  # the item is at version 5; a lagging replica says 2
    assert versions(answer.status) == [(1, "01"), (2, "02")]
    assert answer.problems == []


def test_an_unknown_code_is_kept_exactly_as_sent() -> None:
    answer = parse_item(payload("item_unknown_code.json"))
    assert answer.status is not None
    latest = answer.status.receipts[-1]
    assert (latest.code, latest.note, latest.version, latest.kind) == ("X9", "未知状态", 6, "tax_payment")


def test_a_batch_with_repeated_results_and_histories_gives_each_item_once_with_each_receipt_once() -> None:
    answer = parse_batch(payload("batch_duplicates.json"))
    assert answer.problems == []
    assert [(item.reference, item.found) for item in answer.items] == [
        ("LIC202400012345", True), ("FW20240000123456", True), ("LIC000000000000", False),
    ]
    licence, service_trade, unknown = answer.items
    assert versions(licence) == [(1, "10"), (2, "20"), (3, "30"), (4, "35"), (5, "30"), (6, "40"), (7, "50")]
    assert licence.receipts[3].note == "退回修改：请上传合同扫描件"
    assert licence.receipts[3].agency_time == at("2024-06-03T10:13:24+08:00")
    assert versions(service_trade) == [(1, "01"), (2, "02"), (3, "03"), (4, "05"), (5, "06")]
    assert unknown == ItemStatus(reference="LIC000000000000", found=False)


@pytest.mark.parametrize("name", ["batch_malformed.json", "item_malformed.json", "empty.bin", "feed_page.xml"])
def test_a_body_that_is_not_json_is_unreadable(name: str) -> None:
    batch, item = parse_batch(payload(name)), parse_item(payload(name))
    assert batch.items == [] and item.status is None
    for problems in (batch.problems, item.problems):
        assert len(problems) == 1 and isinstance(problems[0], Unreadable)
        assert problems[0].message.startswith("not readable JSON (")


def test_json_of_the_wrong_shape_is_unreadable() -> None:
    assert parse_batch(b'{"results": {}}') == BatchAnswer(
        items=[], problems=[Unreadable("not a batch answer: no `results` list", '{"results": {}}')])
    assert parse_item(b'["IMO9321483/118W"]') == ItemAnswer(
        status=None, problems=[Unreadable("an item status is not a JSON object", '["IMO9321483/118W"]')])


def receipt(n: int, code: str, /, **changes: Any) -> dict[str, Any]:
    entry = {"code": code, "note": f"note {code}", "updated_at": f"2024-06-03T08:0{n}:00+08:00",
             "event_id": f"MSA:V1:{n}:{code}", "version": n}
    return {**entry, **changes}


def status(*history: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"reference": "V1", "kind": "transport_vehicle", **history[-1], "history": list(history), **top}


def test_without_a_history_the_latest_receipt_is_the_only_one() -> None:
    obj = status(receipt(1, "01"), receipt(2, "02"))
    del obj["history"]
    assert versions(parse_item_status(obj)[0]) == [(2, "02")]


def test_a_history_that_is_not_a_list_falls_back_to_the_latest_receipt_with_a_problem() -> None:
    found, problems = parse_item_status(status(receipt(1, "01"), history="oops"))
    assert versions(found) == [(1, "01")]
    assert problems == [ParseProblem("V1: history is not a list; using the latest receipt only")]


def test_a_broken_history_entry_is_skipped_with_a_problem_and_the_rest_is_kept() -> None:
    found, problems = parse_item_status(status(
        receipt(1, "01"), receipt(2, "02", version="2"), receipt(3, "03", updated_at="soon"), 7,
        receipt(4, "04", version=True), receipt(5, "05", code=""), receipt(6, "06"),
    ))
    assert versions(found) == [(1, "01"), (6, "06")]
    assert [p.message for p in problems] == [
        "V1: history[1]: version must be a positive integer",
        "V1: history[2]: updated_at is not a time",
        "V1: history[3]: not a JSON object",
        "V1: history[4]: version must be a positive integer",
        "V1: history[5]: code and event_id must be non-empty strings",
    ]
    assert problems[2].snippet == "7"


def test_history_is_put_in_version_order_and_a_latest_receipt_missing_from_it_is_added() -> None:
    found, problems = parse_item_status(status(receipt(3, "03"), receipt(1, "01"), **receipt(4, "04")))
    assert versions(found) == [(1, "01"), (3, "03"), (4, "04")]
    assert problems == []


@pytest.mark.parametrize("obj", [None, [], {"found": True}, {"reference": ""}, {"reference": "V1", "found": "no"}])
def test_a_status_that_does_not_say_whose_it_is_is_not_read(obj: object) -> None:
    found, problems = parse_item_status(obj)
    assert found is None and len(problems) == 1


def test_a_result_repeated_with_different_histories_is_merged() -> None:
    stale, current = status(receipt(1, "01")), status(receipt(1, "01"), receipt(2, "02"))
    answer = parse_batch(json.dumps({"results": [stale, current, "junk"]}).encode())
    assert [versions(item) for item in answer.items] == [[(1, "01"), (2, "02")]]
    assert answer.problems == [RejectedReceipt("an item status is not a JSON object", '"junk"', raw='"junk"')]
