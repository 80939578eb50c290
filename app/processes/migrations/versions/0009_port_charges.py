"""port charges (收费公示): ports, charging enterprises, fee versions, follows, the catalogue audit log;
notifications may be notices (no item, no event: a topic instead)

Revision ID: 0009_port_charges
Revises: 0008_enterprise_api
Create Date: 2026-12-06 06:08:00.181987
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

revision = "0009_port_charges"
down_revision = "0008_enterprise_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customs_office', sa.String(length=4), nullable=False),
    sa.Column('locode', sa.String(length=5), nullable=True),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ports')),
    sa.UniqueConstraint('customs_office', name=op.f('uq_ports_customs_office'))
    )
    op.create_table('charging_enterprises',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('port_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('company_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_charging_enterprises_company_id_companies')),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_charging_enterprises_port_id_ports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charging_enterprises')),
    sa.UniqueConstraint('port_id', 'name_zh', name=op.f('uq_charging_enterprises_port_id_name_zh'))
    )
    with op.batch_alter_table('charging_enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charging_enterprises_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_charging_enterprises_port_id_id', ['port_id', 'id'], unique=False)

    op.create_table('charge_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('port_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('enterprise_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_charge_audit_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge_audit'))
    )
    with op.batch_alter_table('charge_audit', schema=None) as batch_op:
        batch_op.create_index('ix_charge_audit_enterprise_id', ['enterprise_id', 'id'], unique=False)

    op.create_table('charge_follows',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('port_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('enterprise_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'enterprise' AND enterprise_id IS NOT NULL AND code IS NULL) OR (kind = 'fee_item' AND enterprise_id IS NULL AND code IS NOT NULL)", name=op.f('ck_charge_follows_target')),
    sa.CheckConstraint("kind IN ('enterprise', 'fee_item')", name=op.f('ck_charge_follows_kind')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['charging_enterprises.id'], name=op.f('fk_charge_follows_enterprise_id_charging_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_charge_follows_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_charge_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge_follows')),
    sa.UniqueConstraint('user_id', 'target', name=op.f('uq_charge_follows_user_id_target'))
    )
    with op.batch_alter_table('charge_follows', schema=None) as batch_op:
        batch_op.create_index('ix_charge_follows_enterprise_id', ['enterprise_id'], unique=False)
        batch_op.create_index('ix_charge_follows_port_code', ['port_id', 'code'], unique=False)
        batch_op.create_index(batch_op.f('ix_charge_follows_user_id'), ['user_id'], unique=False)

    op.create_table('fee_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('enterprise_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('port_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=12), nullable=False),
    sa.Column('price_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('basis', sa.String(length=500), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('effective_to IS NULL OR effective_to > effective_from', name=op.f('ck_fee_versions_range')),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_fee_versions_price')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['charging_enterprises.id'], name=op.f('fk_fee_versions_enterprise_id_charging_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_fee_versions_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], name=op.f('fk_fee_versions_published_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_versions')),
    sa.UniqueConstraint('enterprise_id', 'code', 'effective_from', name=op.f('uq_fee_versions_enterprise_id_code_effective_from'))
    )
    with op.batch_alter_table('fee_versions', schema=None) as batch_op:
        batch_op.create_index('ix_fee_versions_enterprise', ['enterprise_id', 'code', 'effective_from'], unique=False)
        batch_op.create_index('ix_fee_versions_port_code', ['port_id', 'code', 'effective_from', 'effective_to',
                                                             'currency', 'price_cents', 'enterprise_id', 'id'],
                                 unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=60), nullable=True))
        batch_op.alter_column('item_id',
               existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
               nullable=True)
        batch_op.alter_column('event_id',
               existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
               nullable=True)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('event_id',
               existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
               nullable=True)



def downgrade() -> None:
    # Notices cannot exist without an item: they go (their pushes with them) before the columns tighten.
    op.execute("DELETE FROM outbox WHERE event_id IS NULL")
    op.execute("DELETE FROM notifications WHERE item_id IS NULL OR event_id IS NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('event_id',
               existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
               nullable=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('event_id',
               existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
               nullable=False)
        batch_op.alter_column('item_id',
               existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
               nullable=False)
        batch_op.drop_column('topic')

    with op.batch_alter_table('fee_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_versions_port_code')
        batch_op.drop_index('ix_fee_versions_enterprise')

    op.drop_table('fee_versions')
    with op.batch_alter_table('charge_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charge_follows_user_id'))
        batch_op.drop_index('ix_charge_follows_port_code')
        batch_op.drop_index('ix_charge_follows_enterprise_id')

    op.drop_table('charge_follows')
    with op.batch_alter_table('charge_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_charge_audit_enterprise_id')

    op.drop_table('charge_audit')
    with op.batch_alter_table('charging_enterprises', schema=None) as batch_op:
        batch_op.drop_index('ix_charging_enterprises_port_id_id')
        batch_op.drop_index(batch_op.f('ix_charging_enterprises_company_id'))

    op.drop_table('charging_enterprises')
    op.drop_table('ports')
