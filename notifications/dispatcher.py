"""The outbox dispatcher: claim due messages, send them, record what FCM said.

At least once, never lost: a row becomes `sent` only after FCM accepted it. Whatever happens between the
send and the commit of its outcome (a crash, a kill -9), the row's lease runs out and the message goes
again; the phone drops the duplicate by its notification id.

Workers claim rows with a lease (`leased_until`), in a short transaction of their own, so that nothing is
locked while the network is slow. On PostgreSQL any number of workers claim side by side
(`FOR UPDATE SKIP LOCKED`). On SQLite run exactly one dispatcher: it has no row locks, so of two claimers
that read the same rows one fails on its write ("database is locked") and tries again a second later.

Outcomes of a batch are written in one transaction with a fixed number of bulk statements, whatever the
batch size: a batch of 500 costs a few round trips, not 500.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from notifications.messages import Text, build_push, render_digest
from notifications.outbox_sql import for_session
from notifications.sending import Sender, SendOutcome
from status_tracker.db import utcnow

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session]
Clock = Callable[[], datetime]


def full_jitter(ceiling: float) -> float:
    """AWS's "full jitter": anywhere between 0 and the ceiling, so retrying workers spread out."""
    return random.uniform(0, ceiling)


@dataclass(frozen=True)
class DispatchPolicy:
    batch_size: int = 500
    lease_seconds: float = 60.0  # longer than a batch can take (HTTP timeout 30 s)
    base_delay: float = 1.0
    max_delay: float = 300.0
    max_attempts: int = 8  # then the row is dead (dead letter) and shows in the outbox metrics
    jitter: Callable[[float], float] = full_jitter

    def retry_delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds until the next try after `attempts` tries: exponential backoff with full jitter, capped,
        but never sooner than FCM's Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempts - 1))
        return max(retry_after or 0.0, self.jitter(ceiling))


