"""Properties of the parsers: no input makes them raise, and what the mocks render is read back exactly."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.sax.saxutils import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from agency_mocks.clock import SimClock
from agency_mocks.formats import feed_xml, status_json
from agency_mocks.simulation import Receipt as MockReceipt
from status_tracker.adapters import (
    BatchAnswer,
    FeedPage,
    ItemAnswer,
    ItemStatus,
    Receipt,
    parse_batch,
    parse_feed,
    parse_item,
    parse_item_status,
    unreadable,
)
from tests.adapters.mocks import START


def check_all_parsers(body: bytes) -> None:
    page, batch, item = parse_feed(body), parse_batch(body), parse_item(body)
    assert isinstance(page, FeedPage) and isinstance(batch, BatchAnswer) and isinstance(item, ItemAnswer)
    if unreadable(page.problems):
        assert page.receipts == []
    assert (item.status is None) == (unreadable(item.problems) is not None)


@settings(deadline=None)  # a slow shared machine must not fail it
@given(st.binary(max_size=2000))
def test_no_bytes_make_a_parser_raise(body: bytes) -> None:
    check_all_parsers(body)


@settings(deadline=None)
@given(st.text(max_size=2000))
def test_no_text_makes_a_parser_raise(text: str) -> None:
    check_all_parsers(text.encode("utf-8", errors="surrogatepass"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)
plausible = st.one_of(
    json_values, st.sampled_from(["01", "", "2024-06-03T08:00:00+08:00", "2024-06-03 08:00:00", "V1", "E:V1:1:01"]),
    st.integers(-2, 3),
)
receipt_like = st.fixed_dictionaries({}, optional={
    key: plausible for key in ("code", "note", "updated_at", "event_id", "version")
})
status_like = st.fixed_dictionaries({}, optional={
    "reference": st.sampled_from(["V1", "V2", ""]) | json_values,
    "found": st.booleans() | json_values,
    "kind": plausible,
    "code": plausible, "note": plausible, "updated_at": plausible, "event_id": plausible, "version": plausible,
    "history": st.lists(receipt_like | json_values, max_size=6) | json_values,
})


@settings(deadline=None)
@given(json_values)
def test_no_json_value_makes_a_parser_raise(value: object) -> None:
    check_all_parsers(json.dumps(value).encode())
    status, problems = parse_item_status(value)
    assert status is None or isinstance(status, ItemStatus)


@settings(deadline=None)
@given(st.lists(status_like | json_values, max_size=6))
def test_no_json_shaped_like_an_answer_makes_a_parser_raise(results: list[object]) -> None:
    answer = parse_batch(json.dumps({"results": results}).encode())
    for item in answer.items:
        assert [r.version for r in item.receipts] == sorted(r.version for r in item.receipts)
        assert len({r.event_id for r in item.receipts}) == len(item.receipts)
    for result in results:
        check_all_parsers(json.dumps(result).encode())


TAGS = ["RECEIPT_FEED", "HEAD", "RECEIPTS", "DEC_RESULT", "FEED_ID", "AFTER", "NEXT_SEQ", "LAST_SEQ", "HAS_MORE",
        "COUNT", "SEQ_NO", "RECEIPT_ID", "ENTRY_ID", "KIND", "CHANNEL", "NOTE", "NOTICE_DATE", "VERSION", "x"]
xml_texts = st.one_of(
    st.text(max_size=15).map(escape),
    st.text(max_size=15),  # unescaped: sometimes not XML at all
    st.sampled_from(["1", "0", "-1", "007", "١", "1_0", "true", "false", "2024-06-03 08:00:00",
                     "2024-06-03T08:00:00+08:00", "&lol;", "&amp;", "<![CDATA[x]]>", "<!-- c -->"]),
)
xml_elements = st.recursive(
    xml_texts,
    lambda children: st.tuples(st.sampled_from(TAGS), st.lists(children, max_size=5)).map(
        lambda pair: f"<{pair[0]}>{''.join(pair[1])}</{pair[0]}>"),
    max_leaves=40,
)
prologues = st.sampled_from([
    "", '<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0" encoding="latin-1"?>',
    *(f'<?xml version="1.0" encoding="{codec}"?>' for codec in ("no-such-codec", "rot13", "idna", "undefined",
                                                                "utf-7", "utf-16", "gb18030", "cp1252")),
'<!DOCTYPE RECEIPT_FEED [<!ENTITY lol "lol">]>',
    '<!DOCTYPE RECEIPT_FEED SYSTEM "http://example.com/evil.dtd">', "<!DOCTYPE RECEIPT_FEED>",
])


@settings(deadline=None)
@given(prologues, xml_elements)
def test_no_xml_ish_text_makes_the_feed_parser_raise(prologue: str, element: str) -> None:
    check_all_parsers(f"{prologue}<RECEIPT_FEED>{element}</RECEIPT_FEED>".encode())
    check_all_parsers(f"{prologue}{element}".encode())


# Text the agencies could send in a field: printable, no surrounding spaces (the parser strips them).
field_text = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=20)
field_text = field_text.filter(lambda text: text == text.strip())


codes = field_text.filter(lambda code: len(code) <= 16)  # what status_events.native_code stores


@st.composite
def mock_receipts(draw: st.DrawFn) -> list[MockReceipt]:
    count = draw(st.integers(0, 8))
    return [
        MockReceipt(
            seq=seq, receipt_id=f"GACC:{draw(field_text)}:{seq}", reference=draw(field_text), kind=draw(field_text),
            code=draw(codes), note=draw(field_text | st.just("")), at=draw(st.integers(0, 10**8)),
            version=draw(st.integers(1, 10**6)),
        )
        for seq in range(1, count + 1)
    ]


def expected(receipt: MockReceipt, kind: str | None) -> Receipt:
    return Receipt(reference=receipt.reference, code=receipt.code, note=receipt.note,
                   agency_time=START + timedelta(seconds=receipt.at), event_id=receipt.receipt_id,
                   version=receipt.version, kind=kind)


@settings(max_examples=50)
@given(mock_receipts(), st.integers(0, 3))
def test_every_feed_page_the_mocks_can_render_is_read_back_exactly(receipts: list[MockReceipt], after: int) -> None:
    clock = SimClock(START, speed=0)
    body = feed_xml(receipts, feed_id="f00d", after=after, next_seq=len(receipts), last_seq=len(receipts) + 2,
                    queried_at=START, clock=clock)
    page = parse_feed(body)
    assert page == FeedPage(
        receipts=[expected(r, r.kind) for r in receipts if r.seq > after], next_cursor=len(receipts),
        has_more=True, feed_id="f00d", last_seq=len(receipts) + 2,
    )


@settings(max_examples=50)
@given(mock_receipts().filter(bool))
def test_every_item_status_the_mocks_can_render_is_read_back_exactly(receipts: list[MockReceipt]) -> None:
    history = [r._replace(reference="V1", kind="transport_vehicle", version=r.seq) for r in receipts]
    answer = parse_item(json.dumps(status_json(history[-1], history, SimClock(START, speed=0))).encode())
    assert answer == ItemAnswer(status=ItemStatus(
        reference="V1", found=True, receipts=[expected(r, "transport_vehicle") for r in history]))
