"""GACC's XML receipt feed (`<RECEIPT_FEED>`, `<HEAD>`, `<RECEIPTS>` of `<DEC_RESULT>`) read into a FeedPage.

`parse_feed` never raises. A page comes back in one of two states, told apart so that the poll cycle never moves
its cursor past receipts nobody read:

* **unreadable** — not well-formed XML (e.g. cut short), a DTD with entities (an XML bomb: defusedxml refuses it),
  the wrong root, no RECEIPTS, or a HEAD without a usable FEED_ID, NEXT_SEQ, LAST_SEQ or HAS_MORE. The page then
  has no receipts and `problems` holds an `Unreadable` (see `problems.unreadable`); its cursor fields are
  placeholders (0, "") that must not be used. `FeedClient.fetch` raises `AgencyUnavailable` for such a page, so
  the poll cycle keeps its cursor and asks again next cycle.
* **readable, perhaps in part** — HEAD is sound. A DEC_RESULT with a field missing, a bad SEQ_NO, VERSION or
  NOTICE_DATE, or a field outside what the tables store (bounds.py) is skipped with a `RejectedReceipt`; the
  others are returned and `next_cursor` is HEAD/NEXT_SEQ. The cursor does move past a skipped receipt: the agency
  would send it just as badly again, so the poll cycle quarantines it for a person (it names its SEQ_NO and
  RECEIPT_ID, and carries its text).

Receipts are returned once each (first by RECEIPT_ID), in SEQ_NO order, without any at or before HEAD/AFTER (the
feed re-delivers the receipt at the cursor now and then; it was handled last time).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from status_tracker.adapters.base import FeedPage, ParseProblem, Receipt, RejectedReceipt
from status_tracker.adapters.bounds import RAW_CHARS, RECEIPT_FIELDS, bounded, rejected
from status_tracker.adapters.problems import Unreadable, snippet
from status_tracker.adapters.timestamps import parse_agency_time
from status_tracker.parties import MAX_PARTIES, AgencyParty, read_party

REQUIRED = ("SEQ_NO", "RECEIPT_ID", "ENTRY_ID", "CHANNEL", "NOTICE_DATE", "VERSION")
_COUNT = re.compile(r"[0-9]{1,18}")  # ASCII digits only: int() would also take "٣", "+3" and "1_0"


@dataclass(frozen=True)
class _Head:
    feed_id: str
    next_seq: int
    last_seq: int
    has_more: bool
    after: int | None  # informative: filters re-deliveries when present
    count: int | None


def parse_feed(body: bytes) -> FeedPage:
    # ValueError and LookupError come from the declared encoding: unknown, not for text, or multi-byte (expat
    # reads UTF-8, UTF-16, Latin-1 and one-byte codecs only; a GBK/GB18030 page would be unreadable).
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as error:
        return _unreadable(f"not readable XML ({type(error).__name__}: {error})", body)
    if root.tag != "RECEIPT_FEED":
        return _unreadable(f"root element is <{root.tag[:40]}>, not <RECEIPT_FEED>", body)
    head = _read_head(root.find("HEAD"))
    if isinstance(head, str):
        return _unreadable(head, body)
    receipts_element = root.find("RECEIPTS")
    if receipts_element is None:
        return _unreadable("no <RECEIPTS> element", body)

    problems: list[ParseProblem] = []
    read: list[tuple[int, Receipt]] = []
    elements = list(receipts_element)
    for element in elements:
        result = _read_receipt(element)
        if isinstance(result, ParseProblem):
            problems.append(result)
        else:
            read.append(result)
    if head.count is not None and head.count != len(elements):
        problems.append(ParseProblem(f"HEAD/COUNT is {head.count} but RECEIPTS holds {len(elements)} elements"))
    return FeedPage(
        receipts=_in_order_once(read, head.after),
        next_cursor=head.next_seq,
        has_more=head.has_more,
        feed_id=head.feed_id,
        last_seq=head.last_seq,
        problems=problems,
    )


def _read_head(head: ET.Element | None) -> _Head | str:
    """HEAD's values, or why the page cannot be trusted without them."""
    if head is None:
        return "no <HEAD> element"
    feed_id = _text(head, "FEED_ID")
    next_seq, last_seq = _count(_text(head, "NEXT_SEQ")), _count(_text(head, "LAST_SEQ"))
    has_more = {"true": True, "false": False}.get(_text(head, "HAS_MORE") or "")
    if not feed_id or next_seq is None or last_seq is None or has_more is None:
        return "HEAD lacks a usable FEED_ID, NEXT_SEQ, LAST_SEQ or HAS_MORE"
    return _Head(feed_id, next_seq, last_seq, has_more, _count(_text(head, "AFTER")), _count(_text(head, "COUNT")))


