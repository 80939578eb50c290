"""0012_late_alerts: existing items learn when they entered their stage from their timelines; existing
notifications keep their one-per-user-and-event rule as reason "status"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.processes import migrate
from core.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_existing_items_get_their_stage_entered_time_and_notifications_their_reason(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0007_input_limits")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, phone, name, password_hash, role, locale, time_zone, active, "
                          "created_at) VALUES (1, '13900000001', 'u', 'x', 'admin', 'zh-CN', 'Asia/Shanghai', "
                          ":yes, :now)"), {"yes": True, "now": T0})
        conn.execute(text("INSERT INTO clearance_items (id, kind, reference, stage, unknown_code, created_at, "
                          "updated_at) VALUES (1, 'customs_declaration', '223320241000123456', 'under_review', "
                          ":no, :now, :now), (2, 'transit', '2233202400004567', NULL, :no, :now, :now)"),
                     {"no": False, "now": T0})
        events = [(1, "e1", 1, "L", "accepted", T0), (2, "e2", 2, "C", "under_review", T0 + timedelta(hours=2)),
                  (3, "e3", 3, "C2", "under_review", T0 + timedelta(hours=3))]
        for event_id, agency_id, sequence, code, stage, at in events:
            conn.execute(text("INSERT INTO status_events (id, item_id, agency_event_id, sequence, native_code, "
                              "stage, milestone, agency_time, received_at) VALUES (:id, 1, :aid, :seq, :code, "
                              ":stage, :no, :at, :at)"),
                         {"id": event_id, "aid": agency_id, "seq": sequence, "code": code, "stage": stage,
                          "no": False, "at": at})
        conn.execute(text("INSERT INTO notifications (id, public_id, user_id, item_id, event_id, urgent, title, "
                          "body, data, created_at) VALUES (1, 'p-1', 1, 1, 2, :no, 't', 'b', '{}', :now)"),
                     {"no": False, "now": T0})
        # A push of it waiting in the outbox: rebuilding the notifications table must not cascade to it.
        conn.execute(text("INSERT INTO devices (id, user_id, token, token_sha256, platform, active, created_at, "
                          "last_seen_at) VALUES (1, 1, 'phone-1', :sha, 'android', :yes, :now, :now)"),
                     {"sha": "0" * 64, "yes": True, "now": T0})
        conn.execute(text("INSERT INTO outbox (id, notification_id, event_id, device_id, state, attempts, "
                          "next_attempt_at, created_at) VALUES (1, 1, 2, 1, 'pending', 0, :now, :now)"), {"now": T0})
    migrate.upgrade(empty_database)
    with engine.connect() as conn:
        entered = dict(conn.execute(text("SELECT id, stage_entered_at FROM clearance_items")).all())
        reason = conn.scalar(text("SELECT reason FROM notifications WHERE id = 1"))
        assert conn.scalar(text("SELECT count(*) FROM outbox")) == 1
    first = entered[1] if isinstance(entered[1], datetime) else datetime.fromisoformat(str(entered[1]))
    assert first.replace(tzinfo=first.tzinfo or UTC) == T0 + timedelta(hours=2)  # the first receipt of its stage
    assert entered[2] is None and reason == "status"
    migrate.downgrade(empty_database)
    engine.dispose()
