"""Time-partitioned history (docs/partitions.md): which tables, by which column and period, partitions made
ahead of time, and retention.

On PostgreSQL each history table is declaratively partitioned by range of a timestamp: partitions are created
ahead by housekeeping and dropped whole once past their age, so old rows leave without DELETE, dead tuples or
VACUUM. A DEFAULT partition catches a row whose period has no partition yet (a clock far ahead, a housekeeping
outage), so an insert never fails for want of one; the partition made later for that period takes its rows
over. SQLite keeps plain tables and gets the same retention by DELETE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

DAY, MONTH = "day", "month"


@dataclass(frozen=True)
class History:
    table: str
    key: str  # the partition key: a timestamp column, part of the primary key on PostgreSQL
    period: str  # DAY or MONTH
    retention: str  # the configuration entry holding its age limit, in days


# Outbox and delivery attempts: the bulk (several pushes per event) and a short hot life: daily partitions keep
# the claim's partitions small and let a day go at once. Events, notifications and the audit log are read by
# item, user or actor over their whole age: monthly partitions keep the number a query without a time bound
# touches small (a handful, not hundreds).
# Status events are partitioned by their item's creation time, not their own: an item's receipts then share
# one partition, so "(item, agency event id) once" stays a real unique constraint (it must include the key)
# and a timeline is read from exactly one partition; retention takes whole timelines, never half of one.
HISTORY: tuple[History, ...] = (
    History("status_events", "item_created_at", MONTH, "RETENTION_EVENTS_DAYS"),
    History("notifications", "created_at", MONTH, "RETENTION_PUSHES_DAYS"),
    History("outbox", "created_at", DAY, "RETENTION_PUSHES_DAYS"),
    History("delivery_attempts", "attempted_at", DAY, "RETENTION_PUSHES_DAYS"),
    History("audit_log", "at", MONTH, "RETENTION_AUDIT_DAYS"),
)
BY_TABLE = {h.table: h for h in HISTORY}

_PARTITION = re.compile(r"^(?P<table>[a-z_]+)_(?:p(?P<start>\d{6}|\d{8})|default)$")


def is_partition(name: str) -> bool:
    """A partition of one of the history tables (the schema's comparison with the models skips these)."""
    match = _PARTITION.match(name)
    return bool(match) and match["table"] in BY_TABLE


def period_start(moment: datetime, period: str) -> datetime:
    moment = moment.astimezone(UTC)
    if period == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_start(start: datetime, period: str) -> datetime:
    if period == DAY:
        return start + timedelta(days=1)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def partition_name(table: str, start: datetime, period: str) -> str:
    return f"{table}_p{start:%Y%m%d}" if period == DAY else f"{table}_p{start:%Y%m}"


def _start_of(name: str, history: History) -> datetime | None:
    match = _PARTITION.match(name)
    if not match or match["table"] != history.table or match["start"] is None:
        return None
    digits = match["start"]
    if history.period == DAY and len(digits) == 8:
        return datetime.strptime(digits, "%Y%m%d").replace(tzinfo=UTC)
    if history.period == MONTH and len(digits) == 6:
        return datetime.strptime(digits, "%Y%m").replace(tzinfo=UTC)
    return None


def sql_time(moment: datetime) -> str:
    # DDL takes no bind parameters; the value is ours (a period boundary), never input.
    return f"'{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00'"


def is_partitioned(conn: Connection, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.scalar(text(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = :table AND c.relnamespace = to_regnamespace(current_schema())::oid"), {"table": table}))


def partitions(conn: Connection, table: str) -> list[str]:
    """The names of the table's partitions, the default one included."""
    return list(conn.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = :table AND p.relnamespace = to_regnamespace(current_schema())::oid ORDER BY c.relname"),
        {"table": table}))


def create_partition(conn: Connection, history: History, start: datetime) -> bool:
    """The partition for the period starting at `start`, unless it exists; True when made. Rows of that period
    the default partition caught meanwhile move into it (a partition cannot be added over them)."""
    name = partition_name(history.table, start, history.period)
    if name in partitions(conn, history.table):
        return False
    low, high = sql_time(start), sql_time(next_start(start, history.period))
    table, key, default = history.table, history.key, f"{history.table}_default"
    stray = conn.scalar(text(f"SELECT 1 FROM {default} WHERE {key} >= {low} AND {key} < {high} LIMIT 1"))
    if not stray:
        conn.execute(text(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ({low}) TO ({high})"))
        return True
    conn.execute(text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(text(f"WITH moved AS (DELETE FROM {default} WHERE {key} >= {low} AND {key} < {high} "
                      f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"))
    conn.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})"))
    return True


def create_ahead(conn: Connection, now: datetime, ahead: timedelta, since: datetime | None = None) -> list[str]:
    """Every history table gets the partitions of the periods from `since` (default: now) to now + ahead.
    Returns the partitions made. Nothing on a database without partitioned tables (SQLite)."""
    made = []
    for history in HISTORY:
        if not is_partitioned(conn, history.table):
            continue
        start = period_start(since or now, history.period)
        while start <= now + ahead:
            if create_partition(conn, history, start):
                made.append(partition_name(history.table, start, history.period))
            start = next_start(start, history.period)
    return made


def drop_expired(conn: Connection, now: datetime, retention: dict[str, timedelta]) -> dict[str, int]:
    """Remove what is older than its table's retention: on PostgreSQL whole partitions whose period ended
    before the cutoff (and the default partition's rows older than it); elsewhere by DELETE. Returns per table
    the partitions dropped (PostgreSQL) or rows deleted (SQLite)."""
    removed: dict[str, int] = {}
    for history in HISTORY:
        age = retention.get(history.table)
        if age is None:
            continue
        cutoff = now - age
        table, key = history.table, history.key
        if not is_partitioned(conn, table):
            result = conn.execute(text(f"DELETE FROM {table} WHERE {key} < :cutoff"), {"cutoff": cutoff})
            removed[table] = result.rowcount or 0
            continue
        dropped = 0
        for name in partitions(conn, table):
            start = _start_of(name, history)
            if start is not None and next_start(start, history.period) <= cutoff:
                conn.execute(text(f"DROP TABLE {name}"))
                dropped += 1
        conn.execute(text(f"DELETE FROM {table}_default WHERE {key} < {sql_time(cutoff)}"))
        removed[table] = dropped
    return removed


def retention_from(config: dict) -> dict[str, timedelta]:
    """Per history table, how long its rows are kept, from the SWM_RETENTION_* settings."""
    return {h.table: timedelta(days=config[h.retention]) for h in HISTORY}
