"""0009_port_charges: notifications may be notices (no item, no event); the notifications, pushes and delivery
attempts stored before it stay, on SQLite too (where the tables are rebuilt)."""

from __future__ import annotations

from sqlalchemy import text

from app.processes import migrate
from core.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)

ROWS = [
    "INSERT INTO users (id, phone, name, password_hash, role, locale, time_zone, active, created_at) "
    "VALUES (1, '13900000001', 'u', 'x', 'trader', 'zh-CN', 'Asia/Shanghai', :yes, CURRENT_TIMESTAMP)",
    "INSERT INTO clearance_items (id, kind, reference, unknown_code, created_at, updated_at) "
    "VALUES (1, 'transit', 'T1', :no, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO status_events (id, item_id, agency_event_id, sequence, native_code, milestone, agency_time, "
    "received_at) VALUES (1, 1, 'e1', 1, '01', :yes, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO devices (id, user_id, token, token_sha256, platform, active, created_at, last_seen_at) "
    "VALUES (1, 1, 'phone-1', 'digest', 'android', :yes, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO notifications (id, public_id, user_id, item_id, event_id, urgent, title, body, data, created_at) "
    "VALUES (1, 'n1', 1, 1, 1, :no, 't', 'b', '{}', CURRENT_TIMESTAMP)",
    "INSERT INTO outbox (id, notification_id, event_id, device_id, state, attempts, next_attempt_at, created_at) "
    "VALUES (1, 1, 1, 1, 'sent', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO delivery_attempts (id, outbox_id, attempted_at, outcome) VALUES (1, 1, CURRENT_TIMESTAMP, 'sent')",
]


def _counts(conn) -> list[int]:
    return [conn.scalar(text(f"SELECT count(*) FROM {table}")) for table in ("notifications", "outbox",
                                                                            "delivery_attempts")]


def test_notifications_pushes_and_attempts_stored_before_stay(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0007_input_limits")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(text(row), {"yes": True, "no": False})
    migrate.upgrade(empty_database, "0009_port_charges")
    with engine.begin() as conn:
        assert _counts(conn) == [1, 1, 1]
        assert conn.scalar(text("SELECT state FROM outbox WHERE id = 1")) == "sent"
        # A notice: no item, no event.
        conn.execute(text("INSERT INTO notifications (id, public_id, user_id, topic, urgent, title, body, data, "
                          "created_at) VALUES (2, 'n2', 1, 'charge-1-THC-40', :no, 't', 'b', '{}', "
                          "CURRENT_TIMESTAMP)"), {"no": False})
        conn.execute(text("INSERT INTO outbox (id, notification_id, device_id, state, attempts, next_attempt_at, "
                          "created_at) VALUES (2, 2, 1, 'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    migrate.downgrade(empty_database, "0007_input_limits")  # the notice goes; the status change stays
    with engine.connect() as conn:
        assert _counts(conn) == [1, 1, 1]
    migrate.downgrade(empty_database)
    engine.dispose()
