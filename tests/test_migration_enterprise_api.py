"""0008_enterprise_api: existing notifications (and their pushes) are kept when item and event become optional;
going back drops only the notifications about no item."""

from __future__ import annotations

from sqlalchemy import text

from app.processes import migrate
from core.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)

NOW = "CURRENT_TIMESTAMP"


def test_notifications_survive_and_may_then_be_about_no_item(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0007_input_limits")
    engine = make_engine(empty_database)
    yes = {"yes": True, "no": False}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, phone, name, password_hash, role, locale, time_zone, active, "
                          f"created_at) VALUES (1, '13900000001', 'u', 'x', 'trader', 'zh-CN', 'Asia/Shanghai', "
                          f":yes, {NOW})"), yes)
        conn.execute(text("INSERT INTO clearance_items (id, kind, reference, unknown_code, created_at, updated_at) "
                          f"VALUES (1, 'transit', 'T1', :no, {NOW}, {NOW})"), yes)
        conn.execute(text("INSERT INTO status_events (id, item_id, agency_event_id, sequence, native_code, "
                          f"milestone, agency_time, received_at) VALUES (1, 1, 'e1', 1, '10', :yes, {NOW}, {NOW})"),
                     yes)
        conn.execute(text("INSERT INTO notifications (id, public_id, user_id, item_id, event_id, urgent, title, "
                          "body, data, created_at) VALUES (1, 'p-1', 1, 1, 1, :no, 't', 'b', '{}', "
                          f"{NOW})"), yes)
        conn.execute(text("INSERT INTO devices (id, user_id, token, token_sha256, platform, active, created_at, "
                          f"last_seen_at) VALUES (1, 1, 'tok', 'd', 'android', :yes, {NOW}, {NOW})"), yes)
        conn.execute(text("INSERT INTO outbox (notification_id, event_id, device_id, state, attempts, "
                          f"next_attempt_at, created_at) VALUES (1, 1, 1, 'sent', 1, {NOW}, {NOW})"))
    migrate.upgrade(empty_database)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT public_id, item_id, event_id FROM notifications")).all() == [("p-1", 1, 1)]
        assert conn.scalar(text("SELECT count(*) FROM outbox")) == 1
        conn.execute(text("INSERT INTO notifications (id, public_id, user_id, urgent, title, body, data, "
                          f"created_at) VALUES (2, 'p-2', 1, :yes, 'webhook off', 'b', '{{}}', {NOW})"), yes)
    migrate.downgrade(empty_database, "0007_input_limits")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT public_id FROM notifications")).scalars().all() == ["p-1"]
        assert conn.scalar(text("SELECT count(*) FROM outbox")) == 1
    migrate.downgrade(empty_database)
    engine.dispose()
