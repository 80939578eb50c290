"""Database plumbing shared by every package: the declarative base, a UTC timestamp type, the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    TypeDecorator,
    any_,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session

from core.errors import NotFound
from core.i18n import N_

# Named constraints let Alembic drop them again, SQLite included (batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, but INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql").with_variant(sqlite.JSON(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Bounds on every PostgreSQL connection, so that a server that vanished (a failed primary) is given up on within
# seconds instead of a TCP timeout's minutes: connecting, idle connections (keepalives), unacknowledged sends (ms).
# A multi-host URL (host=a,b … target_session_attrs=read-write) then moves on to the next host.
PG_CONNECT_ARGS: dict[str, Any] = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
                                   "keepalives_interval": 3, "keepalives_count": 3, "tcp_user_timeout": 15000}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout so several processes share it.

    PostgreSQL URLs may name several hosts (libpq's `host=a,b&port=p,q&target_session_attrs=read-write`) and may
    carry `prepare_threshold=none`, which psycopg does not read from a URL: it turns off server-side prepared
    statements, which a pooler in transaction mode (pgbouncer before 1.21) cannot keep apart between clients.
    """
    # Errors (and the tracebacks logged for them) show the statement, never its values: device tokens,
    # phone numbers and password hashes travel as parameters.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    parsed, connect_args = postgres_connect_args(url)
    kwargs["connect_args"] = {**connect_args, **kwargs.get("connect_args", {})}
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def postgres_connect_args(url: str) -> tuple[Any, dict[str, Any]]:
    """`url` without the settings that are psycopg's rather than libpq's, and the connect arguments for them and
    for the bounds above (a URL's own value wins over a bound)."""
    parsed = make_url(url)
    args = {k: v for k, v in PG_CONNECT_ARGS.items() if k not in parsed.query}
    if "prepare_threshold" in parsed.query:
        raw = str(parsed.query["prepare_threshold"]).strip().lower()
        args["prepare_threshold"] = None if raw in {"none", "off", ""} else int(raw)
        parsed = parsed.difference_update_query(["prepare_threshold"])
    return parsed, args


M = TypeVar("M", bound=Base)


def get_or_not_found(session: Session, model: type[M], object_id: int, what: str,
                     visible: Callable[[M], bool] = lambda _row: True) -> M:
    """The row, or NotFound("no such <what>"); also when `visible` says the caller may not see it, so that
    another user's object looks exactly like a missing one."""
    row = session.get(model, object_id)
    if row is None or not visible(row):
        raise NotFound(N_("no such {what}").format(what=what))
    return row


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern with escape character backslash: its own %, _ and \\ match literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_values(session: Session, column: Any, values: list[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`: one parameter however long the list, so the
    statement is parsed and planned once instead of once per list length."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
