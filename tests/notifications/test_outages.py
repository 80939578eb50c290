"""FCM outages with the real SDK against the mobile mock: 503s and a refused credential for five minutes of an
injected clock. Every push still arrives afterwards; the delivery log names what went wrong."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from notifications.dispatcher import Breaker, DispatchPolicy, dispatch_once
from notifications.models import OutboxMessage
from notifications.sending import AUTH_FAILED
from tests.notifications.conftest import fcm_token
from tests.notifications.test_crash_and_storm import delivered_pairs, expected_pairs, states

pytestmark = pytest.mark.slow  # several processes or minutes of simulated outage

OUTAGE = timedelta(minutes=5)
CEILING = DispatchPolicy(jitter=lambda ceiling: ceiling)  # the defaults, with predictable back-off


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def next_due(sessions) -> datetime | None:
    with sessions() as session:
        return session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.state == "pending"))


def ride_out(sessions, sender, live_mock, clock: Clock, fault: dict, breaker: Breaker | None) -> int:
    """Dispatch on the injected clock, jumping to each next due time (or the end of the breaker's pause), with
    `fault` on the mock for OUTAGE; then the outage ends and everything due is sent. Returns the rounds."""
    live_mock.faults(fault)
    ends = clock.now + OUTAGE
    faulty = True
    started = time.monotonic()
    for rounds in range(1, 5000):  # noqa: B007
        if faulty and clock.now >= ends:
            requests_delete(live_mock)
            faulty = False
        dispatch_once(sessions, sender, worker_id="outage", policy=CEILING, now=clock, breaker=breaker)
        due = next_due(sessions)
        if due is None:
            return rounds
        assert time.monotonic() - started < 120, states(sessions)
        if breaker is not None and breaker.open_until is not None:
            due = max(due, breaker.open_until)
        clock.now = max(clock.now + timedelta(milliseconds=1), due)
    raise AssertionError(f"not done after 5000 rounds: {states(sessions)}")


def requests_delete(live_mock) -> None:
    import requests

    requests.delete(f"{live_mock.base_url}/admin/faults", timeout=5).raise_for_status()


def twenty_pushes(pushes) -> None:
    devices = [pushes.device(fcm_token()) for _ in range(4)]
    for _ in range(5):
        for device in devices:
            pushes.push(device)


@pytest.mark.parametrize("paused", [False, True], ids=["rows-back-off", "breaker"])
def test_a_five_minute_503_outage_loses_no_push(sessions, pushes, fcm, live_mock, paused):
    twenty_pushes(pushes)
    clock = Clock()
    breaker = Breaker(CEILING) if paused else None
    ride_out(sessions, fcm, live_mock, clock, {"unavailable_rate": 1.0}, breaker)
    assert states(sessions) == {"sent": 20}
    assert set(delivered_pairs(live_mock)) == expected_pairs(sessions)
    codes = Counter(a.error_code for a in pushes.attempts() if a.outcome != "sent")
    assert set(codes) == {"UNAVAILABLE"} and codes["UNAVAILABLE"] >= 20
    tries = {r.attempts for r in pushes.rows()}
    if paused:  # the outage was FCM's, not the rows': only the successful try counts as theirs
        assert tries == {1} and breaker.ready
    else:
        assert min(tries) > 5  # each row backed off on its own (capped at 300 s, so it is soon sent after)
    print(f"\n503 for {OUTAGE}, {'breaker' if paused else 'no breaker'}: {len(pushes.attempts())} tries for 20 pushes")


@pytest.mark.parametrize("paused", [False, True], ids=["rows-back-off", "breaker"])
def test_a_five_minute_auth_outage_loses_no_push_and_is_named(sessions, pushes, fcm, live_mock, paused):
    twenty_pushes(pushes)
    clock = Clock()
    breaker = Breaker(CEILING) if paused else None
    if breaker is not None:
        dispatch_once(sessions, fcm, worker_id="outage", policy=CEILING, now=clock, breaker=breaker)  # sending
        assert breaker.ready and states(sessions) == {"sent": 20}
        twenty_pushes(pushes)
        clock.now = utcnow()  # the new pushes are all due (a loaded machine may have taken a second to write them)
    ride_out(sessions, fcm, live_mock, clock, {"refuse_tokens": True}, breaker)
    total = 40 if paused else 20
    assert states(sessions) == {"sent": total}
    assert set(delivered_pairs(live_mock)) == expected_pairs(sessions)
    codes = Counter(a.error_code for a in pushes.attempts() if a.outcome != "sent")
    assert set(codes) == {"AUTH_FAILED"}  # the delivery log the desk reads says what is wrong
    if paused:  # one batch failed for it; then the credential alone was probed until it worked again
        assert codes[AUTH_FAILED] == 20 and {r.attempts for r in pushes.rows()} == {1}
