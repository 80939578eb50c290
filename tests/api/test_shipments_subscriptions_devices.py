"""Shipments group items; subscriptions say what to push; devices receive it."""

from __future__ import annotations


def test_a_shipment_by_bill_of_lading_groups_its_items(world, client):
    _, headers = world.trader()
    shipment = client.post("/shipments", json={"bill_of_lading": "cosu 6345678910", "label": "电子元件"},
                           headers=headers)
    assert shipment.status_code == 201 and shipment.json["bill_of_lading"] == "COSU6345678910"
    assert client.post("/shipments", json={"bill_of_lading": "COSU6345678910"}, headers=headers).status_code == 200
    for kind in ("customs_declaration", "manifest"):
        world.track(headers, kind, shipment_id=shipment.json["id"])
    detail = client.get(f"/shipments/{shipment.json['id']}", headers=headers).json
    assert sorted(i["kind"] for i in detail["items"]) == ["customs_declaration", "manifest"]
    assert [s["id"] for s in client.get("/shipments", headers=headers).json] == [shipment.json["id"]]


def test_a_shipment_needs_a_bill_of_lading_or_container(world, client):
    _, headers = world.trader()
    response = client.post("/shipments", json={"label": "nothing"}, headers=headers)
    assert response.status_code == 422 and "bill_of_lading" in response.json["errors"]["json"]


def test_subscriptions_per_item_shipment_and_company_with_filters(world, client):
    user, headers = world.trader()
    item = world.track(headers, "transit")
    on_item = client.post("/subscriptions", json={"scope": "item", "target_id": item["id"],
                                                  "milestones_only": False}, headers=headers)
    on_company = client.post("/subscriptions", json={"scope": "company", "target_id": user.company_id,
                                                     "kinds": ["transit", "customs_declaration"]}, headers=headers)
    assert on_item.status_code == on_company.status_code == 201
    assert on_company.json["kinds"] == ["customs_declaration", "transit"]
    # Subscribing to the same target again updates it.
    again = client.post("/subscriptions", json={"scope": "item", "target_id": item["id"], "muted": True},
                        headers=headers)
    assert again.status_code == 200 and again.json["id"] == on_item.json["id"] and again.json["muted"] is True
    patched = client.patch(f"/subscriptions/{on_company.json['id']}", json={"kinds": None}, headers=headers)
    assert patched.json["kinds"] is None
    bad = client.patch(f"/subscriptions/{on_company.json['id']}", json={"kinds": ["weather"]}, headers=headers)
    assert bad.status_code == 422
    assert client.delete(f"/subscriptions/{on_item.json['id']}", headers=headers).status_code == 204
    assert [s["scope"] for s in client.get("/subscriptions", headers=headers).json] == ["company"]


def test_a_token_registered_by_another_user_moves_to_that_user(world, client):
    company = world.company()
    _, first = world.trader(company)
    _, second = world.trader(company)
    assert client.post("/devices", json={"token": "shared-phone", "platform": "android"},
                       headers=first).status_code == 201
    moved = client.post("/devices", json={"token": "shared-phone", "platform": "android", "app_version": "2.1"},
                        headers=second)
    assert moved.status_code == 200
    assert client.get("/devices", headers=first).json == []
    assert [d["app_version"] for d in client.get("/devices", headers=second).json] == ["2.1"]


def test_i_remove_my_device(world, client):
    _, headers = world.trader()
    device = client.post("/devices", json={"token": "t1", "platform": "ios"}, headers=headers).json
    assert client.delete(f"/devices/{device['id']}", headers=headers).status_code == 204
    assert client.delete(f"/devices/{device['id']}", headers=headers).status_code == 404
    assert client.get("/devices", headers=headers).json == []
