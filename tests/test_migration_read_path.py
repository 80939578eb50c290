"""0011_read_path: agency party rows made before it get their item's updated_at, so lists keep every item."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from app.processes import migrate
from core.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)

EARLY, LATE = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)


def test_agency_parties_get_their_items_updated_at_and_claims_stay_without(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0007_input_limits")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO companies (id, name, uscc, created_at) VALUES "
                          "(1, 'c', '91310000000001MA1A', :t)"), {"t": EARLY})
        conn.execute(text("INSERT INTO clearance_items (id, kind, reference, unknown_code, created_at, updated_at) "
                          "VALUES (1, 'transit', '2233202400004567', false, :e, :e), "
                          "(2, 'license', 'LIC202400012345', false, :e, :l)"), {"e": EARLY, "l": LATE})
        conn.execute(text("INSERT INTO item_parties (id, item_id, company_id, role, source, confirmed_at) VALUES "
                          "(1, 1, 1, 'declarant', 'agency', :e), (2, 2, 1, 'declarant', 'agency', :e), "
                          "(3, 2, 1, 'agent', 'claim', NULL)"), {"e": EARLY})
    migrate.upgrade(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, item_updated_at FROM item_parties ORDER BY id")).all()
    stamps = [None if r[1] is None else (r[1] if isinstance(r[1], datetime) else datetime.fromisoformat(r[1]))
              for r in rows]
    assert [s.replace(tzinfo=UTC) if s is not None and s.tzinfo is None else s for s in stamps] == [EARLY, LATE, None]
    migrate.downgrade(empty_database, "0007_input_limits")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM item_parties")) == 3
    engine.dispose()
