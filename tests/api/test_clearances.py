"""Tracking items (a claim until the agency confirms the parties), listing them page by page, timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.web.extensions import db
from core.models import Company
from status_tracker.apply import StatusUpdate, apply_update
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem
from status_tracker.parties import AgencyParty, record_agency_parties
from tests.conftest import agency_confirms

CUSTOMS = KINDS["customs_declaration"]


def track(client, headers, kind="customs_declaration", reference=None, **extra):
    body = {"kind": kind, "reference": reference or KINDS[kind].reference_example, **extra}
    return client.post("/clearances", json=body, headers=headers)


def test_a_declarant_tracks_a_transit_declaration_for_its_consignee_and_agent(world, client, app):
    consignee, agent = world.company("收货人"), world.company("代理人")
    declarant_user, declarant = world.trader()
    response = track(client, declarant, "transit", parties=[
        {"role": "consignee", "uscc": consignee.uscc}, {"role": "agent", "uscc": agent.uscc},
    ])
    # A claim: nothing of the item until the agency says who its parties are.
    assert response.status_code == 202
    assert response.json == {"state": "pending_confirmation", "kind": "transit", "role": "declarant",
                             "reference": KINDS["transit"].reference_example, "item_id": None,
                             "claimed_at": response.json["claimed_at"]}
    viewers = {"declarant": declarant} | {role: world.trader(c)[1] for role, c in (("consignee", consignee),
                                                                                   ("agent", agent))}
    for headers in viewers.values():
        assert client.get("/clearances", headers=headers).json["items"] == []
    with app.app_context():
        item_id = db.session.scalar(select(ClearanceItem.id))
        agency_confirms(db.session, item_id, ("declarant", db.session.get(Company, declarant_user.company_id)),
                        ("consignee", consignee), ("agent", agent))
        db.session.commit()
    for role, headers in viewers.items():
        seen = client.get(f"/clearances/{item_id}", headers=headers)
        assert seen.status_code == 200 and seen.json["reference"] == KINDS["transit"].reference_example, role
        assert {p["role"]: p["company"]["id"] for p in seen.json["parties"]} == {
            "declarant": declarant_user.company_id, "consignee": consignee.id, "agent": agent.id}
    again = track(client, declarant, "transit")
    assert again.status_code == 200 and again.json["id"] == item_id


def test_tracking_the_same_item_twice_is_the_same_claim_until_confirmed(world, client):
    _, headers = world.trader()
    first = track(client, headers, reference="  3101 2024 1001 2345 67 ")
    again = track(client, headers, reference="310120241001234567")
    assert first.status_code == again.status_code == 202
    assert first.json == again.json and first.json["reference"] == "310120241001234567"
    world.confirm_claims()
    confirmed = track(client, headers)
    assert confirmed.status_code == 200 and confirmed.json["reference"] == "310120241001234567"
    assert client.get("/clearances/claims", headers=headers).json["claims"] == [
        {**first.json, "state": "confirmed", "item_id": confirmed.json["id"]}]


def test_a_claim_the_agency_does_not_confirm_shows_as_not_confirmed_and_shows_nothing_else(world, client, app):
    real_user, real = world.trader()
    _, squatter = world.trader()
    claim = track(client, squatter).json
    with app.app_context():
        item_id = db.session.scalar(select(ClearanceItem.id))
        agency_confirms(db.session, item_id, ("declarant", db.session.get(Company, real_user.company_id)))
        db.session.commit()
    claims = client.get("/clearances/claims", headers=squatter).json["claims"]
    assert claims == [{**claim, "state": "not_confirmed"}]
    assert client.get(f"/clearances/{item_id}", headers=squatter).status_code == 404
    assert track(client, squatter).json == {**claim, "state": "not_confirmed"}
    assert client.get("/clearances/claims", query_string={"state": "pending_confirmation"},
                      headers=squatter).json["claims"] == []
    # The real declarant never claimed anything and simply sees the item.
    assert track(client, real).status_code == 200
    assert client.get("/clearances/claims", headers=real).json["claims"] == []


def test_a_claim_made_after_the_agency_last_spoke_waits_for_its_next_answer(world, client, app):
    real_user, real = world.trader()
    _, late = world.trader()
    with app.app_context():
        item, _ = track_item(db.session, company_id=real_user.company_id, user_id=real_user.id,
                             kind="license", reference=KINDS["license"].reference_example)
        agency_confirms(db.session, item.id, ("declarant", db.session.get(Company, real_user.company_id)))
        item.next_poll_at = None
        db.session.commit()
        item_id = item.id
    # The same answer as for a reference nobody tracks: no 409, nothing of the item, and the agency is asked again.
    claim = track(client, late, "license")
    fresh = track(client, late, "license", reference="LIC202400099999")
    assert claim.status_code == fresh.status_code == 202
    assert {k: v for k, v in claim.json.items() if k not in ("reference", "claimed_at")} == \
        {k: v for k, v in fresh.json.items() if k not in ("reference", "claimed_at")}
    assert claim.json["state"] == "pending_confirmation"
    with app.app_context():
        assert db.session.get(ClearanceItem, item_id).next_poll_at is not None


def test_a_party_named_by_a_code_nobody_has_yet_attaches_when_its_company_registers(world, client, app):
    _, headers = world.trader()
    from tests.conftest import make_uscc

    code = make_uscc(987654)
    claimed = track(client, headers, parties=[{"role": "consignee", "uscc": code}])
    assert claimed.status_code == 202  # no name needed: nothing is created for a claim
    world.confirm_claims()
    item = track(client, headers).json
    assert [(p["role"], p["company"], p["uscc"]) for p in item["parties"] if p["role"] == "consignee"] == [
        ("consignee", None, code)]
    with app.app_context():
        company = create_company(db.session, name="新收货人", uscc=code)
        db.session.commit()
    _, newcomer = world.trader(company)
    seen = client.get(f"/clearances/{item['id']}", headers=newcomer)
    assert seen.status_code == 200
    assert {p["role"]: p["company"]["id"] for p in seen.json["parties"]}["consignee"] == company.id


def test_a_party_named_by_customs_code_only_is_matched_by_it(world, client, app):
    owner_user, owner = world.trader()
    broker = world.company("报关行")
    item = world.track(owner)
    with app.app_context():
        record_agency_parties(db.session, {item["id"]: [
            AgencyParty("declarant", db.session.get(Company, owner_user.company_id).uscc, None),
            AgencyParty("agent", None, broker.customs_code)]})
        db.session.commit()
    _, broker_headers = world.trader(broker)
    assert client.get(f"/clearances/{item['id']}", headers=broker_headers).status_code == 200


def test_bad_input_names_the_field_and_the_reason(world, client):
    _, headers = world.trader()
    cases = {
        "reference": ({"kind": "customs_declaration", "reference": "12345"}, "18-digit entry id"),
        "kind": ({"kind": "teleport", "reference": "x"}, "Must be one of"),
        "parties.0.uscc": ({"kind": "license", "reference": KINDS["license"].reference_example,
                            "parties": [{"role": "agent", "uscc": "91350100M000100Y44"}]}, "check character"),
        "parties.0.role": ({"kind": "license", "reference": KINDS["license"].reference_example,
                            "parties": [{"role": "declarant", "uscc": "91350100M000100Y43"}]}, "given twice"),
        "shipment_id": ({"kind": "license", "reference": KINDS["license"].reference_example, "shipment_id": 999},
                        "no such shipment"),
    }
    for field, (body, reason) in cases.items():
        response = client.post("/clearances", json=body, headers=headers)
        assert response.status_code == 422, (field, response.json)
        errors = response.json["errors"]["json"]
        flat = errors.get(field) or errors.get(field.split(".")[0])
        assert flat is not None, (field, errors)
        assert reason in str(flat), (field, errors)
    with client.application.app_context():
        assert db.session.query(ClearanceItem).count() == 0


def test_only_traders_track_items(world, client):
    headers = world.login(world.user(role="customer_service"))
    assert track(client, headers).status_code == 403


def _items(client, headers, **params):
    return client.get("/clearances", query_string=params, headers=headers)


def test_keyset_pages_cover_every_item_once(world, client):
    _, headers = world.trader()
    for n in range(7):
        assert track(client, headers, reference=f"31012024100123456{n}").status_code == 202
    world.confirm_claims()
    seen, cursor, pages = [], None, 0
    while True:
        page = _items(client, headers, limit=3, **({"cursor": cursor} if cursor else {})).json
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)  # same updated_at order as creation here


def test_page_size_is_capped_and_bad_cursors_are_refused(world, client):
    _, headers = world.trader()
    assert _items(client, headers, limit=101).status_code == 422
    bad = _items(client, headers, cursor="not-a-cursor")
    assert bad.status_code == 422 and "cursor" in bad.json["errors"]["query"]


def test_filters_by_kind_stage_text_and_updated_since(world, client, app):
    _, headers = world.trader()
    customs = world.track(headers)
    world.track(headers, "license")
    with app.app_context():
        item = db.session.get(ClearanceItem, customs["id"])
        apply_update(db.session, item.id, StatusUpdate("r1", 1, "P", "海关已放行 上海", datetime.now(UTC)))
        db.session.commit()
    assert [i["kind"] for i in _items(client, headers, kind="license").json["items"]] == ["license"]
    assert [i["id"] for i in _items(client, headers, stage="released").json["items"]] == [customs["id"]]
    assert [i["id"] for i in _items(client, headers, text="10012345").json["items"]] == [customs["id"]]
    assert [i["id"] for i in _items(client, headers, text="上海").json["items"]] == [customs["id"]]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _items(client, headers, updated_since=future).json["items"] == []
    assert _items(client, headers, stage="flying").status_code == 422


def test_timeline_keeps_native_codes_and_notes_in_agency_order(world, client, app):
    _, headers = world.trader()
    item_id = world.track(headers)["id"]
    now = datetime.now(UTC)
    with app.app_context():
        item = db.session.get(ClearanceItem, item_id)
        for seq, code, note in ((2, "C", "查验通知 布控"), (1, "L", None), (3, "Q9", "新代码")):
            apply_update(db.session, item.id, StatusUpdate(f"e{seq}", seq, code, note, now + timedelta(minutes=seq)))
        db.session.commit()
    body = client.get(f"/clearances/{item_id}/timeline", headers={**headers, "Accept-Language": "en"}).json
    assert [(e["native_code"], e["stage"]) for e in body["events"]] == [
        ("L", "accepted"), ("C", "inspection"), ("Q9", None)
    ]
    assert body["events"][1]["note"] == "查验通知 布控" and body["events"][1]["stage_label"] == "Inspection"
    current = client.get(f"/clearances/{item_id}", headers=headers).json
    # An unknown code is kept and flagged, never guessed into a stage.
    assert current["current_code"] == "Q9" and current["unknown_code"] is True and current["stage"] is None
