"""input limits: devices are unique by the SHA-256 of their token, not the token

PostgreSQL's btree cannot index an entry over 2704 bytes, so the unique index on a token of up to 4096
characters failed for long tokens (a 500). The digest is indexed instead.

Revision ID: 0007_input_limits
Revises: 0006_agency_parties
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007_input_limits"
down_revision = "0006_agency_parties"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_sha256", sa.String(length=64), nullable=True))

    devices = sa.table("devices", sa.column("id", sa.BigInteger), sa.column("token", sa.String),
                       sa.column("token_sha256", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(devices.c.id, devices.c.token)).all()
    for device_id, token in rows:
        connection.execute(devices.update().where(devices.c.id == device_id)
                           .values(token_sha256=hashlib.sha256(token.encode()).hexdigest()))

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.alter_column("token_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_devices_token", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_devices_token_sha256"), ["token_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_devices_token_sha256"), type_="unique")
        batch_op.create_unique_constraint("uq_devices_token", ["token"])
        batch_op.drop_column("token_sha256")
