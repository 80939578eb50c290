"""desk: audit log, case notes, customs office, reference search

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:05:05.203292
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Where each kind's reference carries the customs office, as the kinds table said when this was written.
OFFICE_IN_REFERENCE = {"customs_declaration": 0, "enterprise_qualification": 2, "processing_trade": 2,
                       "cross_border_ecommerce": 0, "transit": 0}


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=True),
    sa.Column('target_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('query', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor_id', ['actor_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id', 'id'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['clearance_items.id'], name=op.f('fk_case_notes_item_id_clearance_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_item_id', ['item_id', 'id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # References compare byte by byte, so one btree serves the desk's prefix search and its ordering.
        op.alter_column('clearance_items', 'reference', type_=sa.String(length=64, collation='C'),
                        existing_type=sa.String(length=64), existing_nullable=False)
        # Trigram search of company names (a trusted extension: the database owner may create it).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_index('ix_companies_name_id', ['name', 'id'], unique=False)
        batch_op.create_index('ix_companies_name_trgm', ['name'], unique=False, postgresql_using='gin',
                              postgresql_ops={'name': 'gin_trgm_ops'})

    with op.batch_alter_table('clearance_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customs_office', sa.String(length=4), nullable=True))
        batch_op.create_index('ix_clearance_items_office_kind', ['customs_office', 'kind'], unique=False)
        batch_op.create_index('ix_clearance_items_reference', ['reference'], unique=False)

    # Items tracked before: their customs office as their references carry it (kinds.py, office_span).
    for kind, start in OFFICE_IN_REFERENCE.items():
        op.execute(sa.text("UPDATE clearance_items SET customs_office = substr(reference, :start, 4) "
                           "WHERE kind = :kind AND customs_office IS NULL").bindparams(start=start + 1, kind=kind))



def downgrade() -> None:
    with op.batch_alter_table('clearance_items', schema=None) as batch_op:
        batch_op.drop_index('ix_clearance_items_reference')
        batch_op.drop_index('ix_clearance_items_office_kind')
        batch_op.drop_column('customs_office')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index('ix_companies_name_trgm', postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
        batch_op.drop_index('ix_companies_name_id')
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('clearance_items', 'reference', type_=sa.String(length=64),
                        existing_type=sa.String(length=64, collation='C'), existing_nullable=False)

    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_item_id')

    op.drop_table('case_notes')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index('ix_audit_log_actor_id')

    op.drop_table('audit_log')
