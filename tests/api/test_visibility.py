"""Who may see what: 404 for non-parties (whom the agency does not name), 403 for the wrong role, 401 for anonymous."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.web.extensions import db
from core.models import Company
from notifications.fanout import fan_out
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem
from status_tracker.parties import AgencyParty
from tests.conftest import agency_confirms

ADMIN_PREFIXES = ("/companies", "/users", "/audit")
MILESTONE, MILESTONE_2 = [c.code for c in KINDS["transit"].codes if c.milestone and not c.terminal][:2]
PUBLIC = {("post", "/auth/login"), ("get", "/status-kinds"), ("get", "/health"), ("get", "/ready")}


def _operations(app):
    with app.app_context():
        from app.web.errors import current_api

        spec = current_api().spec.to_dict()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "patch", "put", "delete"}:
                yield method, path, operation


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_operation_but_login_and_health_needs_a_token(app, client):
    checked = 0
    for method, path, operation in _operations(app):
        if (method, path) in PUBLIC:
            assert "security" not in operation
            continue
        if path == "/auth/refresh":
            assert client.post(path).status_code == 401
            continue
        response = client.open(_concrete(path), method=method.upper(), json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.is_json and response.json["code"] == 401
        assert operation["security"] == [{"bearerAuth": []}], (method, path)
        checked += 1
    assert checked >= 20


def test_traders_get_403_on_every_admin_operation(app, client, world):
    _, headers = world.trader()
    admin_ops = [(m, p) for m, p, _ in _operations(app) if p.startswith(ADMIN_PREFIXES)]
    assert len(admin_ops) == 13  # companies, users, audit, and companies' API keys (company admins or admin)
    for method, path in admin_ops:
        response = client.open(_concrete(path), method=method.upper(), json={}, headers=headers)
        assert response.status_code == 403, (method, path, response.json)


def test_the_refusal_names_the_role_as_the_api_spells_it(client, world):
    _, headers = world.trader()
    assert client.get("/audit", headers=headers).json["message"] == "this needs the role admin"
    headers = world.login(world.user(role="admin"))
    assert client.get("/desk/search?q=13800000000", headers=headers).json["message"] == (
        "this needs the role customer_service")


@pytest.fixture
def two_companies(world, client):
    """A declarant's item, shipment, subscription and device, and a trader of an unrelated company."""
    _, owner = world.trader()
    shipment = client.post("/shipments", json={"container_no": "CSQU3054383"}, headers=owner).json
    item = world.track(owner, "transit", shipment_id=shipment["id"])
    sub = client.post("/subscriptions", json={"scope": "item", "target_id": item["id"]}, headers=owner).json
    device = client.post("/devices", json={"token": "owner-phone", "platform": "android"}, headers=owner).json
    _, stranger = world.trader()
    return {"owner": owner, "stranger": stranger, "item": item["id"], "shipment": shipment["id"],
            "subscription": sub["id"], "device": device["id"]}


def test_a_stranger_gets_404_for_every_object_that_exists(client, two_companies):
    t = two_companies
    requests = [
        ("GET", f"/clearances/{t['item']}"),
        ("GET", f"/clearances/{t['item']}/timeline"),
        ("GET", f"/shipments/{t['shipment']}"),
        ("GET", f"/subscriptions/{t['subscription']}"),
        ("PATCH", f"/subscriptions/{t['subscription']}"),
        ("DELETE", f"/subscriptions/{t['subscription']}"),
        ("DELETE", f"/devices/{t['device']}"),
    ]
    for method, path in requests:
        as_owner = client.open(path, method=method, json={} if method == "PATCH" else None, headers=t["owner"])
        as_stranger = client.open(path, method=method, json={} if method == "PATCH" else None,
                                  headers=t["stranger"])
        missing = client.open(re.sub(r"/\d+", "/999999", path, count=1), method=method,
                              json={} if method == "PATCH" else None, headers=t["stranger"])
        assert as_stranger.status_code == 404, (method, path, as_stranger.json)
        # Indistinguishable from an object that does not exist at all.
        assert as_stranger.json == missing.json, (method, path)
        if method == "GET":
            assert as_owner.status_code == 200, (method, path)


def test_an_api_key_sees_what_its_companys_users_see_and_nothing_else(world, client, two_companies):
    t = two_companies
    owner_company = world_company(world.app, _owner_of(world, t))
    mine = world.api_key(owner_company)
    strangers = world.api_key(world.company("陌生"))
    for path in (f"/clearances/{t['item']}", f"/clearances/{t['item']}/timeline", f"/clearances/{t['item']}/estimate"):
        assert client.get(path, headers=mine).status_code == 200, path
        as_stranger = client.get(path, headers=strangers)
        missing = client.get(re.sub(r"/\d+", "/999999", path, count=1), headers=strangers)
        assert as_stranger.status_code == 404 and as_stranger.json == missing.json, path
    assert [i["id"] for i in client.get("/clearances", headers=mine).json["items"]] == [t["item"]]
    assert client.get("/clearances", headers=strangers).json["items"] == []
    assert client.get("/events", headers=strangers).json["events"] == []
    # Tracking the stranger's way in gives a claim, not the item.
    body = {"kind": "transit", "reference": KINDS["transit"].reference_example}
    assert client.post("/clearances", json=body, headers=strangers).status_code == 202


