"""The dispatcher as operators run it: configuration, the worker loop, the scheduler job, the metrics."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import REGISTRY

from app import config as app_config
from app.processes.dispatch_worker import DispatchJob, run_dispatcher
from mobile_mock.service_account import write_service_account
from notifications.sending import SendOutcome
from tests.notifications.fakes import FakeSender


def test_a_mock_endpoint_is_refused_in_production(monkeypatch):
    for name, value in {"SWM_ENV": "production", "SWM_SECRET_KEY": "s" * 40,
                        "SWM_DATABASE_URL": "postgresql+psycopg://db/swm",
                        "SWM_FCM_ENDPOINT": "http://127.0.0.1:8102"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="SWM_FCM_ENDPOINT"):
        app_config.validate(app_config.from_environment())
    monkeypatch.delenv("SWM_FCM_ENDPOINT")
    config = app_config.from_environment()
    app_config.validate(config)
    assert (config["DISPATCH_BATCH"], config["DISPATCH_LEASE_SECONDS"], config["PUSH_RETRY_HOURS"]) == (500, 60, 24)


def test_a_batch_over_fcms_limit_is_refused(monkeypatch):
    monkeypatch.setenv("SWM_DISPATCH_BATCH", "501")
    with pytest.raises(RuntimeError, match="SWM_DISPATCH_BATCH"):
        app_config.validate(app_config.from_environment())


@pytest.mark.parametrize("hours", ["0", "169"])
def test_a_retry_horizon_beyond_the_ttl_of_a_push_is_refused(monkeypatch, hours):
    monkeypatch.setenv("SWM_PUSH_RETRY_HOURS", hours)
    with pytest.raises(RuntimeError, match="SWM_PUSH_RETRY_HOURS must be more than 0 and at most 168"):
        app_config.validate(app_config.from_environment())


def test_the_retired_attempt_count_is_refused_with_what_replaced_it(monkeypatch):
    monkeypatch.setenv("SWM_DISPATCH_MAX_ATTEMPTS", "8")
    with pytest.raises(RuntimeError, match="SWM_DISPATCH_MAX_ATTEMPTS is retired.*SWM_PUSH_RETRY_HOURS"):
        app_config.validate(app_config.from_environment())


def test_the_worker_sends_until_told_to_stop(database_url, pushes, live_mock, tmp_path):
    ids = [pushes.push(pushes.device()) for _ in range(3)]
    config = app_config.from_environment() | {
        "DATABASE_URL": database_url, "FCM_ENDPOINT": live_mock.base_url,
        "FCM_SERVICE_ACCOUNT": str(write_service_account(live_mock.service_account, tmp_path / "sa.json"))}
    stop = threading.Event()
    worker = threading.Thread(target=run_dispatcher, args=(config, stop))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while {pushes.row(i).state for i in ids} != {"sent"}:
            assert time.monotonic() < deadline and worker.is_alive()
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert live_mock.stats()["delivered"] == 3


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_the_scheduler_job_drains_what_is_due_and_counts_it(sessions, pushes):
    fake = FakeSender()
    dead, flaky = pushes.device(token="gone"), pushes.device(token="flaky")
    ids = [pushes.push(pushes.device()) for _ in range(4)] + [pushes.push(dead), pushes.push(flaky)]
    fake.always("gone", SendOutcome.dead_token())
    fake.always("flaky", SendOutcome.retry("QUOTA_EXCEEDED", retry_after=60))  # not due again during the job
    before = {n: counter(n) for n in ("swm_dispatch_sent_total", "swm_dispatch_retried_total",
                                      "swm_dispatch_dead_tokens_total")}
    job = DispatchJob(app_config.from_environment() | {"DISPATCH_BATCH": 2}, sessions=sessions, sender=fake)
    result = job()
    job.close()
    assert fake.calls == [2, 2, 2]  # batch after batch until one came back short… or nothing was left
    assert (result.sent, result.retried, result.dead_tokens) == (4, 1, 1)
    assert counter("swm_dispatch_sent_total") - before["swm_dispatch_sent_total"] == 4
    assert counter("swm_dispatch_retried_total") - before["swm_dispatch_retried_total"] == 1
    assert counter("swm_dispatch_dead_tokens_total") - before["swm_dispatch_dead_tokens_total"] == 1
    assert sorted(pushes.row(i).state for i in ids) == ["cancelled", "pending", "sent", "sent", "sent", "sent"]


def test_operators_see_dead_letters_and_the_backlog_in_metrics(client, pushes):
    device = pushes.device()
    pushes.push(device, state="dead", last_error="INVALID_ARGUMENT")
    pushes.push(device)
    pushes.push(device, state="sent")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'swm_outbox_messages{state="dead"} 1.0' in text
    assert 'swm_outbox_messages{state="pending"} 1.0' in text
    assert 'swm_outbox_messages{state="held"} 0.0' in text
    [waiting] = [float(line.split()[1]) for line in text.splitlines()
                 if line.startswith("swm_outbox_oldest_due_seconds ")]
    assert 0.5 < waiting < 60  # the pending push has been due for a second (set up that way)


def test_retry_dead_requeues_dead_letters_after_an_incident(app, sessions, pushes):
    from datetime import timedelta

    from app.processes.cli import outbox_group
    from core.db import utcnow
    from notifications.dispatcher import dispatch_once
    from notifications.models import DeliveryAttempt

    now = utcnow()
    incident = now - timedelta(hours=30)
    device = pushes.device(token="back-again")
    before = pushes.push(device, state="dead", last_error="UNAVAILABLE", attempts=9)
    during = pushes.push(device, state="dead", last_error="UNAVAILABLE", attempts=40,
                         created_at=now - timedelta(hours=31))
    gone = pushes.push(pushes.device(active=False), state="dead", last_error="UNAVAILABLE")
    sent = pushes.push(device, state="sent")
    with sessions.begin() as session:
        session.add_all([
            DeliveryAttempt(outbox_id=before, attempted_at=incident - timedelta(days=2), outcome="retry",
                            error_code="UNAVAILABLE"),
            DeliveryAttempt(outbox_id=during, attempted_at=incident + timedelta(hours=1), outcome="retry",
                            error_code="UNAVAILABLE"),
            DeliveryAttempt(outbox_id=gone, attempted_at=incident + timedelta(hours=1), outcome="retry",
                            error_code="UNAVAILABLE"),
        ])
    runner = app.test_cli_runner()

    bad = runner.invoke(outbox_group, ["retry-dead", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.output and "ISO 8601" in bad.output

    result = runner.invoke(outbox_group, ["retry-dead", "--since", incident.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "re-queued 1 dead letter"
    row = pushes.row(during)
    assert (row.state, row.attempts, row.last_error, row.leased_until) == ("pending", 0, None, None)
    assert row.created_at >= now  # a fresh retry horizon: it was 31 hours old, past the 24-hour one
    assert [pushes.row(i).state for i in (before, gone, sent)] == ["dead", "dead", "sent"]

    fake = FakeSender()
    assert dispatch_once(sessions, fake, worker_id="test").sent == 1 and pushes.row(during).state == "sent"

    result = runner.invoke(outbox_group, ["retry-dead"])  # without --since: every dead letter (of a live device)
    assert result.output.strip() == "re-queued 1 dead letter" and pushes.row(before).state == "pending"
    assert pushes.row(gone).state == "dead"
