"""The request-scoped SQLAlchemy session of the web app (the domain packages get it passed in).

Reads marked `read_only` run on PostgreSQL without a transaction (autocommit): no BEGIN and no ROLLBACK per
request, and psycopg keeps its prepared statements (a ROLLBACK makes it forget them). See docs/read-path.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from core.db import make_engine

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _AppDatabase:
    engine: Engine
    sessions: scoped_session[Session]
    read_engine: Engine  # the same pool; on PostgreSQL its connections run in autocommit


def read_only(func: F) -> F:
    """Mark a view method that only reads: its session needs no transaction (each statement sees committed
    data; a view that writes must not carry this mark)."""
    func.swm_read_only = True  # type: ignore[attr-defined]
    return func


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """Pool and driver settings of the web app's engine (SWM_DB_* in docs/operations.md)."""
    if config["DATABASE_URL"].startswith("sqlite"):
        return {}
    options: dict[str, Any] = {
        # No round trip per checkout: a connection broken meanwhile fails its request, and SQLAlchemy then
        # discards every pooled connection opened before (see errors.py: a 503 to retry).
        "pool_pre_ping": config.get("DB_PRE_PING", False),
        "pool_recycle": config.get("DB_POOL_RECYCLE", 600),
    }
    # psycopg prepares a statement once it has run this often on a connection; None: never. A URL that says
    # `prepare_threshold=none` (through a pgbouncer older than 1.21) keeps its word.
    if "prepare_threshold" not in make_url(config["DATABASE_URL"]).query:
        options["connect_args"] = {"prepare_threshold": config.get("DB_PREPARE_THRESHOLD", 5)}
    return options


class Database:
    """Per-application engine and sessions, found through current_app, so several apps can coexist."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], **engine_options(app.config))
        read_engine = (engine.execution_options(isolation_level="AUTOCOMMIT")
                       if engine.dialect.name == "postgresql" else engine)
        state = _AppDatabase(engine, scoped_session(sessionmaker(engine, expire_on_commit=False)), read_engine)
        app.extensions["swm_db"] = state

        @app.before_request
        def _read_only_session() -> None:
            if state.sessions.registry.has():
                return
            view = app.view_functions.get(request.endpoint or "")
            name = "get" if request.method == "HEAD" else request.method.lower()
            method = getattr(getattr(view, "view_class", None), name, None)
            if request.method in ("GET", "HEAD") and getattr(method or view, "swm_read_only", False):
                g.swm_read_only = True  # also lets the token check use a recent lookup (app/web/auth/checked.py)
                if state.read_engine is not state.engine:
                    state.sessions(bind=state.read_engine)

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            state.sessions.remove()

    @property
    def session(self) -> Session:
        return current_app.extensions["swm_db"].sessions()

    @property
    def engine(self) -> Engine:
        return current_app.extensions["swm_db"].engine


db = Database()
