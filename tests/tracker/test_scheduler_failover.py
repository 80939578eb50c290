"""Scheduler processes: one polls at a time; a killed leader or a killed lock connection hands over within seconds;
a scheduler gives up (status 1) when the database is gone for good, and stops within 5 s whatever an agency does."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from agency_mocks import create_app as create_mocks
from agency_mocks.server import serve_in_thread
from app import config as app_config
from app.processes.leader import LOCK_KEY, PostgresLeaderLock
from app.processes.scheduler import run_scheduler
from status_tracker.models import AgencyState
from tests.conftest import BACKENDS, direct_url

pytestmark = pytest.mark.slow  # several processes or minutes of simulated outage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mocks_url():
    base_url, stop = serve_in_thread(create_mocks({"seed": 7, "speed": 60}))
    yield base_url
    stop()


def start_scheduler(database_url: str, agency_url: str, log: Path, **settings: str) -> subprocess.Popen:
    direct = direct_url(database_url)  # the lock's own session bypasses pgbouncer
    env = {**os.environ, "SWM_DATABASE_URL": database_url,
           "SWM_LEADER_DATABASE_URL": "" if direct == database_url else direct, "SWM_AGENCY_URL": agency_url,
           "SWM_POLL_SECONDS": "0.3", "SWM_LOG_FORMAT": "json", "SWM_AGENCY_TIMEOUT": "2", **settings}
    return subprocess.Popen([sys.executable, "-m", "app.processes.cli", "scheduler"], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def pollers_seen(sessions) -> set[str]:
    with sessions() as session:
        return {s.last_poll_by for s in session.scalars(select(AgencyState)) if s.last_poll_by}


def wait_for(condition, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def test_one_scheduler_polls_and_a_standby_takes_over_when_it_dies(database_url, sessions, mocks_url, tmp_path):
    first = start_scheduler(database_url, mocks_url, tmp_path / "first.log")
    second = None
    try:
        first_id = f"{os.uname().nodename}:{first.pid}"
        wait_for(lambda: pollers_seen(sessions) == {first_id}, timeout=20)
        second = start_scheduler(database_url, mocks_url, tmp_path / "second.log")
        second_id = f"{os.uname().nodename}:{second.pid}"
        wait_for(lambda: "standing by" in (tmp_path / "second.log").read_text(), timeout=20)
        time.sleep(2)
        assert pollers_seen(sessions) == {first_id}, "the standby polled while the leader was alive"
        assert "is the leader" not in (tmp_path / "second.log").read_text()

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        handover = wait_for(lambda: pollers_seen(sessions) == {second_id}, timeout=15)
        assert "is the leader" in (tmp_path / "second.log").read_text()
        print(f"handover took {handover:.1f} s")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    assert second.returncode == 0, (tmp_path / "second.log").read_text()[-2000:]


# -- connection loss (PostgreSQL): the leader steps down and stands by again, it does not exit ---------------------


def log_records(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def lock_holder_pid(engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = :k"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ), {"k": LOCK_KEY}).scalar()


def terminate(engine, pid: int) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def stop_all(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def committed_cycles(path: Path) -> list[float]:
    """When this process committed a poll cycle (the poll cycle's log line follows its last commit)."""
    return [_seconds(r["time"]) for r in log_records(path) if r.get("message") == "poll cycle"]


def leadership_terms(path: Path) -> list[tuple[float, float]]:
    """[became leader, stepped down or stopped] per term, from one scheduler's log."""
    terms, start = [], None
    for record in log_records(path):
        if record.get("message") == "scheduler is the leader":
            start = _seconds(record["time"])
        elif record.get("message") in {"leader stepped down", "scheduler stopped"} and start is not None:
            terms.append((start, _seconds(record["time"])))
            start = None
    if start is not None:
        terms.append((start, float("inf")))
    return terms


def _seconds(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="advisory locks are PostgreSQL's")
def test_a_leader_whose_connection_is_killed_stands_by_again_and_never_two_poll_at_once(
        database_url, engine, sessions, mocks_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes: list[subprocess.Popen] = []
    try:
        processes.append(start_scheduler(database_url, mocks_url, logs[0]))
        wait_for(lambda: lock_holder_pid(engine) is not None and pollers_seen(sessions), timeout=30)
        processes.append(start_scheduler(database_url, mocks_url, logs[1]))
        wait_for(lambda: "standing by" in logs[1].read_text(), timeout=30)
        ids = {f"{os.uname().nodename}:{p.pid}": p for p in processes}

        for kill in range(3):
            holder = lock_holder_pid(engine)
            assert holder is not None
            with sessions.begin() as session:
                session.execute(update(AgencyState).values(last_poll_by=None))
            killed_at = time.monotonic()
            terminate(engine, holder)
            # Someone polls again (the same process or the standby) on a new lock connection.
            took = wait_for(lambda old=holder: len(pollers_seen(sessions)) == 1
                            and lock_holder_pid(engine) not in {None, old}, timeout=30)
            print(f"kill {kill + 1}: polling again after {time.monotonic() - killed_at:.1f} s ({took:.1f} s)")
            assert all(p.poll() is None for p in processes), "a scheduler exited after its connection was killed"
            assert pollers_seen(sessions) <= set(ids)
            time.sleep(1.5)
    finally:
        stop_all(*processes)
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log.read_text()[-3000:]
    assert sum("leader stepped down" in log.read_text() for log in logs) >= 1

    # Every committed cycle lies in a term of its process, and the spans of committed cycles of two terms of
    # different processes never overlap: one leader polls at a time.
    spans = []
    for index, log in enumerate(logs):
        terms = leadership_terms(log)
        for when in committed_cycles(log):
            assert any(start <= when <= end for start, end in terms), f"{log.name}: a cycle committed while standby"
        for start, end in terms:
            inside = [when for when in committed_cycles(log) if start <= when <= end]
            if inside:
                spans.append((min(inside), max(inside), index))
    spans.sort()
    for (_, end, who), (start, _, other) in itertools.pairwise(spans):
        if who != other:
            assert end <= start, f"two leaders committed poll cycles at once: {spans}"


# -- the database gone for good: the scheduler gives up with a failure status -------------------------------------


def test_a_scheduler_whose_database_is_gone_for_good_exits_with_a_failure(tmp_path, mocks_url):
    dead_port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://postgres@127.0.0.1:{dead_port}/nothing"
    log = tmp_path / "gone.log"
    process = start_scheduler(url, mocks_url, log, SWM_SCHEDULER_GIVE_UP_SECONDS="3")
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("still running: " + log.read_text()[-2000:]) from None
    assert process.returncode not in (0, None), log.read_text()[-2000:]
    assert "giving up" in log.read_text()


# -- stopping during a trickling agency: exit within 5 s, status 0 -------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TricklingAgency:
    """A real HTTP server that answers every request with headers and then one body byte every 0.5 s, forever."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = 0
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                self.requests += 1
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n")
                while not self.closed.wait(0.5):
                    conn.sendall(b" ")
            except OSError:
                return

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


def test_a_scheduler_stops_within_5_s_while_an_agency_trickles(database_url, tmp_path):
    agency = TricklingAgency()
    log = tmp_path / "trickle.log"
    process = start_scheduler(database_url, agency.url, log, SWM_AGENCY_TIMEOUT="10")
    try:
        wait_for(lambda: agency.requests >= 1, timeout=30)
        time.sleep(1.5)  # well inside the agency's answer
        assert process.poll() is None
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        finally:
            took = time.monotonic() - asked
            print(f"stopped {took:.1f} s after SIGTERM ({database_url.split(':')[0]})")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        agency.close()
    assert process.returncode == 0, log.read_text()[-3000:]
    assert took < 5, f"took {took:.1f} s to stop"
    # The request in flight ends at the stop event (the clients check it between chunks) or, where a read blocks
    # longer, is abandoned after the grace: either way nothing waits for the agency.


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="advisory locks are PostgreSQL's")
def test_a_leader_slow_to_notice_its_lost_lock_commits_nothing_once_another_leads(
        database_url, engine, sessions, mocks_url, tmp_path, monkeypatch):
    """The window between the server releasing the lock and the leader's next check, held open: nothing the old
    leader does in it may be committed once the new leader polls."""
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's")
    monkeypatch.setattr(PostgresLeaderLock, "held", lambda self: True)  # it never notices
    config = {**app_config.from_environment(), "DATABASE_URL": database_url,
              "LEADER_DATABASE_URL": direct_url(database_url), "AGENCY_URL": mocks_url,
              "POLL_SECONDS": 0.3, "AGENCY_TIMEOUT": 2.0}
    stop = threading.Event()
    old = threading.Thread(target=run_scheduler, args=(config,), kwargs={"on_change": None, "stop_event": stop},
                           daemon=True)
    old.start()
    old_id = f"{os.uname().nodename}:{os.getpid()}"
    new = None
    try:
        wait_for(lambda: pollers_seen(sessions) == {old_id}, timeout=30)
        new = start_scheduler(database_url, mocks_url, tmp_path / "new.log")
        new_id = f"{os.uname().nodename}:{new.pid}"
        wait_for(lambda: "standing by" in (tmp_path / "new.log").read_text(), timeout=30)
        terminate(engine, lock_holder_pid(engine))
        wait_for(lambda: new_id in pollers_seen(sessions), timeout=30)
        with sessions.begin() as session:
            session.execute(update(AgencyState).values(last_poll_by=None))
        time.sleep(3)  # ten of the old leader's poll intervals
        assert pollers_seen(sessions) == {new_id}, "the old leader committed poll cycles after the new one led"
    finally:
        stop.set()
        old.join(30)
        stop_all(new)
    assert new.returncode == 0
