"""agency parties: a party row is the agency's confirmation or a trader's claim

Revision ID: 0006_agency_parties
Revises: 0005_rejected_receipts
Create Date: 2026-12-06 03:40:00

Existing parties were whatever the tracking trader said, so they become claims (by the trader's company, at
the item's creation): nobody keeps seeing an item on a trader's word alone. Each claim is confirmed, or
not, by the item's next receipt or answer, which carries the agency's parties (docs/parties.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_agency_parties"
down_revision = "0005_rejected_receipts"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("clearance_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parties_checked_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("item_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uscc", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("customs_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=6), nullable=False, server_default="claim"))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by_company_id", BIG_ID, nullable=True))
        batch_op.add_column(sa.Column("claimed_by_user_id", BIG_ID, nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("company_id", existing_type=BIG_ID, nullable=True)
        batch_op.drop_constraint("uq_item_parties_item_id_role", type_="unique")

    # Who claimed it: the company of the user who tracked the item, else the party itself; when: at tracking.
    op.execute(
        "UPDATE item_parties SET "
        "uscc = (SELECT companies.uscc FROM companies WHERE companies.id = item_parties.company_id), "
        "customs_code = (SELECT companies.customs_code FROM companies WHERE companies.id = item_parties.company_id), "
        "claimed_by_company_id = COALESCE((SELECT users.company_id FROM clearance_items "
        "  JOIN users ON users.id = clearance_items.tracked_by_user_id "
        "  WHERE clearance_items.id = item_parties.item_id), item_parties.company_id), "
        "claimed_by_user_id = (SELECT clearance_items.tracked_by_user_id FROM clearance_items "
        "  WHERE clearance_items.id = item_parties.item_id), "
        "claimed_at = (SELECT clearance_items.created_at FROM clearance_items "
        "  WHERE clearance_items.id = item_parties.item_id)"
    )

    with op.batch_alter_table("item_parties", schema=None) as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=6), server_default=None)
        batch_op.create_foreign_key(batch_op.f("fk_item_parties_claimed_by_company_id_companies"), "companies",
                                    ["claimed_by_company_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_item_parties_claimed_by_user_id_users"), "users",
                                    ["claimed_by_user_id"], ["id"], ondelete="SET NULL")
        batch_op.create_unique_constraint(batch_op.f("uq_item_parties_item_id_claimed_by_company_id_role"),
                                          ["item_id", "claimed_by_company_id", "role"])
        batch_op.create_index("ix_item_parties_item_source", ["item_id", "source"], unique=False)
        batch_op.create_index("ix_item_parties_claimant", ["claimed_by_company_id", "id"], unique=False)
        batch_op.create_index("ix_item_parties_uscc", ["uscc"], unique=False)
        batch_op.create_index("ix_item_parties_customs_code", ["customs_code"], unique=False)


def downgrade() -> None:
    # Back to one company per (item, role): an agency's confirmation wins over a claim, the first row over later
    # ones; parties no company of ours has cannot be kept.
    op.execute("DELETE FROM item_parties WHERE company_id IS NULL")
    op.execute(
        "DELETE FROM item_parties WHERE EXISTS (SELECT 1 FROM item_parties AS other "
        "WHERE other.item_id = item_parties.item_id AND other.role = item_parties.role AND ("
        "(other.source = 'agency' AND item_parties.source = 'claim') "
        "OR (other.source = item_parties.source AND other.id < item_parties.id)))"
    )
    with op.batch_alter_table("item_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_item_parties_customs_code")
        batch_op.drop_index("ix_item_parties_uscc")
        batch_op.drop_index("ix_item_parties_claimant")
        batch_op.drop_index("ix_item_parties_item_source")
        batch_op.drop_constraint(batch_op.f("uq_item_parties_item_id_claimed_by_company_id_role"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_item_parties_claimed_by_user_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_item_parties_claimed_by_company_id_companies"), type_="foreignkey")
        batch_op.create_unique_constraint("uq_item_parties_item_id_role", ["item_id", "role"])
        batch_op.alter_column("company_id", existing_type=BIG_ID, nullable=False)
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by_user_id")
        batch_op.drop_column("claimed_by_company_id")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("source")
        batch_op.drop_column("customs_code")
        batch_op.drop_column("uscc")

    # Plain ALTER TABLE, also on SQLite (3.35+): a batch copy of clearance_items would drop the table, and with
    # foreign keys on that deletes every row that references it (ON DELETE CASCADE).
    op.execute("ALTER TABLE clearance_items DROP COLUMN parties_checked_at")