class Claimed(NamedTuple):
    """One claimed outbox row with everything needed to send it (plain data: no session needed)."""

    outbox_id: int
    notification_id: int
    public_id: str
    device_id: int
    token: str
    platform: str
    title: str
    body: str
    data: dict[str, str]
    urgent: bool
    attempts: int
    digest_count: int | None  # quiet hours over: this message sums up that many changes of its item
    locale: str
    leased_until: datetime  # the lease this claim set: outcomes other than `sent` need it still to be ours

    def message(self) -> dict[str, Any]:
        if not self.digest_count:
            return build_push(self.token, self.title, self.body, self.data, urgent=self.urgent)
        text = render_digest(self.digest_count, Text(self.title, self.body), self.locale)
        data = {**self.data, "digest_count": str(self.digest_count)}
        return build_push(self.token, text.title, text.body, data, urgent=self.urgent)


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead_lettered: int = 0  # gave up: failed at once, or out of attempts
    dead_tokens: int = 0  # devices deactivated
    cancelled: int = 0  # rows cancelled because their device is gone or inactive
    error_codes: dict[str, int] = field(default_factory=dict)  # refusals by FCM errorCode (or exception name)

    def add(self, other: DispatchResult) -> None:
        for name in ("claimed", "sent", "retried", "dead_lettered", "dead_tokens", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.error_codes.items():
            self.error_codes[code] = self.error_codes.get(code, 0) + n


def claim(session_factory: SessionFactory, worker_id: str, limit: int = 500, lease_seconds: float = 60.0,
          *, now: datetime | None = None) -> list[Claimed]:
    """Lease up to `limit` due rows to this worker, in one short transaction."""
    now = now or utcnow()
    lease = now + timedelta(seconds=lease_seconds)
    with session_factory.begin() as session:
        sql = for_session(session)
        rows = session.execute(sql.due, {"now": now, "limit": limit}).all()
        live = [row for row in rows if row[-1]]
        gone = [row[0] for row in rows if not row[-1]]  # logged out or deactivated since the fan-out
        if live:
            session.execute(sql.lease, {"ids": sql.ids([row[0] for row in live]), "lease": lease})
        if gone:
            session.execute(sql.cancel, {"ids": sql.ids(gone), "reason": "device inactive"})
    if gone:
        log.info("cancelled pushes to inactive devices", extra={"worker": worker_id, "cancelled": len(gone)})
    return [Claimed(*row[:-1], lease) for row in live]  # the select lists Claimed's fields in order


def dispatch_once(session_factory: SessionFactory, sender: Sender, *, worker_id: str,
                  policy: DispatchPolicy = DispatchPolicy(), now: Clock = utcnow) -> DispatchResult:
    """Claim one batch, send it, record the outcomes. Returns what happened (claimed == 0: nothing due)."""
    batch = claim(session_factory, worker_id, policy.batch_size, policy.lease_seconds, now=now())
    if not batch:
        return DispatchResult()
    attempted_at = now()
    try:
        outcomes = sender.send([c.message() for c in batch])
        if len(outcomes) != len(batch):
            raise RuntimeError(f"sender returned {len(outcomes)} outcomes for {len(batch)} messages")
    except Exception as exc:  # a bug, not a refusal: count it as an attempt so a poison batch dead-letters
        log.exception("sender failed", extra={"worker": worker_id})
        outcomes = [SendOutcome.retry(type(exc).__name__)] * len(batch)
    return record_outcomes(session_factory, batch, outcomes, policy, attempted_at=attempted_at, now=now())


def record_outcomes(session_factory: SessionFactory, batch: Sequence[Claimed], outcomes: Sequence[SendOutcome],
                    policy: DispatchPolicy, *, attempted_at: datetime, now: datetime) -> DispatchResult:
    """Write a batch's outcomes in one transaction, with a fixed number of bulk statements."""
    result = DispatchResult(claimed=len(batch))
    sent: list[list[Any]] = []
    attempts: list[list[Any]] = []
    retry: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []
    dead_token: list[dict[str, Any]] = []
    devices: set[int] = set()
    for c, o in zip(batch, outcomes, strict=True):
        attempts.append([c.outbox_id, o.kind, o.error_code, o.message_id])
        if o.kind == "sent":
            sent.append([c.outbox_id, o.message_id])
            continue
        error = (o.error_code or o.kind)[:500]
        result.error_codes[error] = result.error_codes.get(error, 0) + 1
        row = {"b_id": c.outbox_id, "b_lease": c.leased_until, "b_error": error}
        if o.kind == "retry" and c.attempts + 1 < policy.max_attempts:
            retry.append(row | {"b_next": now + timedelta(seconds=policy.retry_delay(c.attempts + 1, o.retry_after))})
        elif o.kind == "dead_token":
            dead_token.append(row)
            devices.add(c.device_id)
        else:  # failed, or a retry with no attempts left: the dead letter
            dead.append(row)
    with session_factory.begin() as session:
        sql = for_session(session)
        if sent:
            result.sent = session.execute(sql.sent, {"rows": sql.rows(sent), "now": now}).rowcount or 0
        result.retried = _executemany(session, sql.retry, retry)
        result.dead_lettered = _executemany(session, sql.dead, dead)
        result.cancelled = _executemany(session, sql.dead_token, dead_token)
        if devices:
            ids = sql.ids(sorted(devices))
            result.dead_tokens = session.execute(sql.retire_devices, {"ids": ids}).rowcount or 0
            result.cancelled += session.execute(sql.cancel_for_devices, {"ids": ids}).rowcount or 0
        session.execute(sql.attempts, {"rows": sql.rows(attempts), "at": attempted_at})
    return result


def drain(session_factory: SessionFactory, sender: Sender, *, worker_id: str,
          policy: DispatchPolicy = DispatchPolicy(), max_seconds: float = 50.0) -> DispatchResult:
    """Dispatch until nothing is due (or the time budget is spent): the job a scheduler runs every few
    seconds. The budget keeps one run shorter than the job's interval."""
    total = DispatchResult()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        result = dispatch_once(session_factory, sender, worker_id=worker_id, policy=policy)
        total.add(result)
        if result.claimed < policy.batch_size:
            break
    return total


def run_loop(session_factory: SessionFactory, sender: Sender, stop: threading.Event, *, worker_id: str,
             policy: DispatchPolicy = DispatchPolicy(), idle_seconds: float = 0.2,
             on_result: Callable[[DispatchResult], None] | None = None) -> None:
    """A worker process's loop: straight on while batches come back full, a short nap when caught up."""
    while not stop.is_set():
        try:
            result = dispatch_once(session_factory, sender, worker_id=worker_id, policy=policy)
        except SQLAlchemyError:  # database away: claimed rows come back when their lease runs out
            log.exception("dispatch failed; trying again shortly", extra={"worker": worker_id})
            stop.wait(1.0)
            continue
        if on_result is not None:
            on_result(result)
        if result.claimed < policy.batch_size:
            stop.wait(idle_seconds)


def _executemany(session: Session, statement: Any, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    return session.execute(statement, rows).rowcount or 0