def _read_receipt(element: ET.Element) -> tuple[int, Receipt] | ParseProblem:
    """The receipt and its SEQ_NO, or a RejectedReceipt saying why it was skipped."""
    if element.tag != "DEC_RESULT":
        return rejected(f"unexpected <{element.tag[:40]}> in RECEIPTS", _raw(element))
    values = {tag: _text(element, tag) for tag in (*REQUIRED, "KIND", "NOTE")}
    where = f"DEC_RESULT SEQ_NO={_short(values['SEQ_NO'])} RECEIPT_ID={_short(values['RECEIPT_ID'])}"
    missing = [tag for tag in REQUIRED if not values[tag]]
    if missing:
        return _rejected(f"{where}: missing {', '.join(missing)}", element, values)
    seq, version = _count(values["SEQ_NO"]), _count(values["VERSION"])
    agency_time = parse_agency_time(values["NOTICE_DATE"] or "")
    if not seq or not version:
        return _rejected(f"{where}: SEQ_NO and VERSION must be positive integers", element, values)
    if agency_time is None:
        return _rejected(f"{where}: NOTICE_DATE {_short(values['NOTICE_DATE'])} is not a time", element, values)
    receipt = Receipt(
        reference=values["ENTRY_ID"] or "",
        code=values["CHANNEL"] or "",
        note=values["NOTE"],
        agency_time=agency_time,
        event_id=values["RECEIPT_ID"] or "",
        version=version,
        kind=values["KIND"] or None,
        parties=read_parties(element),
    )
    checked = bounded(receipt, where, lambda: _raw(element))
    return checked if isinstance(checked, ParseProblem) else (seq, checked)


def _rejected(message: str, element: ET.Element, values: dict[str, str | None]) -> RejectedReceipt:
    reference = values["ENTRY_ID"] if RECEIPT_FIELDS["reference"].check(values["ENTRY_ID"]) is None else None
    return rejected(message, _raw(element), reference)


def read_parties(element: ET.Element) -> tuple[AgencyParty, ...] | None:
    """DEC_RESULT/PARTIES: `<PARTY ROLE="AGENT"><SCC>…</SCC><CODE>…</CODE></PARTY>` each. Only known roles with a
    well-formed credit code or customs code are kept; None when there are none (the receipt says nothing)."""
    listed = element.find("PARTIES")
    if listed is None:
        return None
    parties = [read_party(party.get("ROLE"), _text(party, "SCC"), _text(party, "CODE"))
               for party in listed.findall("PARTY")[:MAX_PARTIES]]
    return tuple(dict.fromkeys(p for p in parties if p is not None)) or None


def _in_order_once(read: list[tuple[int, Receipt]], after: int | None) -> list[Receipt]:
    seen: set[str] = set()
    receipts = []
    for seq, receipt in sorted(read, key=lambda pair: pair[0]):  # stable: the first copy of a repeat wins
        if receipt.event_id in seen or (after is not None and seq <= after):
            continue
        seen.add(receipt.event_id)
        receipts.append(receipt)
    return receipts


def _text(parent: ET.Element, tag: str) -> str | None:
    """The child's stripped text ("" when empty), or None when there is no such child."""
    child = parent.find(tag)
    return None if child is None else (child.text or "").strip()


def _count(text: str | None) -> int | None:
    return int(text) if text is not None and _COUNT.fullmatch(text) else None


def _short(text: str | None) -> str:
    return repr(text if text is None or len(text) <= 60 else text[:60] + "…")


def _raw(element: ET.Element) -> str:
    """The receipt's fields as text, at most RAW_CHARS of it. Built by hand, not with ET.tostring, which recurses
    and would fail on a deeply nested element."""
    fields = " ".join(f"{child.tag[:40]}={(child.text or '').strip()[:RAW_CHARS]}" for child in element[:20])
    return f"<{element.tag[:40]}> {fields}"[:RAW_CHARS]


def _unreadable(message: str, body: bytes) -> FeedPage:
    return FeedPage(receipts=[], next_cursor=0, has_more=False, feed_id="", last_seq=0,
                    problems=[Unreadable(message, snippet(body))])
