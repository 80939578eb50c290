"""Nothing lost: `swm dispatcher` killed with SIGKILL again and again, and FCM answering with a storm of
503s and 429s. Every push arrives at least once; duplicates (which the phone drops) are counted."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mobile_mock.service_account import write_service_account
from notifications.dispatcher import DispatchPolicy, dispatch_once
from notifications.inbox import inbox
from notifications.models import Device, Notification, OutboxMessage

pytestmark = pytest.mark.slow  # several processes or minutes of simulated outage

ROOT = Path(__file__).resolve().parents[2]
ROWS_USERS, ROWS_DEVICES, ROWS_EVENTS = 10, 10, 100  # 10 users × 10 phones × 100 status changes = 10,000 pushes
KILLS = 20


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


def states(sessions) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())


def expected_pairs(sessions) -> set[tuple[str, str]]:
    """(device token, notification id): what must reach the phones, each at least once."""
    with sessions() as session:
        return {(token, public_id) for token, public_id in session.execute(
            select(Device.token, Notification.public_id)
            .join(OutboxMessage, OutboxMessage.device_id == Device.id)
            .join(Notification, Notification.id == OutboxMessage.notification_id))}


def delivered_pairs(live_mock) -> Counter[tuple[str, str]]:
    return Counter((d["token"], d["message"]["data"]["notification_id"]) for d in live_mock.deliveries())


def test_kill_9_at_twenty_random_points_loses_no_push(database_url, sessions, pushes, live_mock, tmp_path):
    pushes.bulk(ROWS_USERS, ROWS_DEVICES, ROWS_EVENTS)
    total = ROWS_USERS * ROWS_DEVICES * ROWS_EVENTS
    assert states(sessions) == {"pending": total}
    account = write_service_account(live_mock.service_account, tmp_path / "fcm-sa.json")
    # A short lease brings a killed worker's rows back quickly. Batches of 100: a kill re-sends at most the
    # batch in flight, so smaller batches keep the re-sends (and the test) short; 500 behaves the same, slower.
    env = {**os.environ, "SWM_DATABASE_URL": database_url, "SWM_FCM_SERVICE_ACCOUNT": str(account),
           "SWM_FCM_ENDPOINT": live_mock.base_url, "SWM_DISPATCH_LEASE_SECONDS": "2", "SWM_DISPATCH_BATCH": "100",
           "SWM_LOG_LEVEL": "WARNING"}
    log = tmp_path / "dispatcher.log"

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "app.processes.cli", "dispatcher"], cwd=ROOT, env=env,
                                stdout=log.open("a"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def delivered() -> int:
        return live_mock.state.stats.snapshot(per_token=False)["delivered"]

    rng = random.Random(20240501)
    # Kill points: when the phones have received so many pushes, plus a random moment more, so that the kills
    # land mid-batch (accepted by FCM, not yet recorded), while claiming, and while recording.
    thresholds = sorted(rng.sample(range(200, total - 200), KILLS))
    started = time.monotonic()
    process = start()
    kills = 0
    try:
        for threshold in thresholds:
            seen_at_start = delivered()
            target = max(threshold, seen_at_start + 1)  # this process got to send something first
            current = process
            wait_for(lambda t=target, p=current: delivered() >= t or p.poll() is not None, 60, f"{target} deliveries")
            time.sleep(rng.uniform(0, 0.4))
            assert process.poll() is None, f"the dispatcher exited by itself:\n{log.read_text()[-3000:]}"
            process.kill()  # SIGKILL: no cleanup, no last commit
            process.wait()
            kills += 1
            process = start()
        # Polled gently: this process also serves the mock, and every query here is CPU the mock does not get.
        wait_for(lambda: states(sessions).get("sent") == total, 120, "every outbox row sent", every=0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)
    seconds = time.monotonic() - started

    received = delivered_pairs(live_mock)
    expected = expected_pairs(sessions)
    duplicates = sum(received.values()) - len(received)
    print(f"\ncrash test ({sessions.kw['bind'].dialect.name}): {kills} kill -9s, {total} pushes, "
          f"{sum(received.values())} deliveries, {duplicates} duplicates, {seconds:.1f} s")
    assert kills >= KILLS
    assert set(received) == expected  # every push reached its phone, and nothing else did
    assert states(sessions) == {"sent": total}
    # However often a push went out, each user's inbox lists each notification once.
    with sessions() as session:
        for user_id in session.scalars(select(Notification.user_id).distinct()):
            listed = [n.public_id for n in inbox(session, user_id, after=0, before=None, limit=1_000_000)]
            assert len(listed) == len(set(listed)) == total // ROWS_USERS // ROWS_DEVICES
    errors = [line for line in log.read_text().splitlines() if '"level": "ERROR"' in line or "Traceback" in line]
    assert errors == [], "\n".join(errors[:5])


def test_a_storm_of_503_and_429_delays_pushes_but_loses_none(sessions, pushes, fcm, live_mock):
    pushes.bulk(3, 10, 10)  # 300 pushes
    retry_after = 1
    live_mock.faults({"seed": 11, "unavailable_rate": 0.30, "quota_exceeded_rate": 0.05, "retry_after": retry_after})
    policy = DispatchPolicy(base_delay=0.2, max_delay=2.0)  # short waits: the test is in real time
    started = time.monotonic()
    while states(sessions).get("sent", 0) < 300:
        assert time.monotonic() - started < 90, states(sessions)
        if dispatch_once(sessions, fcm, worker_id="storm", policy=policy).claimed == 0:
            time.sleep(0.05)
    seconds = time.monotonic() - started

    assert set(delivered_pairs(live_mock)) == expected_pairs(sessions)
    by_row = defaultdict(list)
    for attempt in pushes.attempts():
        by_row[attempt.outbox_id].append(attempt)
    codes = Counter(a.error_code for attempts in by_row.values() for a in attempts)
    after_429 = 0
    for attempts in by_row.values():
        assert attempts[-1].outcome == "sent" and all(a.outcome == "retry" for a in attempts[:-1])
        for previous, following in zip(attempts, attempts[1:], strict=False):
            assert following.attempted_at > previous.attempted_at
            if previous.error_code == "QUOTA_EXCEEDED":
                after_429 += 1
                assert following.attempted_at >= previous.attempted_at + timedelta(seconds=retry_after)
    print(f"\nstorm ({sessions.kw['bind'].dialect.name}): 300 pushes, {sum(codes.values())} attempts, "
          f"{codes['UNAVAILABLE']} × 503, {codes['QUOTA_EXCEEDED']} × 429 ({after_429} retried after Retry-After), "
          f"at most {max(len(a) for a in by_row.values())} attempts for one push, {seconds:.1f} s")
    assert codes["UNAVAILABLE"] > 50 and codes["QUOTA_EXCEEDED"] > 5 and after_429 == codes["QUOTA_EXCEEDED"]
