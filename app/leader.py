"""Leader election for the scheduler: exactly one process polls; others wait as standbys.

PostgreSQL: a session-level advisory lock held on a dedicated connection, and checked by asking
pg_locks whether this very connection still holds it (a dropped connection means the lock is gone).
SQLite: an OS file lock next to the database file, released by the OS when the process dies.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LOCK_KEY = 0x53574D31  # "SWM1": one scheduler per database


class LeaderLock(Protocol):
    def acquire(self) -> bool: ...
    def held(self) -> bool: ...
    def release(self) -> None: ...


class PostgresLeaderLock:
    def __init__(self, url: str) -> None:
        # Its own engine without a pool: the lock lives exactly as long as this one connection.
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
        except DBAPIError as exc:
            log.warning("leader lock: database unreachable", extra={"error": str(exc.orig)})
            self._drop()
            return False

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            return bool(self._conn.execute(text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND classid = 0 AND objid = :k AND objsubid = 1)"
            ), {"k": LOCK_KEY}).scalar())
        except DBAPIError:
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            except DBAPIError:
                pass
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
        self._conn = None


class FileLeaderLock:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(path))

    def acquire(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
            return True
        except Timeout:
            return False

    def held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()


def leader_lock_for(database_url: str) -> LeaderLock:
    if database_url.startswith("postgresql"):
        return PostgresLeaderLock(database_url)
    if database_url.startswith("sqlite:///"):
        return FileLeaderLock(Path(database_url.removeprefix("sqlite:///") + ".scheduler.lock"))
    raise ValueError(f"no leader lock for {database_url.split(':', 1)[0]}")
