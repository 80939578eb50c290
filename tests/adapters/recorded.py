"""Recorded agency payloads for the parser tests: how each was made, and how tests read them.

`python -m tests.adapters.recorded` records them again from the mocks (seed 42, the clock stopped at START). Only
FEED_ID differs between recordings (the mocks draw a new one per start). Two payloads are not the mocks' own:
`feed_broken_receipts.xml` is `feed_page.xml` with four receipts damaged by hand (below), since the mocks never
send a receipt with a field missing; `feed_billion_laughs.xml` is the classic XML bomb.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.adapters.mocks import DAY, REFERENCES, Admin, FakeMonotonic, Waits, make_mocks_app

PAYLOADS = Path(__file__).parent / "payloads"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE RECEIPT_FEED [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<RECEIPT_FEED AGENCY="GACC"><HEAD><FEED_ID>&lol9;</FEED_ID></HEAD><RECEIPTS/></RECEIPT_FEED>
"""

# (SEQ_NO, element, replacement text; None removes the element): what feed_broken_receipts.xml breaks.
DAMAGE = [
    ("2", "VERSION", None),
    ("3", "NOTICE_DATE", "2024-13-03 08:22:03"),
    ("4", "SEQ_NO", "four"),
    ("5", "NOTICE_DATE", "2024-06-03T01:00:00Z"),  # not damage: ISO-8601 with an offset must be read too
]


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def record() -> dict[str, bytes]:
    waits, monotonic = Waits(), FakeMonotonic()
    with httpx.Client(transport=httpx.WSGITransport(app=make_mocks_app(waits, monotonic)),
                      base_url="http://mocks") as http:
        admin = Admin(http)
        for kind in ("customs_declaration", "manifest", "transit"):
            admin.register("gacc", kind, REFERENCES[kind])
            admin.advance(900)
        admin.register("mofcom", "license", REFERENCES["license"])
        admin.register("mofcom", "service_trade", "FW20240000123456")
        admin.register("ccpit", "certificate_of_origin", REFERENCES["certificate_of_origin"])
        admin.register("msa", "transport_vehicle", REFERENCES["transport_vehicle"])
        admin.register("sta", "export_tax_refund", REFERENCES["export_tax_refund"])
        admin.register("bank", "tax_payment", REFERENCES["tax_payment"])
        admin.advance(DAY)
        admin.force("bank", REFERENCES["tax_payment"], "X9", note="未知状态", strict=False)

        def feed(after: int, limit: int) -> bytes:
            return http.get("/gacc/receipts", params={"after": after, "limit": limit}).content

        def batch(agency: str, references: list[str]) -> bytes:
            return http.post(f"/{agency}/status/query", json={"references": references}).content

        vessel = f"/msa/vessels/{REFERENCES['transport_vehicle']}/status"
        out = {
            "feed_page.xml": feed(0, 5),
            "item_current.json": http.get(vessel).content,
            "item_unknown_code.json": http.get(f"/bank/items/{REFERENCES['tax_payment']}/status").content,
        }
        admin.faults("gacc", duplicate_rate=0.4, out_of_order_rate=1)  # 0.4: also re-delivers SEQ_NO 2
        out["feed_duplicates_shuffled.xml"] = feed(2, 5)
        admin.faults("gacc", duplicate_rate=0, out_of_order_rate=0, malformed_rate=1)
        out["feed_truncated.xml"] = feed(0, 5)
        admin.faults("mofcom", duplicate_rate=1)
        out["batch_duplicates.json"] = batch("mofcom", [REFERENCES["license"], "FW20240000123456", "LIC000000000000"])
        admin.faults("ccpit", malformed_rate=1)
        out["batch_malformed.json"] = batch("ccpit", [REFERENCES["certificate_of_origin"]])
        admin.faults("msa", out_of_order_rate=1)
        out["item_stale.json"] = http.get(vessel).content
        admin.faults("sta", malformed_rate=1)
        out["item_malformed.json"] = http.get(f"/sta/items/{REFERENCES['export_tax_refund']}/status").content
    out["feed_broken_receipts.xml"] = damaged(out["feed_page.xml"])
    out["feed_billion_laughs.xml"] = BILLION_LAUGHS
    out["empty.bin"] = b""
    return out


def damaged(feed: bytes) -> bytes:
    text = feed.decode()
    for seq, tag, replacement in DAMAGE:
        receipt = re.search(rf"<DEC_RESULT>\s*<SEQ_NO>{seq}</SEQ_NO>.*?</DEC_RESULT>", text, re.S)
        assert receipt is not None, seq
        element = re.compile(rf"\s*<{tag}>[^<]*</{tag}>" if replacement is None else rf"(?<=<{tag}>)[^<]*(?=</{tag}>)")
        broken = element.sub("" if replacement is None else replacement, receipt.group(0), count=1)
        text = text[: receipt.start()] + broken + text[receipt.end():]
    return text.encode()


if __name__ == "__main__":
    PAYLOADS.mkdir(exist_ok=True)
    for name, body in record().items():
        (PAYLOADS / name).write_bytes(body)
        print(f"{name}: {len(body)} bytes")
