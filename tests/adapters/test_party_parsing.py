"""Reading the parties each agency names: bounded (known roles, well-formed codes only), and through the clients
from the mocks' own answers."""

from __future__ import annotations

import json

from status_tracker.adapters import AgencyClient, parse_feed, parse_item, parse_item_status
from status_tracker.parties import MAX_PARTIES, AgencyParty
from tests.adapters.mocks import Admin
from tests.conftest import make_uscc

USCC, OTHER = make_uscc(11), make_uscc(12)
BAD_CHECK = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<RECEIPT_FEED AGENCY="GACC">
  <HEAD><FEED_ID>f1</FEED_ID><AFTER>0</AFTER><NEXT_SEQ>2</NEXT_SEQ><LAST_SEQ>2</LAST_SEQ>
    <HAS_MORE>false</HAS_MORE><COUNT>2</COUNT></HEAD>
  <RECEIPTS>
    <DEC_RESULT><SEQ_NO>1</SEQ_NO><RECEIPT_ID>GACC:R1:1:01</RECEIPT_ID><ENTRY_ID>R1</ENTRY_ID><KIND>transit</KIND>
      <CHANNEL>01</CHANNEL><NOTICE_DATE>2024-06-03 08:00:00</NOTICE_DATE><VERSION>1</VERSION>
      <PARTIES>{parties}</PARTIES>
    </DEC_RESULT>
    <DEC_RESULT><SEQ_NO>2</SEQ_NO><RECEIPT_ID>GACC:R2:1:01</RECEIPT_ID><ENTRY_ID>R2</ENTRY_ID><KIND>transit</KIND>
      <CHANNEL>01</CHANNEL><NOTICE_DATE>2024-06-03 08:00:00</NOTICE_DATE><VERSION>1</VERSION>
    </DEC_RESULT>
  </RECEIPTS>
</RECEIPT_FEED>"""


def feed_with(parties: str):  # type: ignore[no-untyped-def]
    page = parse_feed(FEED.format(parties=parties).encode())
    assert page.problems == []
    return page.receipts


def test_the_feed_reads_each_party_by_role_credit_code_and_customs_code() -> None:
    first, second = feed_with(
        f'<PARTY ROLE="DECLARANT"><SCC>{USCC}</SCC><CODE>3122960001</CODE><NAME>远航</NAME></PARTY>'
        '<PARTY ROLE="consignee"><CODE>3205260002</CODE></PARTY>'
    )
    assert first.parties == (AgencyParty("declarant", USCC, "3122960001"), AgencyParty("consignee", None, "3205260002"))
    assert second.parties is None  # a receipt without PARTIES says nothing about them


def test_the_feed_keeps_only_known_roles_and_well_formed_codes() -> None:
    (receipt, _) = feed_with(
        f'<PARTY ROLE="SMUGGLER"><SCC>{USCC}</SCC></PARTY>'  # unknown role: dropped
        f'<PARTY><SCC>{USCC}</SCC></PARTY>'  # no role: dropped
        f'<PARTY ROLE="AGENT"><SCC>{BAD_CHECK}</SCC></PARTY>'  # wrong check character, no other code: dropped
        f'<PARTY ROLE="AGENT"><SCC>{BAD_CHECK}</SCC><CODE>3302980003</CODE></PARTY>'  # the good code is kept
        '<PARTY ROLE="OWNER"><CODE>33029800031234</CODE></PARTY>'  # customs code too long: dropped
        f'<PARTY ROLE="CARRIER"><SCC>{"9" * 5000}</SCC></PARTY>'
        f'<PARTY ROLE="CONSIGNEE"><SCC> {OTHER.lower()} </SCC></PARTY>'  # normalized
    )
    assert receipt.parties == (AgencyParty("agent", None, "3302980003"), AgencyParty("consignee", OTHER, None))
    (nothing, _) = feed_with('<PARTY ROLE="AGENT"><SCC>nonsense</SCC></PARTY>')
    assert nothing.parties is None


def test_the_feed_reads_at_most_max_parties() -> None:
    many = "".join(f'<PARTY ROLE="AGENT"><SCC>{make_uscc(100 + n)}</SCC></PARTY>' for n in range(MAX_PARTIES + 5))
    (receipt, _) = feed_with(many)
    assert receipt.parties is not None and len(receipt.parties) == MAX_PARTIES


def status(**extra: object) -> dict:
    return {"reference": "LIC202400012345", "found": True, "kind": "license", "code": "20", "version": 2,
            "event_id": "e2", "updated_at": "2024-06-03T08:43:08+08:00",
            "history": [{"code": "10", "version": 1, "event_id": "e1", "updated_at": "2024-06-03T08:30:00+08:00"},
                        {"code": "20", "version": 2, "event_id": "e2", "updated_at": "2024-06-03T08:43:08+08:00"}],
            **extra}


def test_a_json_answer_gives_its_parties_with_the_newest_receipt() -> None:
    item, problems = parse_item_status(status(parties=[
        {"role": "declarant", "uscc": USCC, "customs_code": "3122960001", "name": "远航"},
        {"role": "applicant", "uscc": OTHER},  # not a role we know
        {"role": "agent", "uscc": 42}, "agent", None,
        {"role": "consignee", "customs_code": "3205260002"},
    ]))
    assert problems == [] and item is not None
    expected = (AgencyParty("declarant", USCC, "3122960001"), AgencyParty("consignee", None, "3205260002"))
    assert item.parties == expected
    assert [r.parties for r in item.receipts] == [None, expected]


def test_a_json_answer_without_usable_parties_says_nothing_about_them() -> None:
    for extra in ({}, {"parties": None}, {"parties": "declarant"}, {"parties": []},
                  {"parties": [{"role": "agent", "uscc": "x"}]}):
        answer = parse_item(json.dumps(status(**extra)).encode())
        assert answer.status is not None and answer.status.parties is None, extra
        assert all(r.parties is None for r in answer.status.receipts)


def test_the_clients_bring_the_parties_the_mocks_registered(clients: dict[str, AgencyClient], admin: Admin) -> None:
    parties = [{"role": "declarant", "uscc": USCC, "customs_code": "3122960001"},
               {"role": "consignee", "customs_code": "3205260002"}]
    expected = (AgencyParty("declarant", USCC, "3122960001"), AgencyParty("consignee", None, "3205260002"))
    for agency, kind, reference in (("gacc", "transit", "2233202400004567"), ("mofcom", "license", "LIC202400012345"),
                                    ("msa", "transport_vehicle", "IMO9321483/118W"),
                                    ("bank", "tax_payment", "310100224000123")):
        admin._ok(admin.http.post(f"/{agency}/admin/items",
                                  json={"kind": kind, "reference": reference, "parties": parties}))
    assert clients["gacc"].fetch(after=0, limit=10).receipts[0].parties == expected
    assert clients["mofcom"].query(["LIC202400012345"]).items[0].parties == expected
    assert clients["msa"].fetch("IMO9321483/118W", None).status.parties == expected
    assert clients["bank"].fetch("310100224000123").status.receipts[-1].parties == expected
