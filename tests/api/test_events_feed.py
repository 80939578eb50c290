"""The pull feed GET /events: every change the company may see, oldest first, with an opaque cursor; a system
that was down catches up with nothing missing or repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.processes.housekeeping import clean_up
from app.web.extensions import db
from core.models import Company
from notifications.fanout import fan_out
from notifications.webhooks import CompanyEvent
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.kinds import KINDS
from status_tracker.parties import AgencyParty

TRANSIT = KINDS["transit"]
CODES = [c.code for c in TRANSIT.codes if not c.terminal][:2]


def _moves(app, item_id, company, start, n):
    with app.app_context():
        company = db.session.get(Company, company.id)
        for version in range(start, start + n):
            applied = apply_updates(db.session, [(item_id, StatusUpdate(
                f"v{version}", version, CODES[version % 2], None, datetime.now(UTC),
                (AgencyParty("declarant", company.uscc, company.customs_code),)))])
            fan_out(db.session, applied.changes)
        db.session.commit()


def _read_all(client, headers, cursor, limit):
    seen = []
    while True:
        page = client.get("/events", query_string={"limit": limit, **({"after": cursor} if cursor else {})},
                          headers=headers).json
        seen += page["events"]
        if not page["events"]:
            return seen, page["next_cursor"]
        cursor = page["next_cursor"]


def test_a_system_catches_up_after_a_gap_with_nothing_missing_or_repeated(world, client, app):
    company = world.company("拉取")
    _, trader = world.trader(company)
    key = world.api_key(company, scopes=("clearances:read",))
    item = world.track(trader, "transit")
    _moves(app, item["id"], company, 1, 5)
    first, cursor = _read_all(client, key, None, 2)
    assert [e["data"]["native_code"] for e in first] == [CODES[v % 2] for v in range(1, 6)]
    again = client.get("/events", query_string={"after": cursor}, headers=key).json
    assert again == {"events": [], "next_cursor": cursor}  # caught up: an empty page, the same cursor
    _moves(app, item["id"], company, 6, 7)  # the ERP was down meanwhile
    rest, _ = _read_all(client, key, cursor, 3)
    ids = [e["id"] for e in first + rest]
    assert len(ids) == 12 and len(set(ids)) == 12
    event_ids = [e["data"]["event_id"] for e in first + rest]
    assert event_ids == sorted(event_ids)  # oldest first
    assert all(e["id"] == f"evt_{e['data']['event_id']}" for e in first + rest)
    # A user's token reads the same feed.
    assert [e["id"] for e in _read_all(client, trader, None, 100)[0]] == ids


def test_only_the_companys_own_events_and_bad_cursors_are_refused(world, client, app):
    company, other = world.company("甲"), world.company("乙")
    _, trader = world.trader(company)
    item = world.track(trader, "transit")
    _moves(app, item["id"], company, 1, 2)
    assert client.get("/events", headers=world.api_key(other)).json["events"] == []
    for bad in ("nonsense", "ZXYxOmFiYw", "x" * 201):
        answer = client.get("/events", query_string={"after": bad}, headers=trader)
        assert answer.status_code == 422 and "after" in answer.json["errors"]["query"], bad
    assert client.get("/events?limit=501", headers=trader).status_code == 422


def test_events_are_kept_at_least_the_retention(world, client, app):
    company = world.company("保留")
    _, trader = world.trader(company)
    item = world.track(trader, "transit")
    _moves(app, item["id"], company, 1, 2)
    with app.app_context():
        oldest = db.session.scalar(select(CompanyEvent.id).order_by(CompanyEvent.id))
        db.session.execute(update(CompanyEvent).where(CompanyEvent.id == oldest)
                           .values(created_at=datetime.now(UTC) - timedelta(days=36)))
        removed = clean_up(db.session, timedelta(days=30), event_retention=timedelta(days=35))
        db.session.commit()
        assert removed["company_events"] == 1
        removed = clean_up(db.session, timedelta(days=30), event_retention=timedelta(days=35))
        assert removed["company_events"] == 0
    assert len(client.get("/events", headers=trader).json["events"]) == 1
