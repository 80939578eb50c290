"""Two scheduler processes: one polls at a time; killing the leader hands over within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from agency_mocks import create_app as create_mocks
from agency_mocks.server import serve_in_thread
from status_tracker.models import AgencyState

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mocks_url():
    base_url, stop = serve_in_thread(create_mocks({"seed": 7, "speed": 60}))
    yield base_url
    stop()


def start_scheduler(database_url: str, agency_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SWM_DATABASE_URL": database_url, "SWM_AGENCY_URL": agency_url,
           "SWM_POLL_SECONDS": "0.3", "SWM_LOG_FORMAT": "json", "SWM_AGENCY_TIMEOUT": "2"}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "scheduler"], cwd=ROOT, env=env,
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
