"""polling: agency state, due items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:42:43.766927
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_state',
    sa.Column('agency', sa.String(length=20), nullable=False),
    sa.Column('cursor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('feed_id', sa.String(length=64), nullable=True),
    sa.Column('feed_backlog', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('polls_total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('errors_total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('events_total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('breaker_open_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_poll_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('agency', name=op.f('pk_agency_state'))
    )
    with op.batch_alter_table('clearance_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('poll_interval', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('poll_etag', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_clearance_items_due', ['kind', 'next_poll_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('clearance_items', schema=None) as batch_op:
        batch_op.drop_index('ix_clearance_items_due')
        batch_op.drop_column('poll_etag')
        batch_op.drop_column('poll_interval')
        batch_op.drop_column('next_poll_at')

    op.drop_table('agency_state')
