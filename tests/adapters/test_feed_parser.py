"""Reading GACC's XML feed: recorded pages, whole and damaged, and documents that cannot be read at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from status_tracker.adapters import (
    FeedPage,
    ParseProblem,
    Receipt,
    RejectedReceipt,
    Unreadable,
    parse_feed,
    unreadable,
)
from status_tracker.adapters.problems import snippet
from tests.adapters.recorded import payload

BEIJING = timezone(timedelta(hours=8))
FEED_ID = "1e2bf78af712"  # drawn by the mocks when the payloads were recorded


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def test_a_recorded_page_is_read_field_by_field() -> None:
    page = parse_feed(payload("feed_page.xml"))
    assert page.problems == []
    assert (page.feed_id, page.next_cursor, page.last_seq, page.has_more) == (FEED_ID, 5, 11, True)
    assert page.receipts[0] == Receipt(
        reference="310120241001234567", code="L", note="海关入库成功", agency_time=at("2024-06-03 08:00:00"),
        event_id="GACC:310120241001234567:1:L", version=1, kind="customs_declaration",
    )
    assert [(r.reference, r.kind, r.code, r.version, r.agency_time) for r in page.receipts[1:]] == [
        ("COSU6345678910/032E", "manifest", "01", 1, at("2024-06-03 08:15:00")),
        ("2233202400004567", "transit", "01", 1, at("2024-06-03 08:30:00")),
        ("310120241001234567", "customs_declaration", "C", 2, at("2024-06-03 08:39:05")),
        ("2233202400004567", "transit", "02", 2, at("2024-06-03 08:52:03")),
    ]
    assert page.receipts[3].note == "查验通知：请联系现场海关办理查验手续"


def test_customs_time_without_an_offset_is_beijing_time() -> None:
    first = parse_feed(payload("feed_page.xml")).receipts[0]
    assert first.agency_time.utcoffset() == timedelta(hours=8)
    assert first.agency_time == datetime(2024, 6, 3, 0, 0, tzinfo=UTC)


def test_broken_receipts_are_skipped_with_a_problem_each_and_the_rest_is_read() -> None:
    page = parse_feed(payload("feed_broken_receipts.xml"))
    assert [r.event_id for r in page.receipts] == ["GACC:310120241001234567:1:L", "GACC:2233202400004567:2:02"]
    assert page.receipts[1].agency_time == at("2024-06-03 09:00:00")  # 01:00Z: ISO-8601 with an offset
    assert [p.message.split(": ", 1) for p in page.problems] == [
        ["DEC_RESULT SEQ_NO='2' RECEIPT_ID='GACC:COSU6345678910/032E:1:01'", "missing VERSION"],
        ["DEC_RESULT SEQ_NO='3' RECEIPT_ID='GACC:2233202400004567:1:01'",
         "NOTICE_DATE '2024-13-03 08:22:03' is not a time"],
        ["DEC_RESULT SEQ_NO='four' RECEIPT_ID='GACC:310120241001234567:2:C'",
         "SEQ_NO and VERSION must be positive integers"],
    ]
    assert page.problems[0].snippet is not None and "ENTRY_ID=COSU6345678910/032E" in page.problems[0].snippet
    assert unreadable(page.problems) is None
    assert (page.next_cursor, page.feed_id) == (5, FEED_ID)  # partly readable: the cursor is HEAD/NEXT_SEQ


def test_repeated_shuffled_and_redelivered_receipts_come_once_each_in_seq_order() -> None:
    page = parse_feed(payload("feed_duplicates_shuffled.xml"))  # SEQ_NOs 2 6 6 4 7 3 5 4, after=2
    assert [r.event_id for r in page.receipts] == [
        "GACC:2233202400004567:1:01",
        "GACC:310120241001234567:2:C",
        "GACC:2233202400004567:2:02",
        "GACC:2233202400004567:3:04",
        "GACC:COSU6345678910/032E:2:11",
    ]
    assert (page.next_cursor, page.has_more, page.problems) == (7, True, [])


@pytest.mark.parametrize(("name", "reason"), [
    ("feed_truncated.xml", "not readable XML (ParseError"),
    ("feed_billion_laughs.xml", "not readable XML (EntitiesForbidden"),
    ("empty.bin", "not readable XML (ParseError"),
    ("item_current.json", "not readable XML (ParseError"),
])
def test_an_unreadable_document_gives_no_receipts_and_an_unreadable_problem(name: str, reason: str) -> None:
    page = parse_feed(payload(name))
    assert page.receipts == []
    assert len(page.problems) == 1 and isinstance(page.problems[0], Unreadable)
    assert page.problems[0].message.startswith(reason)
    assert (page.next_cursor, page.feed_id) == (0, "")  # placeholders, never to be used as a cursor


HEAD = ("<HEAD><FEED_ID>f1</FEED_ID><AFTER>0</AFTER><NEXT_SEQ>{next}</NEXT_SEQ><LAST_SEQ>9</LAST_SEQ>"
        "<HAS_MORE>true</HAS_MORE><COUNT>{count}</COUNT></HEAD>")
RECEIPT = ("<DEC_RESULT><SEQ_NO>1</SEQ_NO><RECEIPT_ID>GACC:R1:1:L</RECEIPT_ID><ENTRY_ID>R1</ENTRY_ID>"
           "<CHANNEL>L</CHANNEL><NOTICE_DATE>2024-06-03 08:00:00</NOTICE_DATE><VERSION>1</VERSION></DEC_RESULT>")


def feed(head: str = HEAD.format(next=1, count=1), receipts: str = RECEIPT) -> bytes:
    return f"<RECEIPT_FEED>{head}<RECEIPTS>{receipts}</RECEIPTS></RECEIPT_FEED>".encode()


@pytest.mark.parametrize(("body", "reason"), [
    (b"<html><body>502 Bad Gateway</body></html>", "root element is <html>, not <RECEIPT_FEED>"),
    (b"<RECEIPT_FEED><RECEIPTS/></RECEIPT_FEED>", "no <HEAD> element"),
    (feed(HEAD.format(next="-1", count=1)), "HEAD lacks a usable FEED_ID, NEXT_SEQ, LAST_SEQ or HAS_MORE"),
    (feed(HEAD.format(next="", count=1)), "HEAD lacks a usable FEED_ID, NEXT_SEQ, LAST_SEQ or HAS_MORE"),
    (feed(HEAD.replace("<FEED_ID>f1</FEED_ID>", "").format(next=1, count=1)),
     "HEAD lacks a usable FEED_ID, NEXT_SEQ, LAST_SEQ or HAS_MORE"),
    (feed().replace(b"<RECEIPTS>", b"<OTHER>").replace(b"</RECEIPTS>", b"</OTHER>"), "no <RECEIPTS> element"),
], ids=["wrong root", "no HEAD", "negative NEXT_SEQ", "empty NEXT_SEQ", "no FEED_ID", "no RECEIPTS"])
def test_a_page_without_a_trustworthy_head_is_unreadable(body: bytes, reason: str) -> None:
    assert parse_feed(body) == FeedPage(receipts=[], next_cursor=0, has_more=False, feed_id="", last_seq=0,
                                        problems=[Unreadable(reason, snippet(body))])


def test_a_hand_written_page_with_the_minimum_fields_is_read() -> None:
    page = parse_feed(feed())
    assert page.receipts == [Receipt(reference="R1", code="L", note=None, agency_time=at("2024-06-03 08:00:00"),
                                     event_id="GACC:R1:1:L", version=1, kind=None)]
    assert (page.next_cursor, page.last_seq, page.has_more, page.problems) == (1, 9, True, [])


def test_a_count_that_disagrees_with_the_body_and_stray_elements_are_reported() -> None:
    page = parse_feed(feed(HEAD.format(next=1, count=3), RECEIPT + "<NOISE>x</NOISE>"))
    assert len(page.receipts) == 1
    assert page.problems == [
        RejectedReceipt("unexpected <NOISE> in RECEIPTS", "<NOISE> ", reference=None, raw="<NOISE> "),
        ParseProblem("HEAD/COUNT is 3 but RECEIPTS holds 2 elements"),
    ]


def test_digits_other_than_ascii_are_not_numbers() -> None:
    page = parse_feed(feed(receipts=RECEIPT.replace("<VERSION>1</VERSION>", "<VERSION>١</VERSION>")))
    assert page.receipts == [] and len(page.problems) == 1
