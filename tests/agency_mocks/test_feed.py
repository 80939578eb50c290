"""GACC's change feed: receipts after a cursor, in SEQ_NO order, a page at a time."""

from __future__ import annotations

import re

import httpx

from tests.agency_mocks.support import DAY, advance, read_feed, register

GACC_KINDS = {
    "customs_declaration": "310120241001234567",
    "manifest": "COSU6345678910/032E",
    "enterprise_qualification": "BA3100202403150042",
    "processing_trade": "QD220124I000012345",
    "goods_clearance": "SF1234567890123",
    "cross_border_ecommerce": "22442024I000123456",
    "inspection_quarantine": "310100224000123",
    "transit": "2233202400004567",
}


def _fill(client: httpx.Client) -> None:
    for kind, reference in GACC_KINDS.items():
        register(client, "gacc", kind, reference)
        advance(client, 900)
    advance(client, DAY)


def test_receipts_come_in_seq_order_with_every_field_an_adapter_needs(mocks: httpx.Client) -> None:
    _fill(mocks)
    head, receipts = read_feed(mocks, after=0, limit=1000)
    seqs = [int(r["SEQ_NO"]) for r in receipts]
    assert seqs == list(range(1, len(receipts) + 1))
    assert head["NEXT_SEQ"] == head["LAST_SEQ"] == str(len(receipts))
    assert head["HAS_MORE"] == "false"
    assert {r["KIND"] for r in receipts} == set(GACC_KINDS)
    assert len({r["RECEIPT_ID"] for r in receipts}) == len(receipts)
    dates = [r["NOTICE_DATE"] for r in receipts]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", d) for d in dates)
    assert dates == sorted(dates)  # the feed is in the order things happened
    first = receipts[0]
    assert first["ENTRY_ID"] == "310120241001234567"
    assert (first["CHANNEL"], first["NOTE"], first["VERSION"]) == ("L", "海关入库成功", "1")
    assert first["NOTICE_DATE"] == "2024-06-03 08:00:00"


def test_paging_with_limit_and_the_next_cursor_reads_everything_once(mocks: httpx.Client) -> None:
    _fill(mocks)
    _, everything = read_feed(mocks, limit=1000)
    cursor, pages = 0, []
    while True:
        head, receipts = read_feed(mocks, after=cursor, limit=4)
        assert len(receipts) <= 4
        pages.extend(receipts)
        assert head["AFTER"] == str(cursor)
        cursor = int(head["NEXT_SEQ"])
        if head["HAS_MORE"] == "false":
            break
    assert pages == everything


def test_an_empty_page_keeps_the_cursor(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", "2233202400004567")
    head, receipts = read_feed(mocks, after=1)
    assert receipts == []
    assert (head["NEXT_SEQ"], head["LAST_SEQ"], head["HAS_MORE"]) == ("1", "1", "false")


def test_new_receipts_appear_after_the_cursor_as_time_passes(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", "2233202400004567")
    head, _ = read_feed(mocks)
    advance(mocks, DAY)
    _, later = read_feed(mocks, after=int(head["NEXT_SEQ"]))
    assert later and all(int(r["SEQ_NO"]) > int(head["NEXT_SEQ"]) for r in later)


def test_the_limit_is_capped_at_1000(mocks: httpx.Client) -> None:
    mocks.post("/gacc/admin/items", json={
        "items": [{"kind": "goods_clearance", "reference": f"SF{n:013d}"} for n in range(1100)]
    })
    head, receipts = read_feed(mocks, limit=5000)
    assert len(receipts) == 1000
    assert (head["NEXT_SEQ"], head["LAST_SEQ"], head["HAS_MORE"]) == ("1000", "1100", "true")


def test_bad_cursor_or_limit_is_a_400(mocks: httpx.Client) -> None:
    for params in ({"after": "x"}, {"after": -1}, {"limit": 0}):
        response = mocks.get("/gacc/receipts", params=params)
        assert response.status_code == 400
        assert response.json()["error"] == "bad_request"


def test_the_feed_is_utf8_xml(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", "2233202400004567")
    response = mocks.get("/gacc/receipts")
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "转关申报成功" in response.content.decode("utf-8")
