"""Who may see what: 404 for non-parties, 403 for the wrong role, 401 for anonymous, on every endpoint."""

from __future__ import annotations

import re

import pytest

from status_tracker.kinds import KINDS

ADMIN_PREFIXES = ("/companies", "/users", "/audit")
PUBLIC = {("post", "/auth/login"), ("get", "/status-kinds"), ("get", "/health"), ("get", "/ready")}


def _operations(app):
    with app.app_context():
        from app.extensions import current_api

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
    assert len(admin_ops) == 9
    for method, path in admin_ops:
        response = client.open(_concrete(path), method=method.upper(), json={}, headers=headers)
        assert response.status_code == 403, (method, path, response.json)


@pytest.fixture
def two_companies(world, client):
    """A declarant's item, shipment, subscription and device, and a trader of an unrelated company."""
    _, owner = world.trader()
    shipment = client.post("/shipments", json={"container_no": "CSQU3054383"}, headers=owner).json
    item = client.post("/clearances", json={
        "kind": "transit", "reference": KINDS["transit"].reference_example, "shipment_id": shipment["id"],
    }, headers=owner).json
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
