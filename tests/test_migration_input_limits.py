"""0007_input_limits: devices registered before it get their token's digest, and stay findable by token."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from app.processes import migrate
from core.db import make_engine
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)


def test_existing_devices_get_the_digest_of_their_token(empty_database):  # noqa: F811
    migrate.upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, phone, name, password_hash, role, locale, time_zone, active, "
                          "created_at) VALUES (1, '13900000001', 'u', 'x', 'admin', 'zh-CN', 'Asia/Shanghai', "
                          ":yes, CURRENT_TIMESTAMP)"), {"yes": True})
        conn.execute(text("INSERT INTO devices (user_id, token, platform, active, created_at, last_seen_at) "
                          "VALUES (1, 'phone-1', 'android', :yes, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                     {"yes": True})
    migrate.upgrade(empty_database)
    with engine.connect() as conn:
        digest = conn.scalar(text("SELECT token_sha256 FROM devices WHERE token = 'phone-1'"))
    assert digest == hashlib.sha256(b"phone-1").hexdigest()
    migrate.downgrade(empty_database)
    engine.dispose()