def _owner_of(world, t):
    me = world.client.get("/me", headers=t["owner"]).json
    from core.models import User

    with world.app.app_context():
        return db.session.get(User, me["id"])


def test_a_stranger_cannot_subscribe_to_what_it_cannot_see(client, two_companies):
    t = two_companies
    for scope, target in (("item", t["item"]), ("shipment", t["shipment"]), ("company", 1)):
        response = client.post("/subscriptions", json={"scope": scope, "target_id": target},
                               headers=t["stranger"])
        assert response.status_code == 422, scope
        assert response.json["errors"]["json"] == {"target_id": [f"no such {scope}"]}


def test_lists_show_only_my_companys_objects(client, two_companies):
    t = two_companies
    for path in ("/clearances", "/shipments", "/subscriptions", "/devices"):
        body = client.get(path, headers=t["stranger"]).json
        assert (body["items"] if path == "/clearances" else body) == [], path
    assert len(client.get("/clearances", headers=t["owner"]).json["items"]) == 1


def test_a_shipment_lists_only_the_items_the_viewer_is_party_to(world, client, two_companies):
    t = two_companies
    detail = client.get(f"/shipments/{t['shipment']}", headers=t["owner"]).json
    assert [i["id"] for i in detail["items"]] == [t["item"]]


def test_customer_service_does_not_browse_items_through_the_trader_api(world, client, two_companies):
    desk = world.login(world.user(role="customer_service"))
    assert client.get(f"/clearances/{two_companies['item']}", headers=desk).status_code == 404
    assert client.get("/clearances", headers=desk).json["items"] == []


# -- the agency is the source of truth for parties ------------------------------------------------------------------

def _receipt(app, item_id, version, code, *parties):
    """A transit receipt from customs, naming these (role, company) as the item's parties, and its pushes."""
    with app.app_context():
        named = tuple(AgencyParty(role, company.uscc, company.customs_code) for role, company in parties) or None
        applied = apply_updates(db.session, [(item_id, StatusUpdate(f"t{version}", version, code, None,
                                                                     datetime.now(UTC), named))])
        fan_out(db.session, applied.changes)
        db.session.commit()


def _inbox(client, headers):
    return [n["data"]["native_code"] for n in client.get("/me/notifications", headers=headers).json["items"]]


def world_company(app, user):
    with app.app_context():
        return db.session.get(Company, user.company_id)


def _item_id(app, kind="transit", reference=KINDS["transit"].reference_example):
    with app.app_context():
        return db.session.scalar(select(ClearanceItem.id).where(ClearanceItem.kind == kind,
                                                                ClearanceItem.reference == reference))


def test_a_company_named_by_a_trader_but_not_by_the_agency_sees_nothing(world, client, app):
    named = world.company("被指名")
    _, named_headers = world.trader(named)
    _, trader = world.trader()
    claimed = client.post("/clearances", json={"kind": "transit", "reference": KINDS["transit"].reference_example,
                                               "parties": [{"role": "consignee", "uscc": named.uscc}]},
                          headers=trader)
    assert claimed.status_code == 202
    item_id = _item_id(app)
    for headers in (named_headers, trader):  # neither the named company nor the claimant, before the agency speaks
        assert client.get("/clearances", headers=headers).json["items"] == []
        for path in (f"/clearances/{item_id}", f"/clearances/{item_id}/timeline", f"/clearances/{item_id}/estimate"):
            assert client.get(path, headers=headers).status_code == 404, path
        subscribed = client.post("/subscriptions", json={"scope": "item", "target_id": item_id}, headers=headers)
        assert subscribed.status_code == 422
    _receipt(app, item_id, 1, MILESTONE)  # a receipt that names nobody yet: no push to anyone
    real = world.company("真申报单位")
    _, real_headers = world.trader(real)
    _receipt(app, item_id, 2, MILESTONE_2, ("declarant", real))  # customs names someone else entirely
    assert _inbox(client, named_headers) == _inbox(client, trader) == []
    assert _inbox(client, real_headers) == [MILESTONE_2]
    assert client.get(f"/clearances/{item_id}", headers=named_headers).status_code == 404
    assert client.get("/clearances/claims", headers=named_headers).json["claims"] == []  # it claimed nothing
    assert client.get("/clearances/claims", headers=trader).json["claims"][0]["state"] == "not_confirmed"


