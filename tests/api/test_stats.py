"""Clearance-time statistics on a history with known answers, and the expected completion of open items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.web.extensions import db
from core.models import Company
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.clearance_times import percentile
from status_tracker.clearances import track_item
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
def no_minimum(app, monkeypatch):
    """The arithmetic on a small history: every figure published, however few items or companies."""
    monkeypatch.setitem(app.config, "STATS_MIN_ITEMS", 1)
    monkeypatch.setitem(app.config, "STATS_MIN_COMPANIES", 1)


@pytest.fixture
def history(app, world, no_minimum):
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
    others = [world.company(), world.company()]
    declarants = [company, *others]
    for n, hours in enumerate((1, 2, 3, 4, 5), start=1):  # accepted → released: p50 3 h, p90 4.6 h at 2233
        declaration(app, declarants[n % 3].id, "2233", n, [("L", 0), ("P", hours)])
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


# Publishing only what aggregates enough items from enough companies (defaults: 5 items, 3 companies)

PERIOD = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-03T00:00:00Z"}
RELEASE = ("customs_declaration", "accepted", "released")


def releases(app, companies, office="2233", start=1):  # type: ignore[no-untyped-def]
    """One declaration per company given (accepted → released in 1, 2, 3 … h) at the office."""
    for n, company in enumerate(companies, start=start):
        declaration(app, company.id, office, n, [("L", 0), ("P", n)])


def stats_answer(client, headers, **query):  # type: ignore[no-untyped-def]
    response = client.get("/stats/clearance-times", query_string={**PERIOD, **query}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_one_companys_items_are_never_published_however_many(app, world, client):
    competitor = world.company()
    releases(app, [competitor] * 8)
    _, headers = world.trader()
    for query in ({}, {"customs_office": "2233"}, {"kind": "customs_declaration"}):
        answer = stats_answer(client, headers, **query)
        assert answer["transitions"] == [] and answer["minimum"] == {"items": 5, "companies": 3}, answer
        assert "withheld" not in answer  # not even that there was a figure to withhold


def test_a_single_competitor_item_at_an_office_is_withheld(app, world, client):
    many = [world.company() for _ in range(3)]
    releases(app, many * 2, office="3101")  # six items from three companies at 3101
    releases(app, [world.company()], office="2233", start=10)  # one item alone at 2233
    _, headers = world.trader()
    assert stats_answer(client, headers, customs_office="2233")["transitions"] == []
    [shown] = stats_answer(client, headers, customs_office="3101")["transitions"]
    assert (shown["samples"], shown["p50_seconds"] / HOUR) == (6, 3.5)


def test_too_few_items_or_too_few_companies_are_withheld_and_enough_of_both_shown(app, world, client):
    a, b, c = world.company(), world.company(), world.company()
    _, headers = world.trader()
    releases(app, [a, b, c, a])  # four items from three companies: too few items
    assert stats_answer(client, headers)["transitions"] == []
    releases(app, [b], start=5)  # five items from three companies: published
    [shown] = stats_answer(client, headers)["transitions"]
    assert (shown["samples"], shown["p50_seconds"] / HOUR, round(shown["p90_seconds"] / HOUR, 6)) == (5, 3.0, 4.6)


def test_two_companies_are_not_enough(app, world, client):
    a, b = world.company(), world.company()
    releases(app, [a, b, a, b, a, b])
    _, headers = world.trader()
    assert stats_answer(client, headers)["transitions"] == []


def test_items_count_for_their_declarant_not_for_every_party(app, world, client):
    """One broker declaring for many consignees is still one company's times."""
    broker = world.company()
    consignees = [world.company() for _ in range(6)]
    for n, consignee in enumerate(consignees, start=1):
        with app.app_context():
            item, _ = track_item(db.session, company_id=consignee.id, user_id=None, kind="customs_declaration",
                                 reference=f"22332026100{n:07d}", my_role="consignee")
            parties = (AgencyParty("declarant", broker.uscc), AgencyParty("consignee", consignee.uscc))
            apply_updates(db.session, [(item.id, StatusUpdate("e1", 1, "L", None, T0, parties)),
                                       (item.id, StatusUpdate("e2", 2, "P", None, T0 + timedelta(hours=n), parties))])
            db.session.commit()
    _, headers = world.trader()
    assert stats_answer(client, headers)["transitions"] == []


def test_the_minimum_is_configurable(app, world, client, monkeypatch):
    a, b = world.company(), world.company()
    releases(app, [a, b, a])
    _, headers = world.trader()
    assert stats_answer(client, headers)["transitions"] == []
    monkeypatch.setitem(app.config, "STATS_MIN_ITEMS", 3)
    monkeypatch.setitem(app.config, "STATS_MIN_COMPANIES", 2)
    answer = stats_answer(client, headers)
    assert [t["samples"] for t in answer["transitions"]] == [3] and answer["minimum"] == {"items": 3, "companies": 2}


def accepted_just_now(app, world):
    """A new trader's declaration at 2233, accepted by customs a moment ago: (item id, the trader's headers)."""
    company = world.company()
    user, headers = world.trader(company)
    with app.app_context():
        item, _ = track_item(db.session, company_id=company.id, user_id=user.id, kind="customs_declaration",
                             reference="223320261000000099")
        apply_updates(db.session, [(item.id, StatusUpdate("o1", 1, "L", None, datetime.now(UTC),
                                                          declared_by(company.id)))])
        db.session.commit()
        return item.id, headers


def test_an_estimate_never_rests_on_one_competitors_items_at_the_office(app, world, client):
    competitor = world.company()
    releases(app, [competitor] * 5, office="2233")  # enough items at 2233, all one company's
    others = [world.company() for _ in range(3)]
    releases(app, others * 2, office="3101", start=10)  # the whole kind: 11 items from 4 companies
    item_id, headers = accepted_just_now(app, world)
    [released] = client.get(f"/clearances/{item_id}/estimate", headers=headers).json["expected"]
    assert (released["customs_office"], released["samples"]) == (None, 11)


def test_an_estimate_is_withheld_when_the_whole_kind_is_one_companys(app, world, client):
    competitor = world.company()
    releases(app, [competitor] * 6, office="2233")
    item_id, headers = accepted_just_now(app, world)
    assert client.get(f"/clearances/{item_id}/estimate", headers=headers).json["expected"] == []
