"""The desk sees the claims on an item and their states: the answer to "why can't my company see it?"."""

from __future__ import annotations

from status_tracker.kinds import KINDS

TRANSIT = KINDS["transit"]


def test_a_case_lists_who_claimed_what_and_whether_the_agency_confirmed_it(world, client):
    declarant_co, named_co = world.company("报关行"), world.company("被指名")
    _, declarant = world.trader(declarant_co)
    item = world.track(declarant, "transit")  # the agency confirms the declarant
    _, squatter = world.trader()
    claimed = client.post("/clearances", json={"kind": "transit", "reference": TRANSIT.reference_example,
                                               "parties": [{"role": "consignee", "uscc": named_co.uscc}]},
                          headers=squatter)
    assert claimed.status_code == 202
    desk = world.login(world.user(role="customer_service"))
    case = client.get(f"/desk/cases/{item['id']}", headers=desk).json
    assert [p["company"]["id"] for p in case["item"]["parties"]] == [declarant_co.id]
    assert [(c["role"], c["company"]["name"] if c["company"] else None, c["claimed_by"]["id"] == declarant_co.id,
             c["state"]) for c in case["claims"]] == [
        ("declarant", declarant_co.name, True, "confirmed"),
        ("declarant", case["claims"][1]["company"]["name"], False, "pending_confirmation"),
        ("consignee", named_co.name, False, "pending_confirmation"),
    ]
