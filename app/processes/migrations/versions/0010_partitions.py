"""partitions: the history tables become time-partitioned on PostgreSQL (docs/partitions.md)

Status events get their item's created_at (their partition key). Unique constraints include each table's
partition key, and the foreign keys between history tables (notification → event, outbox → notification,
delivery attempt → outbox, the event feed's row → event) go: PostgreSQL could only keep them by putting the
parent's partition key in the child as well, and retention removes history oldest-first anyway. On PostgreSQL each table is then rebuilt as
a partitioned one with its rows, with a partition for every period from its oldest row to a week ahead, and a
default partition. SQLite keeps plain tables.

Revision ID: 0010_partitions
Revises: 0009_port_charges
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from app.processes import partitions
from core.db import utcnow

revision = "0010_partitions"
down_revision = "0009_port_charges"
branch_labels = None
depends_on = None

AHEAD = timedelta(days=7)


def _rebuild(conn: sa.Connection, history: partitions.History, partitioned: bool) -> None:
    """Rebuild `history.table` with its rows, indexes and constraints, partitioned by its key or not."""
    table, key = history.table, history.key
    oid = {"t": table}
    constraints = conn.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('u', 'f') AND conparentid = 0 ORDER BY conname"),
        oid).all()
    indexes = conn.scalars(sa.text(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = CAST(:t AS regclass) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"), oid).all()
    sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), oid)
    oldest = conn.scalar(sa.text(f"SELECT min({key}) FROM {table}"))

    new = f"{table}_rebuilt"
    shape = f" PARTITION BY RANGE ({key})" if partitioned else ""
    conn.execute(sa.text(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS){shape}"))
    if partitioned:
        conn.execute(sa.text(f"CREATE TABLE {table}_default PARTITION OF {new} DEFAULT"))
        now = utcnow()
        start = partitions.period_start(min(oldest, now) if oldest else now, history.period)
        while start <= now + AHEAD:
            end = partitions.next_start(start, history.period)
            conn.execute(sa.text(
                f"CREATE TABLE {partitions.partition_name(table, start, history.period)} PARTITION OF {new} "
                f"FOR VALUES FROM ({partitions.sql_time(start)}) TO ({partitions.sql_time(end)})"))
            start = end
    conn.execute(sa.text(f"INSERT INTO {new} SELECT * FROM {table}"))
    if sequence:
        conn.execute(sa.text(f"ALTER SEQUENCE {sequence} OWNED BY NONE"))
    conn.execute(sa.text(f"DROP TABLE {table}"))
    conn.execute(sa.text(f"ALTER TABLE {new} RENAME TO {table}"))
    primary = f"id, {key}" if partitioned else "id"
    conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({primary})"))
    for name, definition in constraints:
        conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    for definition in indexes:
        conn.execute(sa.text(definition))
    if sequence:
        conn.execute(sa.text(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id"))


def upgrade() -> None:
    conn = op.get_bind()
    # Children first: SQLite's batch mode recreates a table by dropping it, and dropping a table that a
    # foreign key with ON DELETE CASCADE still points at would delete the rows pointing at it. The event feed
    # (0008) points at status events too: that key goes as well (the feed keeps changes 35 days, the events
    # are kept far longer).
    with op.batch_alter_table("company_events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_company_events_event_id_status_events", type_="foreignkey")
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_delivery_attempts_outbox_id_outbox", type_="foreignkey")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbox_notification_id_notifications", type_="foreignkey")
        batch_op.drop_constraint("uq_outbox_event_id_device_id", type_="unique")
        batch_op.create_unique_constraint("uq_outbox_event_id_device_id_created_at",
                                          ["event_id", "device_id", "created_at"])
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notifications_event_id_status_events", type_="foreignkey")
        batch_op.drop_constraint("uq_notifications_user_id_event_id", type_="unique")
        batch_op.drop_constraint("uq_notifications_public_id", type_="unique")
        batch_op.create_unique_constraint("uq_notifications_user_id_event_id_created_at",
                                          ["user_id", "event_id", "created_at"])
        batch_op.create_unique_constraint("uq_notifications_public_id_created_at", ["public_id", "created_at"])
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_created_at", sa.DateTime(timezone=True), nullable=True))
    conn.execute(sa.text("UPDATE status_events SET item_created_at = "
                         "(SELECT created_at FROM clearance_items WHERE clearance_items.id = status_events.item_id)"))
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.alter_column("item_created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_constraint("uq_status_events_item_id_agency_event_id", type_="unique")
        batch_op.create_unique_constraint("uq_status_events_item_id_agency_event_id_item_created_at",
                                          ["item_id", "agency_event_id", "item_created_at"])
    if conn.dialect.name == "postgresql":
        for history in partitions.HISTORY:
            _rebuild(conn, history, partitioned=True)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for history in partitions.HISTORY:
            _rebuild(conn, history, partitioned=False)
    # Parents first: each table is recreated (SQLite) before anything points at it again.
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_status_events_item_id_agency_event_id_item_created_at", type_="unique")
        batch_op.create_unique_constraint("uq_status_events_item_id_agency_event_id",
                                          ["item_id", "agency_event_id"])
        batch_op.drop_column("item_created_at")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notifications_public_id_created_at", type_="unique")
        batch_op.drop_constraint("uq_notifications_user_id_event_id_created_at", type_="unique")
        batch_op.create_unique_constraint("uq_notifications_public_id", ["public_id"])
        batch_op.create_unique_constraint("uq_notifications_user_id_event_id", ["user_id", "event_id"])
        batch_op.create_foreign_key("fk_notifications_event_id_status_events", "status_events", ["event_id"],
                                    ["id"], ondelete="CASCADE")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_event_id_device_id_created_at", type_="unique")
        batch_op.create_unique_constraint("uq_outbox_event_id_device_id", ["event_id", "device_id"])
        batch_op.create_foreign_key("fk_outbox_notification_id_notifications", "notifications",
                                    ["notification_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_delivery_attempts_outbox_id_outbox", "outbox", ["outbox_id"], ["id"],
                                    ondelete="CASCADE")
    with op.batch_alter_table("company_events", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_company_events_event_id_status_events", "status_events", ["event_id"],
                                    ["id"], ondelete="CASCADE")
