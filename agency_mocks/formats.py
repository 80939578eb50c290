"""How answers look on the wire: timestamps, the JSON status of one item, the XML receipt feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from agency_mocks.clock import BEIJING, SimClock
from agency_mocks.simulation import Party, Receipt


def customs_time(moment: datetime) -> str:
    """Customs' own format: Beijing local time, no offset, e.g. 2024-06-03 08:15:00."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(moment: datetime) -> str:
    """ISO-8601 with the +08:00 offset, e.g. 2024-06-03T08:15:00+08:00 (JSON agencies)."""
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def receipt_json(receipt: Receipt, clock: SimClock) -> dict[str, Any]:
    return {
        "code": receipt.code,
        "note": receipt.note,
        "updated_at": iso_time(clock.to_datetime(receipt.at)),
        "event_id": receipt.receipt_id,
        "version": receipt.version,
    }


def status_json(current: Receipt, history: Sequence[Receipt], clock: SimClock,
                parties: Sequence[Party] = ()) -> dict[str, Any]:
    """One item's status: its current receipt's fields at the top, then every receipt so far, oldest first,
    and the enterprises the agency's records name as its parties."""
    return {
        "reference": current.reference,
        "kind": current.kind,
        **receipt_json(current, clock),
        "history": [receipt_json(r, clock) for r in history],
        "parties": [dict(party) for party in parties],
    }


# GACC names the enterprises of a declaration by their role on the form, their unified social credit code
# (SCC) and their 10-character customs code (CODE).
_XML_PARTY_FIELDS = (("SCC", "uscc"), ("CODE", "customs_code"), ("NAME", "name"))


def feed_xml(receipts: Sequence[Receipt], *, feed_id: str, after: int, next_seq: int, last_seq: int,
             queried_at: datetime, clock: SimClock, parties: Mapping[str, Sequence[Party]] | None = None) -> bytes:
    root = ET.Element("RECEIPT_FEED", AGENCY="GACC")
    head = ET.SubElement(root, "HEAD")
    for tag, value in (
        ("FEED_ID", feed_id),
        ("AFTER", after),
        ("NEXT_SEQ", next_seq),
        ("LAST_SEQ", last_seq),
        ("HAS_MORE", "true" if next_seq < last_seq else "false"),
        ("COUNT", len(receipts)),
        ("QUERY_TIME", customs_time(queried_at)),
    ):
        ET.SubElement(head, tag).text = str(value)
    body = ET.SubElement(root, "RECEIPTS")
    for receipt in receipts:
        element = ET.SubElement(body, "DEC_RESULT")
        for tag, value in (
            ("SEQ_NO", receipt.seq),
            ("RECEIPT_ID", receipt.receipt_id),
            ("ENTRY_ID", receipt.reference),
            ("KIND", receipt.kind),
            ("CHANNEL", receipt.code),
            ("NOTE", receipt.note),
            ("NOTICE_DATE", customs_time(clock.to_datetime(receipt.at))),
            ("VERSION", receipt.version),
        ):
            ET.SubElement(element, tag).text = str(value)
        item_parties = (parties or {}).get(receipt.reference, ())
        if item_parties:
            listed = ET.SubElement(element, "PARTIES")
            for party in item_parties:
                entry = ET.SubElement(listed, "PARTY", ROLE=party.get("role", "").upper())
                for tag, key in _XML_PARTY_FIELDS:
                    if party.get(key):
                        ET.SubElement(entry, tag).text = party[key]
    ET.indent(root)
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    return declaration + ET.tostring(root, encoding="utf-8", xml_declaration=False)
