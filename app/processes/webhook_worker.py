"""The webhook sender, composed from configuration: `swm webhooks` (a worker process), or a scheduler job.

Like the push dispatcher: any number of worker processes on PostgreSQL (SKIP LOCKED); on SQLite exactly one
sender in all (the scheduler's job, or one `swm webhooks`).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.config import webhook_allow_private
from core.db import make_engine
from notifications.webhook_sender import WebhookPolicy, WebhookResult, WebhookSender, drain, run_loop

log = logging.getLogger(__name__)


def policy_from(config: dict[str, Any]) -> WebhookPolicy:
    return WebhookPolicy(
        batch_size=config["WEBHOOK_BATCH"], concurrency=config["WEBHOOK_CONCURRENCY"],
        timeout_seconds=config["WEBHOOK_TIMEOUT_SECONDS"], max_response_bytes=config["WEBHOOK_MAX_RESPONSE_BYTES"],
        retry_hours=config["WEBHOOK_RETRY_HOURS"], disable_after_hours=config["WEBHOOK_DISABLE_AFTER_HOURS"],
        allow_private=webhook_allow_private(config),
        # Two batches in flight (pump), each up to timeout × batch / concurrency, with room to spare.
        lease_seconds=max(60.0, config["WEBHOOK_TIMEOUT_SECONDS"] * 2 * 2 * (
            config["WEBHOOK_BATCH"] / config["WEBHOOK_CONCURRENCY"] + 1)),
    )


def run_webhooks(config: dict[str, Any], stop_event: threading.Event | None = None) -> None:
    """Send due webhook deliveries until `stop_event` is set (by default: until SIGTERM or Ctrl-C)."""
    stop = stop_event or threading.Event()
    if stop_event is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    engine = make_engine(config["DATABASE_URL"])
    sender = WebhookSender(policy_from(config))
    log.info("webhook sender started")
    try:
        run_loop(sessionmaker(engine, expire_on_commit=False), sender, stop, on_result=_log)
    finally:
        sender.close()
        engine.dispose()
        log.info("webhook sender stopped")


class WebhookJob:
    """Sending webhooks as a scheduler job (SWM_WEBHOOKS_IN_SCHEDULER): each run sends what is due."""

    def __init__(self, config: dict[str, Any], sessions: sessionmaker[Session] | None = None) -> None:
        self._engine = None if sessions else make_engine(config["DATABASE_URL"])
        self.sessions = sessions or sessionmaker(self._engine, expire_on_commit=False)
        self.sender = WebhookSender(policy_from(config))

    def __call__(self) -> WebhookResult:
        result = drain(self.sessions, self.sender)
        _log(result)
        return result

    def close(self) -> None:
        self.sender.close()
        if self._engine is not None:
            self._engine.dispose()


def _log(result: WebhookResult) -> None:
    if result.claimed:
        log.info("webhooks sent", extra={"claimed": result.claimed, "delivered": result.delivered,
                                         "retried": result.retried, "failed": result.failed,
                                         "disabled_endpoints": result.disabled_endpoints})
