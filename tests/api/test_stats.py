"""Clearance-time statistics on a history with known answers, and the expected completion of open items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.clearance_times import percentile
from status_tracker.clearances import track_item
from status_tracker.models import Company
from status_tracker.parties import AgencyParty

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
HOUR = 3600.0


def declaration(app, company_id, office, serial, steps):
    """A customs declaration at `office` whose receipts came at T0 + hours, in order: [(code, hours), …]."""
    with app.app_context():
        item, _ = track_item(db.session, company_id=company_id, user_id=None, kind="customs_declaration",
                             reference=f"{office}2026100{serial:07d}"[:18])
        parties = declared_by(company_id)
        apply_updates(db.session, [(item.id, StatusUpdate(f"e{n}", n, code, None, T0 + timedelta(hours=hours),
                                                          parties))
                                   for n, (code, hours) in enumerate(steps, start=1)])
        db.session.commit()
        return item.id


def declared_by(company_id):
    """The parties customs names with each receipt: the company as declarant."""
    return (AgencyParty("declarant", db.session.get(Company, company_id).uscc),)


@pytest.fixture
def history(app, world):
    company = world.company()
    # accepted → released: 2 h, 4 h, 3 h at 2233 (the third went back for amendment and was accepted again:
    # the clock is not restarted), 10 h at 3101.
    declaration(app, company.id, "2233", 1, [("L", 0), ("P", 2), ("R", 5)])
    declaration(app, company.id, "2233", 2, [("L", 0), ("C", 1), ("P", 4), ("R", 6)])
    declaration(app, company.id, "2233", 3, [("L", 0), ("Z", 1), ("L", 2), ("P", 3)])
    declaration(app, company.id, "3101", 4, [("L", 0), ("P", 10)])
    return company


def times(client, headers, **query):
    response = client.get("/stats/clearance-times", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return {(t["kind"], t["from_stage"], t["to_stage"]): (t["samples"], t["p50_seconds"] / HOUR,
                                                          round(t["p90_seconds"] / HOUR, 6))
            for t in response.json["transitions"]}


def test_percentiles_interpolate_between_ranks():
    assert percentile([2.0, 3.0, 4.0, 10.0], 0.5) == 3.5
    assert percentile([2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(8.2)
    assert percentile([7.0], 0.9) == 7.0


def test_clearance_times_per_kind_and_transition(world, client, history):
    _, headers = world.trader()
    period = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-03T00:00:00Z"}
    stats = times(client, headers, **period)
    key = ("customs_declaration", "accepted", "released")
    assert stats[key] == (4, 3.5, 8.2)  # [2, 3, 4, 10] h
    assert stats[("customs_declaration", "released", "completed")] == (2, 2.5, 2.9)  # [2, 3] h
    assert stats[("customs_declaration", "inspection", "released")] == (1, 3.0, 3.0)
    assert stats[("customs_declaration", "accepted", "completed")] == (2, 5.5, 5.9)  # [5, 6] h
    # The detour through "action required" shows as its own step, and never as a step backwards.
    assert stats[("customs_declaration", "accepted", "action_required")] == (1, 1.0, 1.0)
    assert not [k for k in stats if k[1] == "released" and k[2] in ("accepted", "under_review")]


def test_filtered_by_customs_office_and_period(world, client, history):
    _, headers = world.trader()
    key = ("customs_declaration", "accepted", "released")
    office = times(client, headers, customs_office="2233", since="2026-11-01T00:00:00Z", until="2026-11-03T00:00:00Z")
    assert office[key] == (3, 3.0, 3.8)  # [2, 3, 4] h
    # A transition belongs to the period it ended in: the 10 h release ended after this period.
    early = times(client, headers, since="2026-11-01T00:00:00Z", until="2026-11-02T17:00:00Z")
    assert early[key] == (3, 3.0, 3.8)
    assert times(client, headers, kind="transit", since="2026-11-01T00:00:00Z", until="2026-11-03T00:00:00Z") == {}
    assert times(client, headers, since="2026-12-01T00:00:00Z", until="2026-12-02T00:00:00Z") == {}


@pytest.mark.parametrize("query, field", [
    ({"customs_office": "22A3"}, "customs_office"),
    ({"kind": "parcel"}, "kind"),
    ({"since": "2026-11-03T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "since"),
    ({"since": "2024-01-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "since"),
    ({"since": "yesterday"}, "since"),
])
def test_bad_filters_are_named(world, client, query, field):
    _, headers = world.trader()
    response = client.get("/stats/clearance-times", query_string=query, headers=headers)
    assert response.status_code == 422 and field in response.json["errors"]["query"], response.json


def test_an_open_item_expects_release_from_the_history_of_its_office(app, world, client):
    company = world.company()
    for n, hours in enumerate((1, 2, 3, 4, 5), start=1):  # accepted → released: p50 3 h, p90 4.6 h at 2233
        declaration(app, company.id, "2233", n, [("L", 0), ("P", hours)])
    declaration(app, company.id, "3101", 9, [("L", 0), ("P", 9)])
    user, headers = world.trader(company)
    entered = datetime.now(UTC) - timedelta(hours=1)

    def open_item(office, serial):
        with app.app_context():
            item, _ = track_item(db.session, company_id=company.id, user_id=user.id, kind="customs_declaration",
                                 reference=f"{office}2026100{serial:07d}"[:18])
            apply_updates(db.session, [(item.id, StatusUpdate("o1", 1, "L", None, entered, declared_by(company.id)))])
            db.session.commit()
            return item.id

    at_office = client.get(f"/clearances/{open_item('2233', 20)}/estimate", headers=headers).json
    [released] = at_office["expected"]  # no declaration has been closed yet: nothing to say about completion
    assert (released["stage"], released["from_stage"], released["samples"], released["customs_office"]) == (
        "released", "accepted", 5, "2233")
    assert datetime.fromisoformat(released["p50_at"]) == entered + timedelta(hours=3)
    assert datetime.fromisoformat(released["p90_at"]) == entered + timedelta(hours=4.6)
    # Another office with too little history of its own: the whole kind's (six items, 3.5 h).
    elsewhere = client.get(f"/clearances/{open_item('3101', 21)}/estimate", headers=headers).json["expected"]
    assert (elsewhere[0]["customs_office"], elsewhere[0]["samples"]) == (None, 6)
    assert datetime.fromisoformat(elsewhere[0]["p50_at"]) == entered + timedelta(hours=3.5)


def test_no_expectation_for_a_finished_item_or_without_history(app, world, client):
    company = world.company()
    _, headers = world.trader(company)
    done = declaration(app, company.id, "2233", 1, [("L", 0), ("P", 2), ("R", 3)])
    fresh = declaration(app, company.id, "2233", 2, [("L", 0)])
    assert client.get(f"/clearances/{done}/estimate", headers=headers).json == {
        "item_id": done, "stage": "completed", "awaiting": [], "expected": []}
    waiting = client.get(f"/clearances/{fresh}/estimate", headers=headers).json
    assert (waiting["awaiting"], waiting["expected"]) == (["released", "completed"], [])  # 1 sample < 5
    _, stranger = world.trader()
    assert client.get(f"/clearances/{fresh}/estimate", headers=stranger).status_code == 404
