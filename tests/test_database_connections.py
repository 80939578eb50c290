"""PostgreSQL connections as production makes them: several hosts in one URL (the one that takes writes is used),
bounded waits on a server that vanished, prepared statements off behind a pooler in transaction mode, and an API
that answers 503 (try again) rather than 500 while its database is away."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.web.database import engine_options
from core.db import PG_CONNECT_ARGS, make_engine, postgres_connect_args


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nothing listens there


def test_prepare_threshold_leaves_the_url_for_psycopg_and_the_bounds_yield_to_the_url():
    url, args = postgres_connect_args("postgresql+psycopg://swm@/swm?host=db1:5432&host=db2:5432"
                                      "&target_session_attrs=read-write&prepare_threshold=none&connect_timeout=2")
    assert "prepare_threshold" not in url.query and args["prepare_threshold"] is None
    assert url.query["target_session_attrs"] == "read-write"
    assert "connect_timeout" not in args  # the URL's own 2 s
    assert args["keepalives"] == PG_CONNECT_ARGS["keepalives"]
    assert postgres_connect_args("postgresql+psycopg://swm@db/swm?prepare_threshold=0")[1]["prepare_threshold"] == 0
    assert "prepare_threshold" not in postgres_connect_args("postgresql+psycopg://swm@db/swm")[1]


def test_a_multi_host_url_skips_a_host_that_is_down_and_prepared_statements_can_be_off(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("libpq's multi-host URLs are PostgreSQL's")
    given = make_url(database_url)
    hosts = f"127.0.0.1,{given.host or '127.0.0.1'}"
    ports = f"{dead_port()},{given.port or 5432}"
    url = given.set(host=None, port=None).update_query_dict(
        {"host": hosts, "port": ports, "target_session_attrs": "read-write", "prepare_threshold": "none"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT NOT pg_is_in_recovery()")).scalar()  # the host that takes writes
            assert conn.connection.driver_connection.prepare_threshold is None
            for _ in range(10):  # would be prepared after 5 runs; through pgbouncer < 1.21 that breaks
                assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_the_api_answers_503_with_retry_after_while_its_database_is_away():
    app = create_app({"DATABASE_URL": f"postgresql+psycopg://swm@127.0.0.1:{dead_port()}/swm", "TESTING": True})
    response = app.test_client().post("/auth/login", json={"phone": "13800000001", "password": "whatever it is"},
                                      headers={"Accept-Language": "en"})
    assert response.status_code == 503, response.json
    assert "Retry-After" in response.headers
    assert response.json["message"] == "the database is unavailable; try again shortly"


def test_the_web_apps_prepare_threshold_yields_to_the_urls():
    """Behind a pgbouncer older than 1.21 the URL says prepare_threshold=none: SWM_DB_PREPARE_THRESHOLD must not
    turn prepared statements back on for the API."""
    url = "postgresql+psycopg://swm@127.0.0.1:6432/swm"
    assert engine_options({"DATABASE_URL": url, "DB_PREPARE_THRESHOLD": 5})["connect_args"] == {"prepare_threshold": 5}
    told = engine_options({"DATABASE_URL": url + "?prepare_threshold=none", "DB_PREPARE_THRESHOLD": 5})
    assert "connect_args" not in told  # make_engine then takes the URL's (the test above)
