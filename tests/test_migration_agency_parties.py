"""Migration 0006 on existing data: parties that were only a trader's word become claims (nobody keeps seeing an
item on it), and a downgrade keeps one company per role, the agency's before a claim."""

from __future__ import annotations

from sqlalchemy import text

from app.processes import migrate
from core.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401 (the fixture: SQLite, and PostgreSQL when set)

NOW = "2026-12-01 08:00:00+00:00"


def test_existing_parties_become_claims_of_the_tracking_company_and_come_back_on_downgrade(empty_database):  # noqa: F811
    engine = make_engine(empty_database)
    migrate.upgrade(empty_database, "0004")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO companies (id, name, uscc, customs_code, created_at) VALUES "
            "(1, 'declarant', '91310000000001MA1A', '3100000001', :now), "
            "(2, 'consignee', '91310000000002MA1B', NULL, :now)"
        ), {"now": NOW})
        conn.execute(text("INSERT INTO users (id, phone, name, password_hash, role, company_id, locale, time_zone, "
                          "active, created_at) VALUES (1, '13900000001', 'u', '-', 'trader', 1, 'zh-CN', "
                          "'Asia/Shanghai', true, :now)"), {"now": NOW})
        conn.execute(text("INSERT INTO clearance_items (id, kind, reference, unknown_code, tracked_by_user_id, "
                          "created_at, updated_at) VALUES (1, 'transit', '2233202400004567', false, 1, :now, :now), "
                          "(2, 'license', 'LIC202400012345', false, NULL, :now, :now)"), {"now": NOW})
        conn.execute(text("INSERT INTO item_parties (id, item_id, company_id, role) VALUES "
                          "(1, 1, 1, 'declarant'), (2, 1, 2, 'consignee'), (3, 2, 2, 'declarant')"))
    migrate.upgrade(empty_database)
    with engine.begin() as conn:
        rows = conn.execute(text(
            "SELECT id, company_id, uscc, customs_code, role, source, confirmed_at, claimed_by_company_id, "
            "claimed_by_user_id, claimed_at IS NOT NULL FROM item_parties ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, 1, "91310000000001MA1A", "3100000001", "declarant", "claim", None, 1, 1, True),
            (2, 2, "91310000000002MA1B", None, "consignee", "claim", None, 1, 1, True),
            (3, 2, "91310000000002MA1B", None, "declarant", "claim", None, 2, None, True),  # nobody tracked it: its own
        ]
        assert conn.scalar(text("SELECT count(*) FROM clearance_items WHERE parties_checked_at IS NULL")) == 2
        # What the agency said since, and a party no company of ours has yet.
        conn.execute(text("INSERT INTO item_parties (id, item_id, company_id, uscc, role, source, confirmed_at) "
                          "VALUES (4, 1, 2, '91310000000002MA1B', 'declarant', 'agency', :now), "
                          "(5, 1, NULL, '91310000000003MA1C', 'agent', 'agency', :now)"), {"now": NOW})
    migrate.downgrade(empty_database, "0004")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT item_id, company_id, role FROM item_parties ORDER BY item_id, role")).all()
        assert [tuple(r) for r in rows] == [(1, 2, "consignee"), (1, 2, "declarant"), (2, 2, "declarant")]
    engine.dispose()
