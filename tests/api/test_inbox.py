"""The inbox: catch up after missed pushes, each notification once; unread count; quiet-hours settings."""

from __future__ import annotations

from datetime import UTC, datetime

from app.web.extensions import db
from notifications.fanout import fan_out
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.kinds import KINDS

CUSTOMS = KINDS["customs_declaration"]
MILESTONES = [c.code for c in CUSTOMS.codes if c.milestone][:4]


def happen(app, item_id, codes, start=1):
    with app.app_context():
        for n, code in enumerate(codes, start=start):
            applied = apply_updates(db.session, [(item_id, StatusUpdate(f"r{n}", n, code, None, datetime.now(UTC)))])
            fan_out(db.session, applied.changes)
        db.session.commit()


def test_catch_up_after_a_cursor_lists_each_notification_once(world, client, app):
    _, headers = world.trader()
    item = world.track(headers)
    happen(app, item["id"], MILESTONES[:2])
    first = client.get("/me/notifications", headers=headers).json
    assert first["unread"] == 2 and len(first["items"]) == 2
    assert first["items"][0]["id"] > first["items"][1]["id"]  # newest first
    seen = max(n["id"] for n in first["items"])
    happen(app, item["id"], MILESTONES[2:4], start=3)
    missed = client.get("/me/notifications", query_string={"after": seen}, headers=headers).json["items"]
    assert [n["data"]["native_code"] for n in missed] == MILESTONES[2:4]  # oldest first
    again = client.get("/me/notifications", query_string={"after": seen}, headers=headers).json["items"]
    assert [n["notification_id"] for n in again] == [n["notification_id"] for n in missed]
    everything = client.get("/me/notifications", query_string={"limit": 100}, headers=headers).json["items"]
    ids = [n["notification_id"] for n in everything]
    assert len(ids) == len(set(ids)) == 4
    assert all(n["data"]["notification_id"] == n["notification_id"] for n in everything)


def test_mark_read_and_unread_count(world, client, app):
    _, headers = world.trader()
    item = world.track(headers)
    happen(app, item["id"], MILESTONES[:3])
    notes = client.get("/me/notifications", headers=headers).json["items"]
    read = client.post(f"/me/notifications/{notes[0]['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json["read_at"]
    assert client.get("/me/notifications/unread-count", headers=headers).json == {"unread": 2}
    assert client.post("/me/notifications/read-all", headers=headers).json == {"unread": 0}
    assert client.get("/me/notifications/unread-count", headers=headers).json == {"unread": 0}


def test_nobody_reads_or_marks_another_users_notifications(world, client, app):
    _, owner = world.trader()
    _, other = world.trader()
    item = world.track(owner)
    happen(app, item["id"], MILESTONES[:1])
    note = client.get("/me/notifications", headers=owner).json["items"][0]
    assert client.post(f"/me/notifications/{note['id']}/read", headers=other).status_code == 404
    assert client.get("/me/notifications", headers=other).json == {"items": [], "unread": 0}


def test_quiet_hours_settings_are_validated(world, client):
    _, headers = world.trader()
    assert client.get("/me/notification-settings", headers=headers).json == {"quiet_start": None, "quiet_end": None}
    ok = client.put("/me/notification-settings", json={"quiet_start": "22:30", "quiet_end": "07:00"}, headers=headers)
    assert ok.status_code == 200 and ok.json["quiet_start"] == "22:30"
    bad = client.put("/me/notification-settings", json={"quiet_start": "25:00", "quiet_end": "07:00"}, headers=headers)
    assert bad.status_code == 422 and "quiet_start" in bad.json["errors"]["json"]
    half = client.put("/me/notification-settings", json={"quiet_start": "22:00", "quiet_end": None}, headers=headers)
    assert half.status_code == 422 and half.json["errors"]["json"] == {
        "quiet_end": ["give both ends of the quiet hours, or neither"]}
    assert client.get("/me/notification-settings", headers=headers).json["quiet_start"] == "22:30"
