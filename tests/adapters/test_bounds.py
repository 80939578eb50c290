"""Receipts bounded at the boundary: every field checked against what its column stores, by one table both parsers
use; what fails is a RejectedReceipt carrying what quarantine keeps."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from status_tracker.adapters import EtagClient, Receipt, RejectedReceipt, parse_batch, parse_feed, parse_item
from status_tracker.adapters.bounds import NOTE_MAX_CHARS, RAW_CHARS, RECEIPT_FIELDS, clean_note
from status_tracker.adapters.throttled_client import MAX_RETRY_AFTER, retry_after_seconds
from status_tracker.models import ClearanceItem, StatusEvent

DECL = "310120241001234567"
COLUMN_OF = {"reference": ClearanceItem.reference, "code": StatusEvent.native_code,
             "event_id": StatusEvent.agency_event_id, "kind": ClearanceItem.kind}
XML_TAG_OF = {"reference": "ENTRY_ID", "code": "CHANNEL", "event_id": "RECEIPT_ID", "kind": "KIND"}
JSON_KEY_OF = {"reference": "reference", "code": "code", "event_id": "event_id", "kind": "kind"}


def feed(**fields: str) -> bytes:
    values = {"SEQ_NO": "1", "RECEIPT_ID": "R1", "ENTRY_ID": DECL, "KIND": "customs_declaration", "CHANNEL": "L",
              "NOTICE_DATE": "2026-06-03 08:00:00", "VERSION": "1"} | fields
    receipt = "".join(f"<{tag}>{value}</{tag}>" for tag, value in values.items())
    return (f"<RECEIPT_FEED><HEAD><FEED_ID>f</FEED_ID><NEXT_SEQ>1</NEXT_SEQ><LAST_SEQ>1</LAST_SEQ>"
            f"<HAS_MORE>false</HAS_MORE></HEAD><RECEIPTS><DEC_RESULT>{receipt}</DEC_RESULT></RECEIPTS>"
            f"</RECEIPT_FEED>").encode()


def item(**fields: object) -> bytes:
    return json.dumps({"reference": "LIC202400012345", "kind": "license", "code": "10", "event_id": "E1",
                       "version": 1, "updated_at": "2026-06-03T08:00:00+08:00", "note": None} | fields).encode()


def test_every_field_of_a_receipt_has_a_bound() -> None:
    assert set(RECEIPT_FIELDS) == {f.name for f in dataclasses.fields(Receipt)}


def column_length(name: str) -> int:
    return COLUMN_OF[name].property.columns[0].type.length


@pytest.mark.parametrize("name", list(COLUMN_OF))
def test_identifiers_fit_their_column_exactly_in_the_feed(name: str) -> None:
    longest = "9" * column_length(name)
    assert len(parse_feed(feed(**{XML_TAG_OF[name]: longest})).receipts) == 1
    page = parse_feed(feed(**{XML_TAG_OF[name]: longest + "9"}))
    [problem] = page.problems
    assert page.receipts == [] and isinstance(problem, RejectedReceipt)
    assert f"{name} is {len(longest) + 1} characters, at most {len(longest)} are stored" in problem.message
    assert problem.reference == (DECL if name != "reference" else None)


@pytest.mark.parametrize("name", list(COLUMN_OF))
def test_identifiers_fit_their_column_exactly_in_json(name: str) -> None:
    longest = "9" * column_length(name)
    assert parse_item(item(**{JSON_KEY_OF[name]: longest})).status.receipts
    answer = parse_batch(json.dumps({"results": [json.loads(item(**{JSON_KEY_OF[name]: longest + "9"}))]}).encode())
    [problem] = answer.problems
    assert isinstance(problem, RejectedReceipt) and f"{name} is {len(longest) + 1} characters" in problem.message
    assert not any(i.receipts for i in answer.items)


@pytest.mark.parametrize(("notice", "reason"), [
    ("9999-12-31T23:00:00-10:00", "year 9999 is outside 2000..2100"),  # OverflowError converting to UTC
    ("0001-01-01T00:00:00+14:00", "year 1 is outside 2000..2100"),
    ("1999-12-31 23:59:59", "year 1999 is outside 2000..2100"),
])
def test_times_outside_a_plausible_window_are_rejected(notice: str, reason: str) -> None:
    [problem] = parse_feed(feed(NOTICE_DATE=notice)).problems
    assert isinstance(problem, RejectedReceipt) and reason in problem.message
    [problem] = parse_item(item(updated_at=notice)).problems
    assert reason in problem.message


@pytest.mark.parametrize("version", [10**19, 2**63, 0])
def test_versions_beyond_a_bigint_are_rejected(version: int) -> None:
    answer = parse_item(item(version=version))
    assert answer.status is not None and answer.status.receipts == []
    [problem] = answer.problems
    assert isinstance(problem, RejectedReceipt) and problem.reference == "LIC202400012345"
    assert str(version) in (problem.raw or "")


def test_the_largest_bigint_is_a_version() -> None:
    assert parse_item(item(version=2**63 - 1)).status.receipts[0].version == 2**63 - 1


@pytest.mark.parametrize("bad", ["E\x00", "E\n1", "\ud800", "E\u2028"])
def test_identifiers_with_control_characters_or_lone_surrogates_are_rejected(bad: str) -> None:
    [problem] = parse_item(item(event_id=bad)).problems
    assert "event_id holds control, unassigned or line-breaking characters" in problem.message


def test_identifiers_may_hold_any_printable_text_and_spaces() -> None:
    assert parse_item(item(event_id="回执 1\u3000号")).status.receipts[0].event_id == "回执 1\u3000号"


def test_notes_are_cleaned_and_cut_never_rejected() -> None:
    long = "备" * (5 * 2**20)
    [receipt] = parse_item(item(note=long)).status.receipts
    assert len(receipt.note) == NOTE_MAX_CHARS and receipt.note.endswith("…")
    assert clean_note("line one\nline two\ttabbed") == "line one\nline two\ttabbed"
    assert clean_note("a\x00b\ud800c\x07d") == "abcd"
    assert clean_note("\x00" * (NOTE_MAX_CHARS * 3)).endswith("…")  # cut, even if what is kept is short
    assert clean_note(None) is None


def test_raw_text_is_kept_in_part() -> None:
    [problem] = parse_feed(feed(CHANNEL="C" * 10_000)).problems
    assert len(problem.raw or "") == RAW_CHARS and problem.raw.startswith("<DEC_RESULT> SEQ_NO=1 RECEIPT_ID=R1")
    assert len(problem.snippet or "") <= 200


@pytest.mark.parametrize(("header", "seconds"), [("1e12", MAX_RETRY_AFTER), ("601", MAX_RETRY_AFTER), ("30", 30.0),
                                                 ("inf", 1.0), ("-5", 1.0), (None, 1.0)])
def test_retry_after_is_capped(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header) == seconds


@pytest.mark.parametrize(("etag", "kept"), [('"' + "e" * 300 + '"', False), ('"' + "e" * 98 + '"', True),
                                            ('"v1"', True)])
def test_an_etag_that_does_not_fit_its_column_is_dropped(etag: str, kept: bool) -> None:
    body = json.dumps({"reference": "V1", "code": "01", "event_id": "E1", "version": 1,
                       "updated_at": "2026-06-03T08:00:00+08:00"}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers={"ETag": etag}))
    with httpx.Client(transport=transport) as http:
        answer = EtagClient("msa", "http://msa", http).fetch("V1")
    assert answer.status is not None and answer.status.etag == (etag if kept else None)
