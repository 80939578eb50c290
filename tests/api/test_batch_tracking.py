"""POST /clearances/batch: up to 1,000 entries, an answer per entry, idempotent under Idempotency-Key."""

from __future__ import annotations

from sqlalchemy import func, select

from app.web.extensions import db
from status_tracker.kinds import KINDS
from status_tracker.models import ItemParty

DECL = KINDS["customs_declaration"]
TRANSIT = KINDS["transit"]


def _decl(n: int) -> str:
    """A customs declaration number (18 digits: customs office, year, serial)."""
    example = DECL.reference_example
    return example[:-6] + f"{n:06d}"


def test_mixed_valid_and_invalid_entries_are_answered_one_by_one(world, client, app):
    _, trader = world.trader()
    seen = world.track(trader, "transit")
    entries = [
        {"kind": "customs_declaration", "reference": _decl(1)},
        {"kind": "customs_declaration", "reference": _decl(2), "my_role": "consignee"},
        {"kind": "no_such_kind", "reference": "X"},
        {"kind": "customs_declaration", "reference": "too short"},
        {"kind": "customs_declaration", "reference": _decl(4), "my_role": "pilot"},
        {"kind": "transit", "reference": TRANSIT.reference_example},  # the agency names my company: mine
        {"kind": "customs_declaration", "reference": _decl(1)},  # named twice in the batch
        {"reference": _decl(3)},
    ]
    answer = client.post("/clearances/batch", json={"entries": entries}, headers=trader)
    assert answer.status_code == 200, answer.json
    results = answer.json["results"]
    assert [r["status"] for r in results] == ["created", "created", "invalid", "invalid", "invalid",
                                              "already_tracked", "already_tracked", "invalid"]
    assert [r["index"] for r in results] == list(range(8))
    assert "kind" in results[2]["errors"] and "reference" in results[3]["errors"]
    assert "my_role" in results[4]["errors"]
    assert results[7]["errors"] == {"kind": ["Missing data for required field."]}
    assert results[5]["item_id"] == seen["id"] and results[0]["item_id"] is None  # a claim shows no item
    assert (answer.json["created"], answer.json["already_tracked"], answer.json["invalid"]) == (2, 2, 4)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemParty)
                                 .where(ItemParty.source == "claim")) == 3  # transit's own claim and the two new
    claims = client.get("/clearances/claims", headers=trader).json["claims"]
    assert {c["reference"] for c in claims} >= {_decl(1), _decl(2)}
    again = client.post("/clearances/batch", json={"entries": entries[:2]}, headers=trader).json["results"]
    assert [r["status"] for r in again] == ["already_tracked", "already_tracked"]


def test_a_batch_is_idempotent_and_bounded(world, client):
    _, trader = world.trader()
    headers = {**trader, "Idempotency-Key": "erp-batch-2026-12-06"}
    body = {"entries": [{"kind": "customs_declaration", "reference": _decl(n)} for n in range(1, 4)]}
    first = client.post("/clearances/batch", json=body, headers=headers)
    second = client.post("/clearances/batch", json=body, headers=headers)
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    assert first.json["created"] == 3
    too_many = client.post("/clearances/batch", json={"entries": [{}] * 1001}, headers=trader)
    assert too_many.status_code == 422 and "entries" in too_many.json["errors"]["json"]
    assert client.post("/clearances/batch", json={"entries": []}, headers=trader).status_code == 422
    not_objects = client.post("/clearances/batch", json={"entries": [{"kind": "transit"}, [1]]}, headers=trader)
    assert not_objects.status_code == 422 and "entries" in not_objects.json["errors"]["json"]


def test_a_key_with_the_tracking_scope_tracks_in_batches(world, client):
    company = world.company()
    key = world.api_key(company, scopes=("tracking:write",))
    body = {"entries": [{"kind": "customs_declaration", "reference": _decl(n)} for n in range(1, 1001)]}
    answer = client.post("/clearances/batch", json=body, headers=key)
    assert answer.status_code == 200 and answer.json["created"] == 1000
    read_only = world.api_key(company, scopes=("clearances:read",))
    assert client.post("/clearances/batch", json=body, headers=read_only).status_code == 403


def test_a_batch_tells_nothing_of_who_else_tracks_an_item(world, client, app):
    _, first = world.trader()
    other = world.company("收货人")
    _, second = world.trader()
    client.post("/clearances", json={"kind": "customs_declaration", "reference": _decl(5)}, headers=first)
    entries = [{"kind": "customs_declaration", "reference": _decl(n), "parties": [
        {"role": "consignee", "uscc": other.uscc}]} for n in (5, 6)]
    results = client.post("/clearances/batch", json={"entries": entries}, headers=second).json["results"]
    assert [(r["status"], r["item_id"]) for r in results] == [("created", None), ("created", None)]
    with app.app_context():
        consignee_claims = db.session.scalars(select(ItemParty).where(ItemParty.role == "consignee")).all()
        assert {(c.company_id, c.source) for c in consignee_claims} == {(other.id, "claim")}
        assert len(consignee_claims) == 2
