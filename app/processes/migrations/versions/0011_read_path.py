"""read path: the item's updated_at on its agency party rows, indexed with the company

The list of a company's items, most recently updated first, is read in order off one index
(company_id, item_updated_at, item_id) over the agency's rows, read backwards, instead of sorting all of the
company's items for every page.

Revision ID: 0011_read_path
Revises: 0010_partitions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_read_path"
down_revision = "0010_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE item_parties SET item_updated_at = (SELECT updated_at FROM clearance_items "
               "WHERE clearance_items.id = item_parties.item_id) WHERE source = 'agency'")
    op.create_index("ix_item_parties_company_updated", "item_parties",
                    ["company_id", "item_updated_at", "item_id"],
                    postgresql_where=sa.text("source = 'agency'"), sqlite_where=sa.text("source = 'agency'"))


def downgrade() -> None:
    op.drop_index("ix_item_parties_company_updated", table_name="item_parties")
    with op.batch_alter_table("item_parties", schema=None) as batch_op:
        batch_op.drop_column("item_updated_at")
