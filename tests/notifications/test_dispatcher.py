"""The outbox dispatcher with a fake sender: what each FCM answer does to the outbox, leases, retries."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from core.db import utcnow
from notifications.dispatcher import (
    Breaker,
    DispatchPolicy,
    claim,
    dead_letter_unclaimed,
    dispatch_once,
    full_jitter,
    record_outcomes,
)
from notifications.messages import TTL_SECONDS, build_push
from notifications.models import Notification
from notifications.sending import AUTH_FAILED, SendOutcome
from tests.notifications.fakes import FakeSender

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "api_spec" / "push_payload.schema.json").read_text())
CEILING = DispatchPolicy(jitter=lambda ceiling: ceiling)  # the top of every jitter range: predictable delays


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake() -> FakeSender:
    return FakeSender()


def dispatch(sessions, fake, clock=utcnow, policy=CEILING):
    return dispatch_once(sessions, fake, worker_id="test", policy=policy, now=clock)


def test_a_due_message_is_sent_once_and_recorded(sessions, pushes, fake):
    device = pushes.device()
    outbox_id = pushes.push(device)
    result = dispatch(sessions, fake)
    assert (result.claimed, result.sent) == (1, 1)
    row = pushes.row(outbox_id)
    assert row.state == "sent" and row.sent_at is not None and row.leased_until is None and row.attempts == 1
    assert row.fcm_message_id == "projects/demo-swm/messages/fake:1"
    [attempt] = pushes.attempts(outbox_id)
    assert (attempt.outcome, attempt.error_code, attempt.fcm_message_id) == ("sent", None, row.fcm_message_id)
    assert dispatch(sessions, fake).claimed == 0 and len(fake.sent) == 1


def test_the_message_is_the_notification_as_build_push_makes_it(sessions, pushes, fake):
    device = pushes.device(token="phone-token-1")
    notification_id = pushes.notification()
    pushes.outbox(notification_id, device)
    dispatch(sessions, fake)
    with sessions() as session:
        note = session.get(Notification, notification_id)
        expected = build_push("phone-token-1", note.title, note.body, note.data, urgent=note.urgent)
    assert fake.sent == [expected]
    assert fake.sent[0]["data"]["notification_id"] == note.public_id  # what the phone drops duplicates by


def strict_format_checker() -> FormatChecker:
    """jsonschema checks `date-time` only with an optional package; check it here (RFC 3339, with offset)."""
    checker = Draft202012Validator.FORMAT_CHECKER

    checks = FormatChecker(formats=())
    for name in checker.checkers:
        checks.checkers[name] = checker.checkers[name]

    @checks.checks("date-time", raises=ValueError)
    def rfc3339(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parsed = datetime.fromisoformat(value)
        return "T" in value.upper() and parsed.tzinfo is not None

    return checks


def test_every_message_sent_matches_the_push_payload_schema(sessions, pushes, fake):
    validator = Draft202012Validator(SCHEMA, format_checker=strict_format_checker())
    devices = [pushes.device(platform=p) for p in ("android", "ios", "web")]
    with sessions.begin() as session:
        english = pushes.new_user(session, locale="en")
    english_device = pushes.device(user_id=english)
    for code in ("C", "P", "E", "J"):  # urgent, milestone, terminal, detail
        event = pushes.event(code)
        note = pushes.notification(event)
        for device in devices:
            pushes.outbox(note, device)
        pushes.outbox(pushes.notification(event, user_id=english, lang="en"), english_device)
    dispatch(sessions, fake)
    assert len(fake.sent) == 16
    for message in fake.sent:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(message)]
        assert errors == [], errors
    assert {m["android"]["priority"] for m in fake.sent} == {"high", "normal"}
    with pytest.raises(AssertionError):  # the checker does check: a naive time is refused
        bad = fake.sent[0] | {"data": fake.sent[0]["data"] | {"agency_time": "2024-01-01 10:00"}}
        assert list(validator.iter_errors(bad)) == []


def test_retry_waits_at_least_as_long_as_fcm_says(sessions, pushes, fake, clock):
    device_token = "busy-phone"
    outbox_id = pushes.push(pushes.device(token=device_token))
    fake.script(device_token, SendOutcome.retry("QUOTA_EXCEEDED", retry_after=30))
    policy = DispatchPolicy(jitter=lambda ceiling: 0.0)  # backoff alone would retry at once
    result = dispatch(sessions, fake, clock, policy)
    row = pushes.row(outbox_id)
    assert result.retried == 1 and row.state == "pending" and row.attempts == 1 and row.leased_until is None
    assert row.next_attempt_at >= clock.now + timedelta(seconds=30)
    assert row.last_error == "QUOTA_EXCEEDED"
    clock.advance(29.9)
    assert dispatch(sessions, fake, clock, policy).claimed == 0
    clock.advance(0.2)
    assert dispatch(sessions, fake, clock, policy).sent == 1
    assert [a.outcome for a in pushes.attempts(outbox_id)] == ["retry", "sent"]


def test_backoff_doubles_from_one_second_and_is_capped():
    policy = DispatchPolicy(base_delay=1.0, max_delay=300.0, jitter=lambda ceiling: ceiling)
    assert [policy.retry_delay(n, None) for n in range(1, 12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert policy.retry_delay(2, retry_after=10.0) == 10.0  # Retry-After wins when it is longer
    assert policy.retry_delay(9, retry_after=10.0) == 256.0
    jittered = DispatchPolicy(jitter=full_jitter)
    delays = [jittered.retry_delay(5, None) for _ in range(200)]
    assert all(0 <= d <= 16 for d in delays) and len(set(delays)) > 100  # spread out, never over the ceiling


def test_retries_back_off_in_the_outbox_until_the_retry_horizon_then_dead_letter(sessions, pushes, fake, clock):
    token = "flaky-phone"
    outbox_id = pushes.push(pushes.device(token=token))
    fake.always(token, SendOutcome.retry("UNAVAILABLE"))
    policy = DispatchPolicy(base_delay=1.0, max_delay=8.0, retry_hours=1 / 60, jitter=lambda ceiling: ceiling)
    give_up = pushes.row(outbox_id).created_at + timedelta(minutes=1)
    waits = []
    while (result := dispatch(sessions, fake, clock, policy)).retried:
        row = pushes.row(outbox_id)
        waits.append(round((row.next_attempt_at - clock.now).total_seconds(), 3))
        clock.now = row.next_attempt_at
    assert waits[:9] == [1, 2, 4, 8, 8, 8, 8, 8, 8] and len(waits) == 10  # 55 s, then the last try at 60 s
    assert clock.now == give_up  # no try is put off beyond the horizon
    row = pushes.row(outbox_id)
    assert result.dead_lettered == 1 and row.state == "dead" and row.attempts == 11
    assert row.last_error == "UNAVAILABLE" and row.leased_until is None
    assert [a.outcome for a in pushes.attempts(outbox_id)] == ["retry"] * 11
    clock.advance(3600)
    assert dispatch(sessions, fake, clock, policy).claimed == 0  # a dead letter is never sent again


def test_the_retry_horizon_never_outlasts_the_ttl_of_the_push():
    assert DispatchPolicy().horizon == timedelta(hours=24)
    assert DispatchPolicy(retry_hours=1000).horizon == timedelta(seconds=TTL_SECONDS) == timedelta(days=7)


def test_a_refused_message_is_dead_lettered_at_once(sessions, pushes, fake):
    token = "phone"
    outbox_id = pushes.push(pushes.device(token=token))
    fake.script(token, SendOutcome.failed("INVALID_ARGUMENT"))
    result = dispatch(sessions, fake)
    row = pushes.row(outbox_id)
    assert result.dead_lettered == 1 and (row.state, row.attempts, row.last_error) == ("dead", 1, "INVALID_ARGUMENT")
    [attempt] = pushes.attempts(outbox_id)
    assert (attempt.outcome, attempt.error_code) == ("failed", "INVALID_ARGUMENT")


@pytest.mark.parametrize("code", ["UNREGISTERED", "SENDER_ID_MISMATCH"])
def test_a_dead_token_deactivates_the_device_and_cancels_what_waits_for_it(sessions, pushes, fake, clock, code):
    gone, other = pushes.device(token="uninstalled"), pushes.device(token="still-here")
    already_sent = pushes.push(gone)
    dispatch(sessions, fake, clock)
    first = pushes.push(gone)
    later = pushes.push(gone, next_attempt_at=clock.now + timedelta(hours=1))  # not due yet
    held = pushes.push(gone, state="held")  # quiet hours
    elsewhere = pushes.push(other, next_attempt_at=clock.now + timedelta(hours=1))
    fake.script("uninstalled", SendOutcome.dead_token(code))
    result = dispatch(sessions, fake, clock)
    assert (result.dead_tokens, result.cancelled) == (1, 3)
    assert not pushes.active(gone) and pushes.active(other)
    states = {i: (pushes.row(i).state, pushes.row(i).last_error) for i in (first, later, held, elsewhere, already_sent)}
    assert states[first] == ("cancelled", code)
    assert states[later][0] == states[held][0] == "cancelled"
    assert states[elsewhere] == ("pending", None) and states[already_sent] == ("sent", None)
    assert [(a.outcome, a.error_code) for a in pushes.attempts(first)] == [("dead_token", code)]
    clock.advance(7200)
    assert dispatch(sessions, fake, clock).claimed == 1  # only the other device's row


def test_rows_of_an_inactive_device_are_cancelled_not_sent(sessions, pushes, fake):
    outbox_id = pushes.push(pushes.device(active=False))
    assert dispatch(sessions, fake).claimed == 0
    assert pushes.row(outbox_id).state == "cancelled" and fake.sent == []


def test_only_due_pending_rows_are_claimed(sessions, pushes, fake, clock):
    device = pushes.device()
    due = pushes.push(device)
    pushes.push(device, next_attempt_at=clock.now + timedelta(minutes=5))
    pushes.push(device, state="held")
    pushes.push(device, state="dead")
    assert [c.outbox_id for c in claim(sessions, "w1", now=clock.now)] == [due]


def test_rows_left_waiting_beyond_the_claims_reach_are_dead_lettered_by_housekeeping(sessions, pushes, clock):
    # The claim looks back the retry horizon and a day (on PostgreSQL: only the outbox's last few daily
    # partitions); a row older than that, left pending while no dispatcher ran, gets its dead letter here.
    device = pushes.device()
    policy = DispatchPolicy(retry_hours=24)
    stale = pushes.push(device, created_at=clock.now - timedelta(hours=49))
    late = pushes.push(device, created_at=clock.now - timedelta(hours=47))  # still the claim's to dead-letter
    assert [c.outbox_id for c in claim(sessions, "w1", now=clock.now, horizon=policy.horizon)] == [late]
    with sessions.begin() as session:
        assert dead_letter_unclaimed(session, now=clock.now, horizon=policy.horizon) == 1
    assert pushes.row(stale).state == "dead" and pushes.row(late).state == "pending"


def test_a_leased_row_is_not_claimed_twice(sessions, pushes, clock):
    device = pushes.device()
    ids = [pushes.push(device) for _ in range(3)]
    first = claim(sessions, "w1", limit=2, lease_seconds=60, now=clock.now)
    second = claim(sessions, "w2", limit=2, lease_seconds=60, now=clock.now)
    assert [c.outbox_id for c in first] == ids[:2] and [c.outbox_id for c in second] == ids[2:]
    clock.advance(59)
    assert claim(sessions, "w3", now=clock.now) == []
    assert all(pushes.row(i).leased_until == clock.now + timedelta(seconds=1) for i in ids[:2])


def test_an_expired_lease_is_claimed_again_and_the_late_worker_cannot_undo_it(sessions, pushes, fake, clock):
    device = pushes.device(token="phone")
    outbox_id = pushes.push(device)
    crashed = claim(sessions, "w1", lease_seconds=60, now=clock.now)  # …and never comes back
    clock.advance(61)
    again = claim(sessions, "w2", lease_seconds=60, now=clock.now)
    assert [c.outbox_id for c in again] == [c.outbox_id for c in crashed] == [outbox_id]
    assert again[0].leased_until > crashed[0].leased_until
    # The first worker wakes up late with a failure: the row is no longer its to judge.
    late = record_outcomes(sessions, crashed, [SendOutcome.failed()], CEILING, attempted_at=clock.now, now=clock.now)
    assert late.dead_lettered == 0 and pushes.row(outbox_id).state == "pending"
    done = record_outcomes(sessions, again, [SendOutcome.sent("m-2")], CEILING, attempted_at=clock.now, now=clock.now)
    assert done.sent == 1 and pushes.row(outbox_id).fcm_message_id == "m-2"
    assert [a.outcome for a in pushes.attempts(outbox_id)] == ["failed", "sent"]  # both attempts are on record


def test_a_late_acceptance_still_counts_as_sent(sessions, pushes, clock):
    outbox_id = pushes.push(pushes.device())
    slow = claim(sessions, "w1", lease_seconds=1, now=clock.now)
    clock.advance(5)  # the lease ran out while FCM was answering; nobody claimed the row again
    result = record_outcomes(sessions, slow, [SendOutcome.sent("m-1")], CEILING, attempted_at=clock.now, now=clock.now)
    assert result.sent == 1 and pushes.row(outbox_id).state == "sent"


def test_a_sender_that_breaks_costs_an_attempt_not_the_message(sessions, pushes, clock):
    class Broken:
        def send(self, messages):
            raise ConnectionError("boom")

    outbox_id = pushes.push(pushes.device())
    result = dispatch(sessions, Broken(), clock)
    row = pushes.row(outbox_id)
    assert result.retried == 1 and (row.state, row.attempts, row.last_error) == ("pending", 1, "ConnectionError")


def test_a_batch_records_every_outcome_in_one_go(sessions, pushes, fake, clock):
    tokens = {kind: f"phone-{kind}" for kind in ("ok", "retry", "failed", "dead")}
    ids = {kind: pushes.push(pushes.device(token=token)) for kind, token in tokens.items()}
    fake.script(tokens["retry"], SendOutcome.retry("INTERNAL"))
    fake.script(tokens["failed"], SendOutcome.failed("INVALID_ARGUMENT"))
    fake.script(tokens["dead"], SendOutcome.dead_token("UNREGISTERED"))
    result = dispatch(sessions, fake, clock)
    assert (result.claimed, result.sent, result.retried, result.dead_lettered, result.dead_tokens) == (4, 1, 1, 1, 1)
    assert result.error_codes == {"INTERNAL": 1, "INVALID_ARGUMENT": 1, "UNREGISTERED": 1}
    assert {k: pushes.row(i).state for k, i in ids.items()} == {
        "ok": "sent", "retry": "pending", "failed": "dead", "dead": "cancelled"}
    assert fake.calls == [4]


@pytest.mark.postgres
def test_concurrent_workers_claim_disjoint_rows(sessions, pushes, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one dispatcher (no row locks to skip)")
    device = pushes.device()
    note = pushes.notification()
    ids = {pushes.outbox(note, device)} | {pushes.push(device) for _ in range(199)}
    claimed: list[list[int]] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        mine = []
        while batch := claim(sessions, f"w{n}", limit=7):
            mine += [c.outbox_id for c in batch]
        claimed.append(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for mine in claimed for i in mine]
    assert sorted(everything) == sorted(ids)  # each row once, none twice
    assert sum(1 for mine in claimed if mine) > 1


BREAKER = DispatchPolicy(jitter=lambda ceiling: ceiling, breaker_min_batch=4, pause_base=2.0, pause_max=8.0,
                         probe_size=2)


def test_an_outage_pauses_sending_instead_of_spending_every_rows_tries(sessions, pushes, fake, clock):
    tokens = [f"phone-{n}" for n in range(6)]
    ids = [pushes.push(pushes.device(token=t)) for t in tokens]
    for t in tokens:
        fake.always(t, SendOutcome.retry("UNAVAILABLE"))
    breaker = Breaker(BREAKER)

    def run():
        return dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)

    first = run()  # the credential is checked first, then a full batch: all six fail alike
    assert fake.auth_checks == 1 and fake.calls == [6]
    assert first.paused_for == "UNAVAILABLE" and not breaker.ready
    assert breaker.open_until == clock.now + timedelta(seconds=2)
    rows = [pushes.row(i) for i in ids]
    # Not the rows' own failure: no try counted, due again when the pause ends (not after their own back-off).
    assert {(r.state, r.attempts, r.next_attempt_at) for r in rows} == {("pending", 0, breaker.open_until)}
    assert [(a.outcome, a.error_code) for a in pushes.attempts(ids[0])] == [("retry", "UNAVAILABLE")]

    clock.advance(1)
    assert run().claimed == 0 and fake.calls == [6]  # paused: nothing claimed, nothing sent
    clock.advance(1)
    assert run().claimed == 2 and fake.calls == [6, 2]  # the probe: a small batch, which fails again
    assert breaker.open_until == clock.now + timedelta(seconds=4)  # a longer cool-off each time
    clock.advance(4)
    run()
    clock.advance(8)
    run()
    assert breaker.open_until == clock.now + timedelta(seconds=8)  # capped
    for t in tokens:
        fake.always(t, SendOutcome.sent("m"))
    clock.advance(8)
    assert run().sent == 2 and breaker.ready  # the probe went through: closed
    assert run().sent == 4 and fake.calls[-1] == 4  # full batches again
    assert {(r.state, r.attempts) for r in (pushes.row(i) for i in ids)} == {("sent", 1)}


def test_a_few_failures_or_a_small_batch_do_not_pause_sending(sessions, pushes, fake, clock):
    breaker = Breaker(BREAKER)
    ids = [pushes.push(pushes.device(token=f"phone-{n}")) for n in range(5)]
    fake.script("phone-0", SendOutcome.retry("UNAVAILABLE"))
    fake.script("phone-1", SendOutcome.retry("UNAVAILABLE"))
    result = dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)
    assert result.paused_for is None and breaker.ready
    assert pushes.row(ids[0]).attempts == 1  # its own failure: counted, its own back-off
    assert pushes.row(ids[0]).next_attempt_at == clock.now + timedelta(seconds=1)
    clock.advance(1)
    result = dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)
    assert result.sent == 2 and breaker.ready


def test_a_refused_credential_pauses_and_is_probed_without_touching_the_outbox(sessions, pushes, fake, clock):
    ids = [pushes.push(pushes.device(token=f"phone-{n}")) for n in range(3)]
    breaker = Breaker(BREAKER)
    fake.auth_error = AUTH_FAILED
    result = dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)
    assert (result.paused_for, result.auth_failures, result.claimed) == (AUTH_FAILED, 1, 0)
    assert breaker.reason == AUTH_FAILED and fake.calls == []
    clock.advance(2)
    dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)
    assert fake.auth_checks == 2 and fake.calls == [] and pushes.attempts() == []
    fake.auth_error = None
    clock.advance(4)
    result = dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)
    assert result.sent == 3 and breaker.ready and {pushes.row(i).state for i in ids} == {"sent"}


def test_a_credential_that_fails_mid_batch_is_named_and_pauses_at_once(sessions, pushes, fake, clock):
    outbox_id = pushes.push(pushes.device(token="phone"))
    breaker = Breaker(BREAKER)
    breaker.close()  # sending, credential checked
    fake.auth_error = AUTH_FAILED
    result = dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker)
    assert result.paused_for == AUTH_FAILED and result.error_codes == {AUTH_FAILED: 1}  # even a batch of one
    row = pushes.row(outbox_id)
    assert (row.state, row.attempts, row.last_error) == ("pending", 0, AUTH_FAILED)
    assert [(a.outcome, a.error_code) for a in pushes.attempts(outbox_id)] == [("retry", AUTH_FAILED)]


def test_a_paused_row_still_gives_up_at_its_horizon(sessions, pushes, fake, clock):
    outbox_id = pushes.push(pushes.device(token="phone"))
    breaker = Breaker(BREAKER)
    breaker.close()
    fake.always("phone", SendOutcome.retry("UNAVAILABLE"))
    policy = DispatchPolicy(retry_hours=1 / 3600, breaker_min_batch=1, pause_base=60)  # a one-second horizon
    dispatch_once(sessions, fake, worker_id="test", policy=policy, now=clock, breaker=breaker)
    row = pushes.row(outbox_id)
    assert row.state == "pending" and row.next_attempt_at == row.created_at + timedelta(seconds=1)
    clock.now = row.next_attempt_at
    breaker.close()
    dispatch_once(sessions, fake, worker_id="test", policy=policy, now=clock, breaker=breaker)
    assert pushes.row(outbox_id).state == "dead"


def test_a_pause_with_nothing_left_to_probe_with_ends_ready(sessions, pushes, fake, clock):
    breaker = Breaker(BREAKER)
    breaker.close()
    breaker.trip("UNAVAILABLE", clock.now)
    clock.advance(2)
    assert dispatch_once(sessions, fake, worker_id="test", policy=BREAKER, now=clock, breaker=breaker).claimed == 0
    assert breaker.ready
