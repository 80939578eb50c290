"""late alerts: when an item entered its stage (indexed per kind and stage), a notification's reason, and the
late alerts sent

Revision ID: 0012_late_alerts
Revises: 0011_read_path
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_late_alerts"
down_revision = "0011_read_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clearance_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_clearance_items_stage_entered", ["kind", "stage", "stage_entered_at"], unique=False)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=8), server_default="status", nullable=False))
        # With the partition key (0010_partitions), as PostgreSQL requires of a partitioned table's unique keys.
        batch_op.drop_constraint("uq_notifications_user_id_event_id_created_at", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_notifications_user_id_event_id_reason_created_at"),
                                          ["user_id", "event_id", "reason", "created_at"])

    # An item's stage began with the earliest receipt of that stage on its timeline.
    items = sa.table("clearance_items", sa.column("id", sa.BigInteger), sa.column("stage", sa.String),
                     sa.column("stage_entered_at", sa.DateTime(timezone=True)))
    events = sa.table("status_events", sa.column("item_id", sa.BigInteger), sa.column("stage", sa.String),
                      sa.column("agency_time", sa.DateTime(timezone=True)))
    entered = (sa.select(sa.func.min(events.c.agency_time))
               .where(events.c.item_id == items.c.id, events.c.stage == items.c.stage)
               .scalar_subquery())
    op.get_bind().execute(items.update().where(items.c.stage.is_not(None)).values(stage_entered_at=entered))

    op.create_table("late_alerts",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("stage", sa.String(length=20), nullable=False),
    sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_stage", sa.String(length=20), nullable=False),
    sa.Column("p50_seconds", sa.Float(), nullable=False),
    sa.Column("p90_seconds", sa.Float(), nullable=False),
    sa.Column("samples", sa.Integer(), nullable=False),
    sa.Column("customs_office", sa.String(length=4), nullable=True),
    sa.Column("recipients", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["item_id"], ["clearance_items.id"], name=op.f("fk_late_alerts_item_id_clearance_items"),
                            ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_late_alerts")),
    sa.UniqueConstraint("item_id", "stage", name=op.f("uq_late_alerts_item_id_stage"))
    )


def downgrade() -> None:
    op.drop_table("late_alerts")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notifications_user_id_event_id_reason_created_at", type_="unique")
        batch_op.create_unique_constraint("uq_notifications_user_id_event_id_created_at",
                                          ["user_id", "event_id", "created_at"])
        batch_op.drop_column("reason")
    with op.batch_alter_table("clearance_items", schema=None) as batch_op:
        batch_op.drop_index("ix_clearance_items_stage_entered")
        batch_op.drop_column("stage_entered_at")
