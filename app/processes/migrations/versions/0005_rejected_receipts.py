"""rejected receipts; agency state: cursor_moved_at, apply_failures

Revision ID: 0005_rejected_receipts
Revises: 0004
Create Date: 2026-12-06 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_rejected_receipts"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rejected_receipts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agency', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('times_seen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['clearance_items.id'], name=op.f('fk_rejected_receipts_item_id_clearance_items'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_receipts')),
    sa.UniqueConstraint('agency', 'fingerprint', name=op.f('uq_rejected_receipts_agency_fingerprint'))
    )
    with op.batch_alter_table('rejected_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_receipts_item_id'), ['item_id'], unique=False)
    with op.batch_alter_table('agency_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cursor_moved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('apply_failures', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('agency_state', schema=None) as batch_op:
        batch_op.drop_column('apply_failures')
        batch_op.drop_column('cursor_moved_at')
    with op.batch_alter_table('rejected_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_receipts_item_id'))
    op.drop_table('rejected_receipts')