def test_a_second_party_gains_access_once_the_agency_confirms_it_without_a_409(world, client, app):
    first_user, first = world.trader()
    second_company = world.company("收货人")
    _, second = world.trader(second_company)
    item = world.track(first, "transit")
    body = {"kind": "transit", "reference": KINDS["transit"].reference_example, "my_role": "consignee"}
    tracked = client.post("/clearances", json=body, headers=second)
    assert tracked.status_code == 202 and tracked.json["state"] == "pending_confirmation"
    assert "id" not in tracked.json and "stage" not in tracked.json and "parties" not in tracked.json
    assert client.get(f"/clearances/{item['id']}", headers=second).status_code == 404
    _receipt(app, item["id"], 1, MILESTONE, ("declarant", world_company(app, first_user)),
             ("consignee", second_company))  # the agency's next receipt names both, and both are told
    assert _inbox(client, second) == _inbox(client, first) == [MILESTONE]
    assert client.post("/clearances", json=body, headers=second).json["id"] == item["id"]
    assert client.get(f"/clearances/{item['id']}", headers=second).status_code == 200
    assert client.get(f"/clearances/{item['id']}", headers=first).status_code == 200
    assert [i["id"] for i in client.get("/clearances", headers=second).json["items"]] == [item["id"]]


def test_a_party_the_agency_stops_naming_loses_access(world, client, app):
    owner_user, owner = world.trader()
    agent = world.company("代理")
    _, agent_headers = world.trader(agent)
    item = world.track(owner, "transit", parties=[{"role": "agent", "uscc": agent.uscc}])
    assert client.get(f"/clearances/{item['id']}", headers=agent_headers).status_code == 200
    with app.app_context():
        agency_confirms(db.session, item["id"], ("declarant", db.session.get(Company, owner_user.company_id)))
        db.session.commit()
    assert client.get(f"/clearances/{item['id']}", headers=agent_headers).status_code == 404
    assert client.get(f"/clearances/{item['id']}", headers=owner).status_code == 200


def test_port_charges_are_open_to_read_and_each_catalogue_closed_to_write_but_by_its_enterprise(app, client, world):
    """Catalogues are public to every signed-in user; only the enterprise's own port_enterprise users (and
    administrators) publish it; ports, enterprises and imports are administrators'."""
    from port_charges.models import Port
    from port_charges.publishing import create_enterprise

    mine, theirs = world.company("码头"), world.company("码头")
    with app.app_context():
        port = Port(customs_office="3104", name_zh="宁波舟山港", name_en="Ningbo-Zhoushan")
        db.session.add(port)
        db.session.flush()
        own = create_enterprise(db.session, None, port, name_zh="北仑码头", company_id=mine.id).id
        other = create_enterprise(db.session, None, port, name_zh="梅山码头", company_id=theirs.id).id
        db.session.commit()
        port_id = port.id
    entry = {"code": "THC-40", "name_zh": "码头作业费", "name_en": "THC", "category": "terminal_handling",
             "unit": "feu", "price": "800", "effective_from": "2026-01-01"}
    signed_in = {"publisher": world.login(world.user(mine, role="port_enterprise")), "trader": world.trader()[1],
                 "admin": world.login(world.user(role="admin"))}
    reads = ["/port-charges/ports", f"/port-charges/ports/{port_id}", f"/port-charges/ports/{port_id}/enterprises",
             f"/port-charges/ports/{port_id}/compare?code=THC-40", f"/port-charges/ports/{port_id}/fee-items",
             f"/port-charges/enterprises/{other}",
             f"/port-charges/enterprises/{other}/catalogue", f"/port-charges/enterprises/{other}/history",
             "/port-charges/search?q=THC", "/port-charges/follows"]
    writes = [
        (f"/port-charges/enterprises/{own}/catalogue", {"entries": [entry]}, {"publisher", "admin"}),
        (f"/port-charges/enterprises/{other}/catalogue", {"entries": [entry]}, {"admin"}),
        ("/port-charges/ports", {"customs_office": "5320", "name_zh": "盐田港", "name_en": "Yantian"}, {"admin"}),
        (f"/port-charges/ports/{port_id}/enterprises", {"name_zh": "新码头"}, {"admin"}),
        ("/port-charges/imports", {"rows": [{"port": "3104", "enterprise": "北仑码头", **entry}]}, {"admin"}),
    ]
    for headers in signed_in.values():
        for path in reads:
            assert client.get(path, headers=headers).status_code == 200, path
    for path, body, allowed in writes:
        for who, headers in signed_in.items():
            response = client.post(path, json=body, headers=headers)
            assert response.status_code in ((200, 201) if who in allowed else (403,)), (who, path, response.json)
