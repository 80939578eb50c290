"""Tracking items with their parties, listing them page by page, and reading timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from status_tracker.apply import StatusUpdate, apply_update
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem

CUSTOMS = KINDS["customs_declaration"]


def track(client, headers, kind="customs_declaration", reference=None, **extra):
    body = {"kind": kind, "reference": reference or KINDS[kind].reference_example, **extra}
    return client.post("/clearances", json=body, headers=headers)


def test_a_declarant_tracks_a_transit_declaration_for_its_consignee_and_agent(world, client):
    consignee, agent = world.company("收货人"), world.company("代理人")
    _, declarant = world.trader()
    response = track(client, declarant, "transit", parties=[
        {"role": "consignee", "uscc": consignee.uscc}, {"role": "agent", "uscc": agent.uscc},
    ])
    assert response.status_code == 201
    roles = {p["role"]: p["company"]["id"] for p in response.json["parties"]}
    assert roles["consignee"] == consignee.id and roles["agent"] == agent.id
    for company in (consignee, agent):
        _, headers = world.trader(company)
        seen = client.get(f"/clearances/{response.json['id']}", headers=headers)
        assert seen.status_code == 200 and seen.json["reference"] == KINDS["transit"].reference_example


def test_tracking_the_same_item_twice_returns_the_existing_one(world, client):
    _, headers = world.trader()
    first = track(client, headers, reference="  3101 2024 1001 2345 67 ")
    again = track(client, headers, reference="310120241001234567")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json["id"] == again.json["id"]


def test_a_stranger_tracking_an_item_already_tracked_gets_409_and_sees_nothing(world, client):
    _, owner = world.trader()
    _, stranger = world.trader()
    item = track(client, owner).json
    response = track(client, stranger)
    assert response.status_code == 409 and "parties" not in response.json
    assert client.get(f"/clearances/{item['id']}", headers=stranger).status_code == 404


def test_an_unregistered_party_is_kept_by_its_credit_code_and_needs_a_name(world, client):
    _, headers = world.trader()
    from tests.conftest import make_uscc

    code = make_uscc(987654)
    nameless = track(client, headers, parties=[{"role": "consignee", "uscc": code}])
    assert nameless.status_code == 422
    assert nameless.json["errors"]["json"] == {"parties.0.name": ["required for a company that is not registered yet"]}
    named = track(client, headers, parties=[{"role": "consignee", "uscc": code, "name": "新收货人"}])
    assert named.status_code == 201


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
        assert track(client, headers, reference=f"31012024100123456{n}").status_code == 201
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
    customs = track(client, headers).json
    track(client, headers, "license")
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
    item_id = track(client, headers).json["id"]
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
