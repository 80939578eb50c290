"""The leader lock's fence: a leader whose term is over commits nothing, and a new leader waits for the old one's
last commits; the scheduler's reconnection back-off and its executor that can leave a stuck job behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from app import config as app_config
from app.processes import scheduler
from app.processes.leader import (
    LOCK_KEY,
    FileLeaderLock,
    LeadershipLost,
    PostgresLeaderLock,
    fence_sessions,
    leader_lock_for,
)
from app.processes.scheduler import AbandonableExecutor, Backoff
from status_tracker.models import AgencyState
from tests.conftest import direct_url


def add_state(sessions, agency: str) -> None:
    with sessions.begin() as session:
        session.add(AgencyState(agency=agency, cursor=0, feed_backlog=0, polls_total=0, errors_total=0,
                                events_total=0, consecutive_failures=0))


def states(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(AgencyState.agency)))


def fenced(engine, lock):
    sessions = sessionmaker(engine, expire_on_commit=False)
    fence_sessions(sessions, lock.fence())
    return sessions


@pytest.fixture
def pg(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's")
    locks: list[PostgresLeaderLock] = []

    def new_lock() -> PostgresLeaderLock:
        locks.append(PostgresLeaderLock(direct_url(database_url)))  # a session of its own, never via a pooler
        return locks[-1]

    yield new_lock
    for lock in locks:
        lock.release()


def kill_lock_holder(engine) -> None:
    with engine.connect() as conn:
        pid = conn.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = :k"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ), {"k": LOCK_KEY}).scalar_one()
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


@pytest.mark.postgres
def test_a_leader_whose_lock_connection_was_killed_commits_nothing(pg, engine):
    lock = pg()
    assert lock.acquire()
    sessions = fenced(engine, lock)
    add_state(sessions, "gacc")

    kill_lock_holder(engine)  # the server releases the lock at once; the leader has not noticed yet
    with pytest.raises(LeadershipLost):
        add_state(sessions, "msa")
    assert states(sessions) == {"gacc"}
    assert not lock.held()


@pytest.mark.postgres
def test_an_earlier_term_stays_fenced_when_the_same_process_leads_again(pg, engine):
    lock = pg()
    assert lock.acquire()
    first_term = fenced(engine, lock)
    kill_lock_holder(engine)
    assert not lock.held()
    assert lock.acquire()
    second_term = fenced(engine, lock)

    with pytest.raises(LeadershipLost):
        add_state(first_term, "gacc")  # a cycle of the first term, still in flight
    add_state(second_term, "msa")
    assert states(second_term) == {"msa"}


@pytest.mark.postgres
def test_a_standby_cannot_lead_while_the_leader_holds_the_lock(pg, engine):
    leader, standby = pg(), pg()
    assert leader.acquire()
    assert not standby.acquire()
    with pytest.raises(LeadershipLost):
        fenced(engine, standby)  # no term, no fence
    leader.release()
    assert standby.acquire()


@pytest.mark.postgres
def test_a_new_leader_waits_for_the_old_leaders_commit_in_progress(pg, engine):
    old, new = pg(), pg()
    assert old.acquire()
    fence = old.fence()
    session_conn = engine.connect()
    transaction = session_conn.begin()
    try:
        session_conn.execute(text("UPDATE agency_state SET polls_total = polls_total + 1"))
        fence(session_conn)  # passed: from here until it ends, this transaction may commit as the old leader
        kill_lock_holder(engine)

        acquired: list[bool] = []
        waiter = threading.Thread(target=lambda: acquired.append(new.acquire()), daemon=True)
        waiter.start()
        waiter.join(2.5)
        assert waiter.is_alive() and not acquired, "the new leader did not wait for the old leader's commit"
        transaction.commit()
        waiter.join(30)
        assert acquired == [True]
    finally:
        if transaction.is_active:
            transaction.rollback()
        session_conn.close()


@pytest.mark.postgres
def test_a_new_leader_waiting_for_the_old_leader_gives_up_the_lock_when_cancelled(pg, engine):
    old, new, third = pg(), pg(), pg()
    assert old.acquire()
    session_conn = engine.connect()
    transaction = session_conn.begin()
    try:
        old.fence()(session_conn)
        kill_lock_holder(engine)
        cancel = threading.Event()
        acquired: list[bool] = []
        waiter = threading.Thread(target=lambda: acquired.append(new.acquire(cancel)), daemon=True)
        waiter.start()
        waiter.join(1.5)
        cancel.set()
        waiter.join(30)
        assert acquired == [False]
    finally:
        transaction.rollback()
        session_conn.close()
    assert third.acquire(), "the cancelled leader kept the lock"


# -- SQLite: the file lock -----------------------------------------------------------------------------------------


def test_the_file_lock_fences_from_poll_threads_and_ends_its_term_on_release(tmp_path: Path, engine):
    lock = FileLeaderLock(tmp_path / "db.sqlite3.scheduler.lock")
    other = FileLeaderLock(tmp_path / "db.sqlite3.scheduler.lock")
    assert lock.acquire()
    assert not other.acquire()
    fence = lock.fence()
    failures: list[BaseException] = []

    def in_a_poll_thread() -> None:
        try:
            fence(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failures.append(exc)

    thread = threading.Thread(target=in_a_poll_thread)
    thread.start()
    thread.join()
    assert failures == [], "the fence failed in another thread of the leader"

    lock.release()
    with pytest.raises(LeadershipLost):
        fence(None)
    assert other.acquire()


def test_leader_lock_for_picks_the_lock_of_the_database():
    assert isinstance(leader_lock_for("sqlite:////tmp/x.sqlite3"), FileLeaderLock)
    with pytest.raises(ValueError, match="mysql"):
        leader_lock_for("mysql://x")


# -- the scheduler's parts -----------------------------------------------------------------------------------------


def test_reconnection_back_off_doubles_up_to_its_cap_with_jitter():
    backoff = Backoff(first=0.5, cap=10)
    delays = [backoff.next() for _ in range(12)]
    ceilings = [min(10, 0.5 * 2**n) for n in range(12)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len({round(d, 6) for d in delays[6:]}) > 1, "no jitter at the cap"
    backoff.reset()
    assert backoff.next() <= 0.5


def test_the_executor_leaves_a_stuck_job_behind_and_reports_it():
    release = threading.Event()
    executor = AbandonableExecutor()
    scheduler = BackgroundScheduler(executors={"default": executor}, timezone="UTC")
    scheduler.add_job(release.wait, "interval", seconds=0.1, id="stuck")
    scheduler.add_job(lambda: None, "interval", seconds=0.1, id="quick")
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while "stuck" not in executor.wait(0):
            assert time.monotonic() < deadline, "the job never ran"
            time.sleep(0.05)
        scheduler.shutdown(wait=False)
        assert executor.wait(2) == ["stuck"]  # the quick one finished within the grace, the stuck one did not
        stuck = [thread for thread in threading.enumerate() if thread.name == "job stuck"]
        assert stuck and all(thread.daemon for thread in stuck), "a stuck job would keep the process from exiting"
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        release.set()
    assert executor.wait(10) == []


def scheduler_config(database_url: str, **overrides) -> dict:
    return {**app_config.from_environment(), "DATABASE_URL": database_url, "AGENCY_URL": "http://127.0.0.1:9",
            "POLL_SECONDS": 0.2, "LEADER_CHECK_SECONDS": 0.2, **overrides}


def test_an_unexpected_error_ends_the_scheduler_with_a_failure_and_frees_the_lock(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    def broken(*_args, **_kwargs):
        raise RuntimeError("no poller today")

    monkeypatch.setattr(scheduler, "build_poller", broken)
    assert scheduler.run_scheduler(scheduler_config(url), stop_event=threading.Event()) == 1
    assert leader_lock_for(url).acquire(), "the failed scheduler kept the leader lock"


def test_the_leader_lock_is_taken_on_the_leader_url_when_one_is_set(tmp_path, monkeypatch):
    """Behind pgbouncer the scheduler's transactions go through the pooler, its lock session straight to the
    server: SWM_LEADER_DATABASE_URL, defaulting to SWM_DATABASE_URL."""
    asked: list[str] = []
    stop = threading.Event()

    class NeverLeads:
        def acquire(self, cancel=None) -> bool:
            stop.set()
            return False

        def release(self) -> None:
            pass

    def lock_for(url: str) -> NeverLeads:
        asked.append(url)
        return NeverLeads()

    monkeypatch.setattr(scheduler, "leader_lock_for", lock_for)
    pooled, direct = "postgresql+psycopg://swm@pgbouncer:6432/swm", "postgresql+psycopg://swm@primary:5432/swm"
    assert scheduler.run_scheduler(scheduler_config(pooled, LEADER_DATABASE_URL=direct), stop_event=stop) == 0
    assert scheduler.run_scheduler(scheduler_config(pooled, LEADER_DATABASE_URL=""), stop_event=stop) == 0
    assert asked == [direct, pooled]


def test_a_leader_url_is_refused_unless_both_urls_are_postgresql(monkeypatch):
    monkeypatch.setenv("SWM_DATABASE_URL", "sqlite:///x.sqlite3")
    monkeypatch.setenv("SWM_LEADER_DATABASE_URL", "postgresql+psycopg://swm@primary/swm")
    with pytest.raises(RuntimeError, match="SWM_LEADER_DATABASE_URL"):
        app_config.validate(app_config.from_environment())


def test_a_scheduler_told_to_stop_returns_0_and_frees_the_lock(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the same code on both; the subprocess tests cover PostgreSQL")
    stop = threading.Event()
    status: list[int] = []
    runner = threading.Thread(target=lambda: status.append(scheduler.run_scheduler(
        scheduler_config(database_url), on_change=None, stop_event=stop)), daemon=True)
    runner.start()
    other = leader_lock_for(database_url)
    try:
        deadline = time.monotonic() + 30
        while other.acquire():  # not yet: the scheduler does not lead
            other.release()
            assert time.monotonic() < deadline, "the scheduler never led"
            time.sleep(0.1)
    finally:
        stop.set()
    runner.join(30)
    assert status == [0]
    assert other.acquire()
    other.release()


@pytest.mark.parametrize(("variable", "value"), [
    ("SWM_LEADER_CHECK_SECONDS", "0"), ("SWM_SCHEDULER_GIVE_UP_SECONDS", "-1"),
    ("SWM_SCHEDULER_STOP_GRACE_SECONDS", "-3"),
])
def test_scheduler_settings_out_of_range_are_refused_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=variable):
        app_config.validate(app_config.from_environment())
