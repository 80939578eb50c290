"""Alembic environment: the URL comes from the caller's Config (see app/processes/migrate.py), the tables from
app.processes.tables."""

from __future__ import annotations

from alembic import context

from app.processes.partitions import is_partition
from app.processes.tables import Base
from core.db import make_engine

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, _parents: dict) -> bool:
    """The history tables' partitions are made and dropped by housekeeping, not by migrations."""
    return not (type_ == "table" and name is not None and is_partition(name))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        # Batch mode lets the same migrations alter tables on SQLite, which has almost no ALTER TABLE.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
