"""The request-scoped SQLAlchemy session of the web app (the domain packages get it passed in)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from core.db import make_engine


@dataclass
class _AppDatabase:
    engine: Engine
    sessions: scoped_session[Session]


class Database:
    """Per-application engine and sessions, found through current_app, so several apps can coexist."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        state = _AppDatabase(engine, scoped_session(sessionmaker(engine, expire_on_commit=False)))
        app.extensions["swm_db"] = state

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
