"""Migrations build the schema from empty, match the models, and tear down cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.processes import migrate
from app.processes.partitions import is_partition
from app.processes.tables import Base
from core.db import make_engine
from tests.conftest import BACKENDS, direct_url, postgres_url


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    # A schema of its own, so the suite's tables in the default schema are left alone. Extensions live in public,
    # as in production: made there first, so dropping the test schema never takes one with it.
    # Straight to the server: the schema is chosen by a startup option, which pgbouncer does not pass on.
    url = direct_url(postgres_url())
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS migration_test CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA migration_test")
        # Alembic looks its version table up through the search path: without one of its own here it would
        # find the suite's (public, at head) and migrate nothing.
        conn.exec_driver_sql("CREATE TABLE migration_test.alembic_version "
                             "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3Dmigration_test,public"
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS migration_test CASCADE")
    engine.dispose()


def _tables(conn) -> set[str]:
    # In the test's own schema only: PostgreSQL would also list the suite's tables, visible through public.
    inspector = inspect(conn)
    return set(inspector.get_table_names(schema=inspector.default_schema_name))


def test_upgrade_from_empty_matches_the_models_and_downgrade_empties(empty_database):
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        # The history tables' partitions (PostgreSQL) belong to housekeeping, not to the models.
        context = MigrationContext.configure(conn, opts={"include_name": lambda name, type_, _parents: not (
            type_ == "table" and name is not None and is_partition(name))})
        differences = compare_metadata(context, Base.metadata)
        tables = _tables(conn)
    assert differences == [], differences
    assert set(Base.metadata.tables) <= tables
    migrate.downgrade(empty_database)
    with engine.connect() as conn:
        assert _tables(conn) <= {"alembic_version"}
    migrate.upgrade(empty_database)  # and up again after a downgrade
    engine.dispose()


