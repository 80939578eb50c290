"""Idempotency-Key: a retried POST replays the first answer; the key with another body is refused."""

from __future__ import annotations

from app.web.extensions import db
from status_tracker.kinds import KINDS
from status_tracker.models import Shipment


def test_the_same_key_and_body_replay_the_first_response_without_a_second_write(world, client, app):
    _, headers = world.trader()
    keyed = {**headers, "Idempotency-Key": "ship-001"}
    first = client.post("/shipments", json={"bill_of_lading": "COSU6345678910", "label": "A"}, headers=keyed)
    # Same body in another key order and spacing is the same request.
    again = client.post("/shipments", data='{"label":"A",  "bill_of_lading":"COSU6345678910"}',
                        content_type="application/json", headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.query(Shipment).count() == 1


def test_the_same_key_with_another_body_is_422(world, client):
    _, headers = world.trader()
    keyed = {**headers, "Idempotency-Key": "k1"}
    client.post("/shipments", json={"bill_of_lading": "COSU6345678910"}, headers=keyed)
    other = client.post("/shipments", json={"bill_of_lading": "MSKU1234567"}, headers=keyed)
    assert other.status_code == 422
    assert other.json["errors"] == {"headers": {"Idempotency-Key": ["already used with a different request"]}}


def test_keys_belong_to_their_user(world, client):
    _, alice = world.trader()
    _, bob = world.trader()
    body = {"kind": "license", "reference": KINDS["license"].reference_example}
    a = client.post("/clearances", json=body, headers={**alice, "Idempotency-Key": "same"})
    world.confirm_claims()  # the agency names Alice's company, not Bob's
    b = client.post("/clearances", json=body, headers={**bob, "Idempotency-Key": "same"})
    assert a.status_code == 202
    # Bob's request ran for real (a claim of his own), it did not replay Alice's answer.
    assert b.status_code == 202 and b.json["state"] == "pending_confirmation"
    assert client.post("/clearances", json=body, headers={**alice, "Idempotency-Key": "same"}).json == a.json


def test_failed_requests_are_not_remembered(world, client):
    _, headers = world.trader()
    keyed = {**headers, "Idempotency-Key": "retry-me"}
    assert client.post("/shipments", json={"container_no": "CSQU3054384"}, headers=keyed).status_code == 422
    assert client.post("/shipments", json={"container_no": "CSQU3054383"}, headers=keyed).status_code == 201


def test_an_overlong_key_is_refused(world, client):
    _, headers = world.trader()
    response = client.post("/shipments", json={"bill_of_lading": "COSU6345678910"},
                           headers={**headers, "Idempotency-Key": "x" * 201})
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]["headers"]
