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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode alters a table by copying it and dropping the old one. With foreign keys enforced, that
            # drop cascades into every row referencing the table (altering notifications deleted the outbox), so
            # they are off while migrating (the pragma works only outside a transaction) and checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        # Batch mode lets the same migrations alter tables on SQLite, which has almost no ALTER TABLE.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            if broken:
                raise RuntimeError(f"the migration left rows whose references do not exist: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
