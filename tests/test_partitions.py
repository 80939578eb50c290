"""History partitions (docs/partitions.md): made ahead by housekeeping, dropped whole past their retention
(DELETE on SQLite), rows a missing partition left in the default one moved in when it is made; and migration
0010 keeping the data of a database that had it. On a fake clock, in a schema of their own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.processes import migrate, partitions
from app.processes.housekeeping import maintain_history
from core.db import make_engine, utcnow
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)

NOW = datetime(2031, 3, 15, 12, 0, tzinfo=UTC)  # far from the real clock the migration made partitions around
CONFIG = {"PARTITIONS_AHEAD_DAYS": 7, "RETENTION_EVENTS_DAYS": 400, "RETENTION_PUSHES_DAYS": 180,
          "RETENTION_AUDIT_DAYS": 1095, "PUSH_RETRY_HOURS": 24}
HISTORY_TABLES = [h.table for h in partitions.HISTORY]


@pytest.fixture
def engine(empty_database):  # noqa: F811
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    yield engine
    engine.dispose()


def _people(conn) -> tuple[int, int]:
    """A user and their device (what the history rows point at); returns their ids."""
    user_id = conn.scalar(text(
        "INSERT INTO users (phone, name, password_hash, role, locale, time_zone, active, created_at) "
        "VALUES (:phone, 'u', 'x', 'admin', 'zh-CN', 'Asia/Shanghai', :yes, :now) RETURNING id"),
        {"phone": f"139{uuid.uuid4().int % 10**8:08d}", "yes": True, "now": NOW})
    token = uuid.uuid4().hex
    columns = "user_id, token, platform, active, created_at, last_seen_at"
    values = ":user, :token, 'ios', :yes, :now, :now"
    params = {"user": user_id, "token": token, "yes": True, "now": NOW}
    if "token_sha256" in _columns(conn, "devices"):
        import hashlib
        columns, values = columns + ", token_sha256", values + ", :digest"
        params["digest"] = hashlib.sha256(token.encode()).hexdigest()
    device_id = conn.scalar(text(f"INSERT INTO devices ({columns}) VALUES ({values}) RETURNING id"), params)
    return user_id, device_id


def _columns(conn, table: str) -> set[str]:
    from sqlalchemy import inspect
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _history(conn, at: datetime, user_id: int, device_id: int) -> dict[str, int]:
    """One row in every history table, all of time `at` (the item created then too); returns their ids."""
    item = conn.scalar(text(
        "INSERT INTO clearance_items (kind, reference, unknown_code, created_at, updated_at) "
        "VALUES ('customs_declaration', :ref, :no, :at, :at) RETURNING id"),
        {"ref": uuid.uuid4().hex[:18].upper(), "no": False, "at": at})
    with_key = "item_created_at" in _columns(conn, "status_events")
    event = conn.scalar(text(
        "INSERT INTO status_events (item_id, agency_event_id, sequence, native_code, milestone, agency_time, "
        f"received_at{', item_created_at' if with_key else ''}) VALUES (:item, 'E1', 1, 'C', :yes, :at, :at"
        f"{', :at' if with_key else ''}) RETURNING id"), {"item": item, "yes": True, "at": at})
    notification = conn.scalar(text(
        "INSERT INTO notifications (public_id, user_id, item_id, event_id, urgent, title, body, data, created_at) "
        "VALUES (:public, :user, :item, :event, :no, 't', 'b', '{}', :at) RETURNING id"),
        {"public": str(uuid.uuid4()), "user": user_id, "item": item, "event": event, "no": False, "at": at})
    outbox = conn.scalar(text(
        "INSERT INTO outbox (notification_id, event_id, device_id, state, attempts, next_attempt_at, created_at, "
        "sent_at) VALUES (:n, :event, :device, 'sent', 1, :at, :at, :at) RETURNING id"),
        {"n": notification, "event": event, "device": device_id, "at": at})
    attempt = conn.scalar(text(
        "INSERT INTO delivery_attempts (outbox_id, attempted_at, outcome) VALUES (:o, :at, 'sent') RETURNING id"),
        {"o": outbox, "at": at})
    audit = conn.scalar(text(
        "INSERT INTO audit_log (at, actor_id, action, target_type, target_id) "
        "VALUES (:at, :user, 'view_case', 'item', :item) RETURNING id"), {"at": at, "user": user_id, "item": item})
    return {"status_events": event, "notifications": notification, "outbox": outbox,
            "delivery_attempts": attempt, "audit_log": audit}


def _ids(conn, table: str) -> set[int]:
    return set(conn.scalars(text(f"SELECT id FROM {table}")))


def _where(conn, table: str, row_id: int) -> str:
    return conn.scalar(text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :id"), {"id": row_id})


def test_housekeeping_makes_partitions_ahead_once(engine):
    with engine.begin() as conn:
        made = maintain_history(_session(conn), CONFIG, now=NOW)["partitions_made"]
    if engine.dialect.name != "postgresql":
        assert made == []  # plain tables: nothing to make
        return
    days = [f"{t}_p{NOW + timedelta(days=n):%Y%m%d}" for t in ("outbox", "delivery_attempts") for n in range(8)]
    months = [f"{t}_p{m}" for t in ("status_events", "notifications", "audit_log") for m in ("203103",)]
    assert set(made) == set(days + months)
    with engine.begin() as conn:
        assert f"outbox_p{NOW + timedelta(days=8):%Y%m%d}" not in partitions.partitions(conn, "outbox")
        assert maintain_history(_session(conn), CONFIG, now=NOW)["partitions_made"] == []  # again: nothing new
        # A week later the window has moved on: one more day each, and April's month once it is within a week.
        later = maintain_history(_session(conn), CONFIG, now=NOW + timedelta(days=14))["partitions_made"]
    assert f"outbox_p{NOW + timedelta(days=21):%Y%m%d}" in later
    assert "status_events_p203104" in later and "audit_log_p203104" in later


def test_retention_removes_only_what_is_past_its_age(engine):
    pg = engine.dialect.name == "postgresql"
    # pushes_edge: 181 days is past the 180 of pushes, but its month is not wholly: on PostgreSQL the monthly
    # notifications partition keeps it until the month is (at most a month longer), the daily outbox ones at
    # most a day longer; SQLite deletes it at once.
    ages = {"old": 1200, "pushes_old": 230, "pushes_edge": 181, "pushes_young": 170, "events_young": 390,
            "audit_young": 1080}
    with engine.begin() as conn:
        user_id, device_id = _people(conn)
        rows = {}
        for name, days in ages.items():
            at = NOW - timedelta(days=days)
            if pg and name != "old":  # the oldest rows have no partition: the default one holds them
                for history in partitions.HISTORY:
                    partitions.create_partition(conn, history, partitions.period_start(at, history.period))
            rows[name] = _history(conn, at, user_id, device_id)
        if pg:
            assert _where(conn, "outbox", rows["old"]["outbox"]) == "outbox_default"
            assert _where(conn, "outbox", rows["pushes_old"]["outbox"]).startswith("outbox_p2030")
    with engine.begin() as conn:
        removed = maintain_history(_session(conn), CONFIG, now=NOW)["removed"]
    kept = {
        "status_events": {"pushes_old", "pushes_edge", "pushes_young", "events_young"},
        "notifications": {"pushes_young"} | ({"pushes_edge"} if pg else set()),
        "outbox": {"pushes_young"},
        "delivery_attempts": {"pushes_young"},
        "audit_log": {"pushes_old", "pushes_edge", "pushes_young", "events_young", "audit_young"},
    }
    with engine.connect() as conn:
        for table in HISTORY_TABLES:
            assert _ids(conn, table) == {rows[name][table] for name in kept[table]}, table
        if pg:
            # Whole partitions went, and the default partition's old rows by DELETE.
            # (and the partitions the migration made around the real clock, long before this fake one)
            assert removed["outbox"] >= 3 and removed["delivery_attempts"] >= 3 and removed["notifications"] >= 3
            assert f"outbox_p{NOW - timedelta(days=230):%Y%m%d}" not in partitions.partitions(conn, "outbox")
            assert f"outbox_p{NOW - timedelta(days=170):%Y%m%d}" in partitions.partitions(conn, "outbox")
        else:
            assert removed["outbox"] == 5 and removed["audit_log"] == 1


def test_a_partition_made_late_takes_over_what_the_default_partition_caught(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no partitions")
    later = NOW + timedelta(days=40)  # no partition for it yet: housekeeping has not run that far ahead
    with engine.begin() as conn:
        user_id, device_id = _people(conn)
        row = _history(conn, later, user_id, device_id)
        assert _where(conn, "outbox", row["outbox"]) == "outbox_default"
    with engine.begin() as conn:
        maintain_history(_session(conn), CONFIG, now=later)
    with engine.connect() as conn:
        assert _where(conn, "outbox", row["outbox"]) == f"outbox_p{later:%Y%m%d}"
        assert _where(conn, "status_events", row["status_events"]) == f"status_events_p{later:%Y%m}"
        assert conn.scalar(text("SELECT count(*) FROM outbox_default")) == 0


def test_the_migration_keeps_existing_history(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0007_input_limits")
    engine = make_engine(empty_database)
    now = utcnow()  # the migration makes partitions from the oldest row to a week after the real clock
    times = [now - timedelta(days=d) for d in (40, 20, 1)]
    with engine.begin() as conn:
        user_id, device_id = _people(conn)
        before = [_history(conn, at, user_id, device_id) for at in times]
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in HISTORY_TABLES}
    migrate.upgrade(empty_database)
    with engine.begin() as conn:
        for table in HISTORY_TABLES:
            assert _ids(conn, table) == {rows[table] for rows in before}, table
        keys = conn.execute(text("SELECT e.item_created_at, i.created_at FROM status_events e "
                                 "JOIN clearance_items i ON i.id = e.item_id")).all()
        assert len(keys) == 3 and all(_aware(a) == _aware(b) for a, b in keys)  # the key is the item's creation
        if engine.dialect.name == "postgresql":
            for table in HISTORY_TABLES:
                assert partitions.is_partitioned(conn, table)
            # Each old row sits in the partition of its own period, none in the default one.
            assert _where(conn, "outbox", before[0]["outbox"]) == f"outbox_p{times[0]:%Y%m%d}"
            assert _where(conn, "audit_log", before[1]["audit_log"]) == f"audit_log_p{times[1]:%Y%m}"
        # New rows continue the ids (the sequences came along).
        after = _history(conn, now, user_id, device_id)
        for table in HISTORY_TABLES:
            assert after[table] > max(rows[table] for rows in before)
    migrate.downgrade(empty_database, "0007_input_limits")
    with engine.connect() as conn:
        for table in HISTORY_TABLES:
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == counts[table] + 1
            assert not partitions.is_partitioned(conn, table)
    engine.dispose()


def _aware(value):
    if isinstance(value, str):  # SQLite hands raw text back through text()
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _session(conn):
    from sqlalchemy.orm import Session
    return Session(bind=conn)
