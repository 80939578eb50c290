"""Leader election for the scheduler: exactly one process polls; others wait as standbys.

PostgreSQL: a session-level advisory lock held on a dedicated connection, and checked by asking
pg_locks whether this very connection still holds it (a dropped connection means the lock is gone).
SQLite: an OS file lock next to the database file, released by the OS when the process dies.

Fencing. The server releases the advisory lock the moment the leader's connection dies, but the leader only
notices at its next check, and a poll cycle may be in flight. So every transaction the leader commits first
checks, under a shared transaction-level advisory lock on FENCE_KEY, that the lock is still held by the very
connection that took it for this term of leadership (`fence()`); and a new leader, once it holds the lock, takes
FENCE_KEY exclusively once before it starts, which waits for the old leader's transactions that passed the check
and are still committing. A commit of the old leader is thus either before the new leader starts or refused.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from core.db import postgres_connect_args

log = logging.getLogger(__name__)

LOCK_KEY = 0x53574D31  # "SWM1": one scheduler per database
FENCE_KEY = 0x53574D32  # "SWM2": held shared by the leader's committing transactions

# Bounds on the lock connection, so that neither a dead network nor a dead server keeps a leader from noticing
# for long (the keepalives probe an idle connection; tcp_user_timeout bounds unacknowledged sends, in ms).
CONNECT_ARGS = {"connect_timeout": 3, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                "keepalives_count": 2, "tcp_user_timeout": 5000}
# The new leader's wait for the old leader's last commits is done in steps this long, to notice a stop between them.
FENCE_WAIT_STEP = "1s"


class LeadershipLost(Exception):
    """A transaction was to commit as leader, but this term of leadership is over: it is rolled back."""


class DatabaseUnreachable(Exception):
    """The leader lock could not be asked for: the database is down, unreachable or refusing us."""


Fence = Callable[[Connection], None]


class LeaderLock(Protocol):
    def acquire(self, cancel: threading.Event | None = None) -> bool:
        """True: this process leads (a new term); False: another one does. Raises DatabaseUnreachable."""
    def held(self) -> bool: ...
    def fence(self) -> Fence:
        """A check for the term just acquired: raises LeadershipLost, on a connection inside the transaction
        about to commit, once that term is over."""
    def release(self) -> None: ...


def fence_sessions(sessions: sessionmaker[Session], fence: Fence) -> None:
    """Every transaction of `sessions` passes `fence` before it commits; LeadershipLost rolls it back."""

    def before_commit(session: Session) -> None:
        fence(session.connection())

    event.listen(sessions, "before_commit", before_commit)


class PostgresLeaderLock:
    def __init__(self, url: str) -> None:
        # Its own engine without a pool: the lock lives exactly as long as this one connection. A session of its
        # own on the server: `url` must reach PostgreSQL directly, never through a pooler in transaction mode.
        parsed, connect_args = postgres_connect_args(url)
        self._engine = create_engine(parsed, poolclass=NullPool, connect_args={**connect_args, **CONNECT_ARGS})
        self._conn: Connection | None = None
        self._term: tuple[int, datetime] | None = None  # the lock connection's backend: pid and start time

    def acquire(self, cancel: threading.Event | None = None) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if not self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
                return False
            pid, started = self._conn.execute(text(
                "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
            )).one()
            if not self._wait_for_previous_leader(cancel):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                return False
        except DBAPIError as exc:
            self._drop()
            raise DatabaseUnreachable(str(exc.orig)) from exc
        self._term = (pid, started)
        return True

    def _wait_for_previous_leader(self, cancel: threading.Event | None) -> bool:
        """Wait until no transaction that passed a previous leader's fence is still committing."""
        assert self._conn is not None
        self._conn.execute(text(f"SET lock_timeout = '{FENCE_WAIT_STEP}'"))
        try:
            for attempt in itertools.count():
                try:
                    self._conn.execute(text("SELECT pg_advisory_lock(:f)"), {"f": FENCE_KEY})
                    break
                except DBAPIError as exc:
                    if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available: still committing
                        raise
                    if attempt % 30 == 0:
                        log.warning("leader lock: waiting for the previous leader's last commit")
                    if cancel is not None and cancel.is_set():
                        return False
            self._conn.execute(text("SELECT pg_advisory_unlock(:f)"), {"f": FENCE_KEY})
        finally:
            self._conn.execute(text("RESET lock_timeout"))
        return True

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

    def fence(self) -> Fence:
        if self._term is None:
            raise LeadershipLost("not the leader")
        pid, started = self._term

        def check(conn: Connection) -> None:
            # Shared: the leader's own transactions do not wait for each other, only a new leader waits for them.
            conn.execute(text("SELECT pg_advisory_xact_lock_shared(:f)"), {"f": FENCE_KEY})
            # The backend's start time tells our lock connection from a later one that reuses its pid.
            still = conn.execute(text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :k"
                " AND l.objsubid = 1 AND l.pid = :pid AND a.backend_start = :started)"
            ), {"k": LOCK_KEY, "pid": pid, "started": started}).scalar()
            if not still:
                raise LeadershipLost(f"the leader lock of backend {pid} is gone")

        return check

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            except DBAPIError:
                pass
        self._drop()
        self._engine.dispose()  # without a pool this closes nothing more; the engine stays usable

    def _drop(self) -> None:
        self._term = None
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
        self._conn = None


class FileLeaderLock:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not thread-local: the poll threads' fence asks whether the main thread's lock is still held.
        self._lock = FileLock(str(path), thread_local=False)
        self._term = 0  # counts terms, so that a check of an earlier term fails once that term is over

    def acquire(self, cancel: threading.Event | None = None) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        self._term += 1
        return True

    def held(self) -> bool:
        return self._lock.is_locked

    def fence(self) -> Fence:
        term = self._term

        def check(_conn: Connection) -> None:
            # The OS holds the file lock for as long as this process lives: only release() ends a term.
            if not (self._lock.is_locked and self._term == term):
                raise LeadershipLost("the leader file lock was released")

        return check

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()
            self._term += 1


def leader_lock_for(database_url: str) -> LeaderLock:
    if database_url.startswith("postgresql"):
        return PostgresLeaderLock(database_url)
    if database_url.startswith("sqlite:///"):
        return FileLeaderLock(Path(database_url.removeprefix("sqlite:///") + ".scheduler.lock"))
    raise ValueError(f"no leader lock for {database_url.split(':', 1)[0]}")
