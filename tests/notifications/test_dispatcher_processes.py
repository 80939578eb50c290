"""Real `swm dispatcher` processes: two retiring the same dead token at once (PostgreSQL), and one started while
FCM refuses our credential (it stays up, says it is not ready, and sends once the credential works again)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import insert, select, text, update

from core.db import utcnow
from mobile_mock.service_account import write_service_account
from notifications.models import Device, Notification, OutboxMessage
from status_tracker.models import StatusEvent
from tests.notifications.conftest import _notification_row, fcm_token
from tests.notifications.test_crash_and_storm import delivered_pairs, expected_pairs, states, wait_for

pytestmark = pytest.mark.slow  # several processes or minutes of simulated outage

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dispatcher(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.processes.cli", "dispatcher"], cwd=ROOT, env=env,
                            stdout=log.open("a"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def environment(database_url: str, live_mock, tmp_path: Path, **more: str) -> dict[str, str]:
    account = write_service_account(live_mock.service_account, tmp_path / "fcm-sa.json")
    return {**os.environ, "SWM_DATABASE_URL": database_url, "SWM_FCM_SERVICE_ACCOUNT": str(account),
            "SWM_FCM_ENDPOINT": live_mock.base_url, "SWM_LOG_LEVEL": "INFO", **more}


def stop(*processes: subprocess.Popen) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        p.wait(timeout=30)


def ready(port: int) -> int | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code
    except requests.ConnectionError:
        return None


@pytest.mark.postgres
def test_two_dispatchers_retiring_the_same_dead_token_neither_deadlock_nor_resend(database_url, engine, sessions,
                                                                                  pushes, live_mock, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks, and several dispatchers, are PostgreSQL's")
    waves, batch = 3, 500  # per wave two full batches, one per dispatcher, each half for the same dead token
    dead_token = fcm_token()  # one per wave, this plus the wave's number: once retired, a device stays retired
    live_mock.faults({"tokens": {dead_token + str(i): "UNREGISTERED" for i in range(waves)}})
    env = environment(database_url, live_mock, tmp_path, SWM_DISPATCH_BATCH=str(batch),
                      SWM_DISPATCH_LEASE_SECONDS="5")
    log = tmp_path / "dispatchers.log"
    notes = notifications(sessions, pushes, batch)
    wave_rows = [held_rows(sessions, notes, pushes.device(dead_token + str(w)), pushes.device(fcm_token()))
                 for w in range(waves)]
    processes = [dispatcher(env, log), dispatcher(env, log)]
    try:
        wait_for(lambda: log.read_text().count("dispatcher started") >= 2, 60, "both dispatchers up", every=0.1)
        for rows in wave_rows:
            release_to_both(engine, rows)
            wait_for(lambda r=rows: not set(row_states(sessions, r)) & {"pending", "held"}, 120,
                     "the wave sent or cancelled", every=0.2)
        time.sleep(6)  # a rolled-back batch would go out again once its 5 s lease ran out
    finally:
        stop(*processes)
    text_log = log.read_text()
    received = delivered_pairs(live_mock)
    duplicates = sum(received.values()) - len(received)
    print(f"\ntwo dispatchers, {waves} waves of 2 × {batch}: {text_log.count('deadlock detected')} deadlocks, "
          f"{duplicates} duplicates")
    assert "deadlock detected" not in text_log
    assert duplicates == 0, Counter(received.values())
    assert set(received) == {pair for pair in expected_pairs(sessions) if not pair[0].startswith(dead_token)}
    assert states(sessions) == {"sent": waves * batch, "cancelled": waves * batch}
    with sessions() as session:
        assert not any(session.scalars(select(Device.active).where(Device.token.startswith(dead_token))))


def notifications(sessions, pushes, count: int) -> list[int]:
    """`count` notifications of the test user, one per status event, inserted in bulk."""
    events = [pushes.event() for _ in range(count)]
    with sessions.begin() as session:
        stored = {e.id: e for e in session.scalars(select(StatusEvent).where(StatusEvent.id.in_(events)))}
        rows = [_notification_row(stored[e], pushes.user_id, "zh-CN") for e in events]
        return list(session.scalars(insert(Notification).returning(Notification.id), rows))


def held_rows(sessions, notes: list[int], dead: int, alive: int) -> list[int]:
    """Each notification to both devices, held (not due) until released; claimed in the order dead, alive, …"""
    now = utcnow()
    with sessions.begin() as session:
        events = dict(session.execute(select(Notification.id, Notification.event_id)
                                      .where(Notification.id.in_(notes))).all())
        rows = [{"notification_id": n, "event_id": events[n], "device_id": d, "state": "held", "attempts": 0,
                 "next_attempt_at": now - timedelta(seconds=1) + timedelta(microseconds=2 * i + j),
                 "created_at": now} for i, n in enumerate(notes) for j, d in enumerate((dead, alive))]
        return list(session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), rows))


def row_states(sessions, ids: list[int]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.state).where(OutboxMessage.id.in_(ids))))


def release_to_both(engine, rows: list[int]) -> None:
    """Make the rows due while both dispatchers wait for the outbox table: they claim and send side by side."""
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"))
        conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(rows)).values(state="pending"))
        deadline = time.monotonic() + 30
        while conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'outbox'::regclass"
                                )).scalar_one() < 2:
            assert time.monotonic() < deadline, "the dispatchers never queued for the outbox"
            time.sleep(0.02)
        conn.commit()


def test_a_dispatcher_started_while_the_credential_is_refused_waits_then_sends(database_url, pushes, live_mock,
                                                                                tmp_path):
    ids = [pushes.push(pushes.device(fcm_token())) for _ in range(5)]
    live_mock.faults({"refuse_tokens": True})
    port = free_port()
    env = environment(database_url, live_mock, tmp_path, SWM_DISPATCH_METRICS_PORT=str(port))
    log = tmp_path / "dispatcher.log"
    process = dispatcher(env, log)
    try:
        wait_for(lambda: ready(port) == 503 or process.poll() is not None, 60, "the readiness endpoint", every=0.1)
        time.sleep(3)  # a while into the outage it is still up, still not ready, and has sent nothing
        assert process.poll() is None, log.read_text()[-3000:]
        assert ready(port) == 503
        assert requests.get(f"http://127.0.0.1:{port}/ready", timeout=2).json()["reason"] == "AUTH_FAILED"
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        assert 'swm_dispatch_auth_failures_total' in metrics and "swm_dispatch_ready 0.0" in metrics
        assert live_mock.stats()["delivered"] == 0
        assert {pushes.row(i).state for i in ids} == {"pending"}

        requests.delete(f"{live_mock.base_url}/admin/faults", timeout=5).raise_for_status()  # the key works again
        wait_for(lambda: {pushes.row(i).state for i in ids} == {"sent"}, 90, "every push sent", every=0.2)
        wait_for(lambda: ready(port) == 200, 10, "ready", every=0.1)
    finally:
        stop(process)
    assert live_mock.stats()["delivered"] == 5
    assert '"level": "ERROR"' not in log.read_text() and "Traceback" not in log.read_text()
