"""Forcing a status: it happens now, shows on the next poll of every style, and ends the planned story."""

from __future__ import annotations

import httpx

from tests.agency_mocks.support import DAY, advance, item, read_feed, register

TRANSIT = "2233202400004567"


def test_a_forced_write_off_is_the_next_receipt_in_the_feed(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", TRANSIT)
    head, _ = read_feed(mocks)
    forced = mocks.post(f"/gacc/admin/items/{TRANSIT}/force", json={"code": "06"})
    assert forced.status_code == 201
    assert forced.json()["note"] == "指运地海关已核销，关锁已拆除"

    _, receipts = read_feed(mocks, after=int(head["NEXT_SEQ"]))
    assert [(r["ENTRY_ID"], r["CHANNEL"]) for r in receipts] == [(TRANSIT, "06")]
    assert receipts[0]["SEQ_NO"] == str(forced.json()["seq"])
    assert receipts[0]["RECEIPT_ID"] == forced.json()["event_id"]


def test_a_forced_item_leaves_its_story(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", TRANSIT)
    mocks.post(f"/gacc/admin/items/{TRANSIT}/force", json={"code": "07", "note": "企业申请撤销"})
    advance(mocks, 3 * DAY)
    shown = item(mocks, "gacc", TRANSIT)
    assert (shown["scripted"], shown["upcoming"]) == (False, [])
    assert [h["code"] for h in shown["status"]["history"]] == ["01", "07"]
    assert shown["status"]["note"] == "企业申请撤销"


def test_force_shows_in_batch_etag_and_rate_limited_answers(mocks: httpx.Client) -> None:
    register(mocks, "ccpit", "certificate_of_origin", "CO2024310000123456")
    register(mocks, "msa", "transport_vehicle", "IMO9321483/118W")
    register(mocks, "bank", "tax_payment", "223320241000876543")
    etag = mocks.get("/msa/vessels/IMO9321483/118W/status").headers["ETag"]

    mocks.post("/ccpit/admin/items/CO2024310000123456/force", json={"code": "08"})
    mocks.post("/msa/admin/items/IMO9321483/118W/force", json={"code": "06"})
    mocks.post("/bank/admin/items/223320241000876543/force", json={"code": "04"})

    batch = mocks.post("/ccpit/status/query", json={"references": ["CO2024310000123456"]})
    assert batch.json()["results"][0]["code"] == "08"
    vessel = mocks.get("/msa/vessels/IMO9321483/118W/status", headers={"If-None-Match": etag})
    assert (vessel.status_code, vessel.json()["code"]) == (200, "06")
    assert mocks.get("/bank/items/223320241000876543/status").json()["code"] == "04"


def test_force_refuses_unknown_codes_unless_told_not_to_be_strict(mocks: httpx.Client) -> None:
    register(mocks, "gacc", "transit", TRANSIT)
    refused = mocks.post(f"/gacc/admin/items/{TRANSIT}/force", json={"code": "ZZ"})
    assert refused.status_code == 400
    allowed = mocks.post(f"/gacc/admin/items/{TRANSIT}/force", json={"code": "-1", "strict": False})
    assert allowed.status_code == 201
    assert allowed.json()["note"] == ""


def test_force_on_an_unknown_item_is_a_404(mocks: httpx.Client) -> None:
    assert mocks.post("/gacc/admin/items/NOPE/force", json={"code": "06"}).status_code == 404
    assert mocks.post("/gacc/admin/items/NOPE/force", json={}).status_code == 400
