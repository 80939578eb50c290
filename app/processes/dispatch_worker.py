"""The push dispatcher, composed from configuration: `swm dispatcher` (a worker process), or a scheduler job.

Run as many worker processes as needed on PostgreSQL (they claim rows with SKIP LOCKED). On SQLite run
exactly one dispatcher in all: either one `swm dispatcher` or the scheduler's job, not both.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.metrics import record_dispatch, serve_dispatcher_http, watch_readiness
from core.db import make_engine
from notifications.dispatcher import Breaker, DispatchPolicy, DispatchResult, drain, run_loop
from notifications.fcm import FcmSender

log = logging.getLogger(__name__)


def worker_id() -> str:
    """This process as its rows name it (a dispatcher's claims, the scheduler's polls): host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def policy_from(config: dict[str, Any]) -> DispatchPolicy:
    return DispatchPolicy(batch_size=config["DISPATCH_BATCH"], lease_seconds=config["DISPATCH_LEASE_SECONDS"],
                          retry_hours=config["PUSH_RETRY_HOURS"])


def build_sender(config: dict[str, Any]) -> FcmSender:
    if not config["FCM_SERVICE_ACCOUNT"]:
        raise RuntimeError("set SWM_FCM_SERVICE_ACCOUNT to the service-account JSON file")
    return FcmSender(config["FCM_SERVICE_ACCOUNT"], endpoint=config["FCM_ENDPOINT"] or None,
                     production=config["SWM_ENV"] == "production", app_name=f"swm-dispatcher-{os.getpid()}",
                     pool_size=config["DISPATCH_BATCH"])


def run_dispatcher(config: dict[str, Any], stop_event: threading.Event | None = None) -> None:
    """Send due pushes until `stop_event` is set (by default: until SIGTERM or Ctrl-C)."""
    stop = stop_event or threading.Event()
    if stop_event is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())  # the batch in flight is finished and recorded
    engine = make_engine(config["DATABASE_URL"])
    sender = build_sender(config)  # fetches no token: a failing credential is the loop's to wait out, not a crash
    policy = policy_from(config)
    breaker = Breaker(policy)
    stop_http = None
    if config["DISPATCH_METRICS_PORT"]:
        stop_http = serve_dispatcher_http(config["DISPATCH_METRICS_PORT"], lambda: readiness(breaker))
    me = worker_id()
    log.info("dispatcher started", extra={"worker": me, "endpoint": sender.endpoint})
    try:
        run_loop(sessionmaker(engine, expire_on_commit=False), sender, stop, worker_id=me, policy=policy,
                 on_result=_log_and_count, breaker=breaker)
    finally:
        if stop_http is not None:
            stop_http()
        sender.close()
        engine.dispose()
        log.info("dispatcher stopped", extra={"worker": me})


def readiness(breaker: Breaker) -> dict[str, Any]:
    """What /ready answers: sending, or why not (STARTING, AUTH_FAILED, or the error FCM is paused for)."""
    if breaker.ready:
        return {"ready": True}
    until = breaker.open_until.isoformat() if breaker.open_until else None
    return {"ready": False, "reason": breaker.reason, "paused_until": until}


class DispatchJob:
    """Dispatching as a scheduler job: each run sends what is due, then returns.

    `scheduler.add_job(DispatchJob(config), "interval", seconds=1, id="dispatch", max_instances=1)`;
    `close()` it after the scheduler shut down.
    """

    def __init__(self, config: dict[str, Any], sessions: sessionmaker[Session] | None = None,
                 sender: Any = None) -> None:
        self._engine = None if sessions else make_engine(config["DATABASE_URL"])
        self.sessions = sessions or sessionmaker(self._engine, expire_on_commit=False)
        self._own_sender = sender is None
        self.sender = sender or build_sender(config)
        self.policy = policy_from(config)
        self.breaker = Breaker(self.policy)  # kept across runs: a paused FCM is not hammered every second
        watch_readiness(lambda: readiness(self.breaker))

    def __call__(self) -> DispatchResult:
        result = drain(self.sessions, self.sender, worker_id=worker_id(), policy=self.policy, breaker=self.breaker)
        _log_and_count(result)
        return result

    def close(self) -> None:
        if self._own_sender:
            self.sender.close()
        if self._engine is not None:
            self._engine.dispose()


def _log_and_count(result: DispatchResult) -> None:
    record_dispatch(result)
    if result.claimed:
        log.info("dispatched", extra={"claimed": result.claimed, "sent": result.sent, "retried": result.retried,
                                      "dead_lettered": result.dead_lettered, "dead_tokens": result.dead_tokens,
                                      "errors": result.error_codes, "paused_for": result.paused_for})
