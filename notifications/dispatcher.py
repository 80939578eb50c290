"""The outbox dispatcher: claim due messages, send them, record what FCM said.

At least once, never lost: a row becomes `sent` only after FCM accepted it. Whatever happens between the
send and the commit of its outcome (a crash, a kill -9), the row's lease runs out and the message goes
again; the phone drops the duplicate by its notification id.

Workers claim rows with a lease (`leased_until`), in a short transaction of their own, so that nothing is
locked while the network is slow. On PostgreSQL any number of workers claim side by side
(`FOR UPDATE SKIP LOCKED`). On SQLite run exactly one dispatcher: it has no row locks, so of two claimers
that read the same rows one fails on its write ("database is locked") and tries again a second later.

Outcomes of a batch are written in one transaction with a fixed number of bulk statements, whatever the
batch size: a batch of 500 costs a few round trips, not 500. That transaction locks only the batch's own
outbox rows. Retiring dead tokens (deactivate the device, cancel what waits for it) follows in a short
transaction of its own, devices locked in id order and other workers' leased rows left alone, so two
workers retiring the same token can neither deadlock nor undo each other's "sent" marks.

Retries last as long as an outage can: a transient refusal (5xx, 429, transport, our own credential) is
tried again with capped exponential back-off until the row's retry horizon (`retry_hours` after it was
queued, never beyond the TTL the push carries) has passed; only a refusal of the message itself and the
horizon dead-letter it. When most of a batch fails for one reason, or our credential fails, FCM itself is
down for us: the `Breaker` pauses sending for a growing cool-off and then probes with a small batch (or,
for the credential, with a token fetch), instead of spending every row's tries on the outage.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import exists, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.db import utcnow
from notifications.messages import TTL_SECONDS, Text, build_push, render_digest
from notifications.models import DeliveryAttempt, Device, OutboxMessage
from notifications.outbox_sql import for_session
from notifications.sending import AUTH_FAILED, Sender, SendOutcome

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session]
Clock = Callable[[], datetime]


def full_jitter(ceiling: float) -> float:
    """AWS's "full jitter": anywhere between 0 and the ceiling, so retrying workers spread out."""
    return random.uniform(0, ceiling)


STARTING = "STARTING"  # the breaker's reason before the first credential check: not ready yet
# Past its retry horizon a row is dead-lettered when next claimed; the claim looks this much further back, so
# that rows which were due while no dispatcher ran still get their dead letter from it.
CLAIM_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class DispatchPolicy:
    batch_size: int = 500
    lease_seconds: float = 60.0  # longer than a batch can take (HTTP timeout 30 s)
    base_delay: float = 1.0
    max_delay: float = 300.0
    # Transient refusals are retried until the row is this old (queued this long ago); then it is a dead letter.
    retry_hours: float = 24.0
    jitter: Callable[[float], float] = full_jitter
    # FCM's breaker: a batch of at least `breaker_min_batch` of which `breaker_share` failed for one transient
    # reason, or any batch our credential failed for, pauses sending for pause_base, doubling up to pause_max;
    # then a batch of `probe_size` (or a token fetch, for the credential) tells whether FCM is back.
    breaker_min_batch: int = 10
    breaker_share: float = 0.5
    pause_base: float = 2.0
    pause_max: float = 60.0
    probe_size: int = 5

    @property
    def horizon(self) -> timedelta:
        """How long after it was queued a message is still worth retrying: never beyond the TTL it carries."""
        return min(timedelta(hours=self.retry_hours), timedelta(seconds=TTL_SECONDS))

    def retry_delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds until the next try after `attempts` tries: exponential backoff with full jitter, capped,
        but never sooner than FCM's Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(attempts - 1, 64))
        return max(retry_after or 0.0, self.jitter(ceiling))

    def pause(self, pauses: int) -> float:
        """The cool-off after the `pauses`-th provider-wide failure in a row."""
        return min(self.pause_max, self.pause_base * 2 ** min(pauses - 1, 64))


@dataclass
class Breaker:
    """FCM's circuit breaker, one per dispatcher process (each learns of an outage by its own batches).

    Closed (reason None): full batches. Open: nothing is claimed until `open_until`; then it probes: with a
    token fetch when our credential failed (or was never checked), else with a batch of `probe_size`. A probe
    that works closes it; one that fails opens it again for a longer cool-off.
    """

    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    reason: str | None = STARTING  # why sending is paused: an error code, or STARTING
    open_until: datetime | None = None  # None with a reason: probe at once
    pauses: int = 0  # provider-wide failures in a row: the cool-off grows with them

    @property
    def ready(self) -> bool:
        return self.reason is None

    def limit(self, now: datetime) -> int:
        """How many rows to claim now: a full batch, a probe, or none while paused."""
        if self.reason is None:
            return self.policy.batch_size
        if self.open_until is not None and now < self.open_until:
            return 0
        return min(self.policy.probe_size, self.policy.batch_size)

    @property
    def checks_credential(self) -> bool:
        """The next probe is a token fetch: our credential failed, or was never tried."""
        return self.reason in (STARTING, AUTH_FAILED)

    def trip(self, reason: str, now: datetime, retry_after: float | None = None) -> datetime:
        self.pauses += 1
        self.reason = reason
        self.open_until = now + timedelta(seconds=max(self.policy.pause(self.pauses), retry_after or 0.0))
        return self.open_until

    def close(self) -> None:
        self.reason, self.open_until, self.pauses = None, None, 0


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
    queued_at: datetime  # the outbox row's created_at: its retry horizon counts from then
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
    dead_lettered: int = 0  # gave up: refused for good, or past its retry horizon
    dead_tokens: int = 0  # devices deactivated
    cancelled: int = 0  # rows cancelled because their device is gone or inactive
    error_codes: dict[str, int] = field(default_factory=dict)  # refusals by FCM errorCode (or exception name)
    paused_for: str | None = None  # the breaker opened (again) for this reason in this round
    auth_failures: int = 0  # our credential failed: token fetches, or batches refused for it

    def add(self, other: DispatchResult) -> None:
        for name in ("claimed", "sent", "retried", "dead_lettered", "dead_tokens", "cancelled", "auth_failures"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.error_codes.items():
            self.error_codes[code] = self.error_codes.get(code, 0) + n
        self.paused_for = other.paused_for or self.paused_for


def claim(session_factory: SessionFactory, worker_id: str, limit: int = 500, lease_seconds: float = 60.0,
          *, now: datetime | None = None, horizon: timedelta = timedelta(seconds=TTL_SECONDS)) -> list[Claimed]:
    """Lease up to `limit` due rows to this worker, in one short transaction. Rows queued more than
    `horizon` + CLAIM_SLACK ago are not looked at (outbox_sweep dead-letters any such row left pending)."""
    now = now or utcnow()
    lease = now + timedelta(seconds=lease_seconds)
    with session_factory.begin() as session:
        sql = for_session(session)
        rows = session.execute(sql.due, {"now": now, "limit": limit, "since": now - horizon - CLAIM_SLACK}).all()
        live = [row._mapping for row in rows if row.device_active]
        gone = [row.outbox_id for row in rows if not row.device_active]  # logged out or deactivated since the fan-out
        since = min((row.queued_at for row in rows), default=now)
        if live:
            session.execute(sql.lease, {"ids": sql.ids([row["outbox_id"] for row in live]), "lease": lease,
                                        "since": since})
        if gone:
            session.execute(sql.cancel, {"ids": sql.ids(gone), "reason": "device inactive", "since": since})
    if gone:
        log.info("cancelled pushes to inactive devices", extra={"worker": worker_id, "cancelled": len(gone)})
    fields = Claimed._fields[:-1]
    return [Claimed(**{name: row[name] for name in fields}, leased_until=lease) for row in live]


def dispatch_once(session_factory: SessionFactory, sender: Sender, *, worker_id: str,
                  policy: DispatchPolicy = DispatchPolicy(), now: Clock = utcnow,
                  breaker: Breaker | None = None) -> DispatchResult:
    """Claim one batch, send it, record the outcomes. Returns what happened (claimed == 0: nothing due, or
    paused). Without a breaker every batch is judged alone: each row backs off by its own failures."""
    limit = policy.batch_size if breaker is None else breaker.limit(now())
    if limit == 0:
        return DispatchResult()
    if breaker is not None and breaker.checks_credential:
        code = sender.authenticate()
        if code:
            until = breaker.trip(code, now())
            log.warning("FCM credential failed; sending paused", extra={"worker": worker_id, "error": code,
                                                                        "until": until.isoformat()})
            return DispatchResult(paused_for=code, auth_failures=1)
        if breaker.reason != STARTING:
            log.info("FCM credential works again; sending", extra={"worker": worker_id})
        breaker.close()
        limit = policy.batch_size
    batch = claim(session_factory, worker_id, limit, policy.lease_seconds, now=now(), horizon=policy.horizon)
    if not batch:
        if breaker is not None and not breaker.ready:
            # Nothing left to probe with (the paused rows went out through another worker, or were cancelled):
            # ready again, and the next batch is judged like any other.
            breaker.close()
        return DispatchResult()
    attempted_at = now()
    try:
        outcomes = sender.send([c.message() for c in batch])
        if len(outcomes) != len(batch):
            raise RuntimeError(f"sender returned {len(outcomes)} outcomes for {len(batch)} messages")
    except Exception as exc:  # a bug, not a refusal: a failed try like any other
        log.exception("sender failed", extra={"worker": worker_id})
        outcomes = [SendOutcome.retry(type(exc).__name__)] * len(batch)
    pause = None
    if breaker is not None:
        pause = _judge(breaker, outcomes, policy, now(), worker_id)
    result = record_outcomes(session_factory, batch, outcomes, policy, attempted_at=attempted_at, now=now(),
                             pause=pause)
    result.auth_failures += int(any(o.error_code == AUTH_FAILED for o in outcomes))
    return result


class Pause(NamedTuple):
    """Sending paused because FCM failed provider-wide for `reason`: the batch's rows that failed for it are
    due again when the pause ends, and that try does not count as their own failure."""

    reason: str
    until: datetime


def provider_wide(outcomes: Sequence[SendOutcome], policy: DispatchPolicy, *, probing: bool) -> str | None:
    """The reason when the batch failed as a whole: our credential, or most of it for one transient reason
    (a probe is judged whatever its size; a small batch otherwise says too little about FCM)."""
    failures = Counter(o.error_code or o.kind for o in outcomes if o.kind == "retry")
    if not failures:
        return None
    if failures[AUTH_FAILED]:
        return AUTH_FAILED
    code, n = failures.most_common(1)[0]
    if (probing or len(outcomes) >= policy.breaker_min_batch) and n >= policy.breaker_share * len(outcomes):
        return code
    return None


def _judge(breaker: Breaker, outcomes: Sequence[SendOutcome], policy: DispatchPolicy, now: datetime,
           worker_id: str) -> Pause | None:
    reason = provider_wide(outcomes, policy, probing=breaker.reason is not None)
    if reason is None:
        if breaker.reason is not None:
            log.info("FCM answers again; sending", extra={"worker": worker_id, "after": breaker.reason})
        breaker.close()
        return None
    retry_after = max((o.retry_after or 0.0 for o in outcomes if o.error_code == reason), default=0.0)
    until = breaker.trip(reason, now, retry_after)
    log.warning("FCM failed for the whole batch; sending paused",
                extra={"worker": worker_id, "error": reason, "until": until.isoformat(), "pauses": breaker.pauses})
    return Pause(reason, until)


def record_outcomes(session_factory: SessionFactory, batch: Sequence[Claimed], outcomes: Sequence[SendOutcome],
                    policy: DispatchPolicy, *, attempted_at: datetime, now: datetime,
                    pause: Pause | None = None) -> DispatchResult:
    """Write a batch's outcomes in one transaction, with a fixed number of bulk statements; then retire the
    dead tokens among them in a transaction of their own."""
    result = DispatchResult(claimed=len(batch), paused_for=pause.reason if pause else None)
    sent: list[list[Any]] = []
    attempts: list[list[Any]] = []
    retry: list[dict[str, Any]] = []
    paused: list[dict[str, Any]] = []
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
        row = {"b_id": c.outbox_id, "b_queued": c.queued_at, "b_lease": c.leased_until, "b_error": error}
        give_up = c.queued_at + policy.horizon
        if o.kind == "retry" and now < give_up:
            if pause is not None and error == pause.reason:
                paused.append(row | {"b_next": min(give_up, max(pause.until, _after(now, o.retry_after)))})
            else:
                delay = policy.retry_delay(c.attempts + 1, o.retry_after)
                retry.append(row | {"b_next": min(give_up, now + timedelta(seconds=delay))})
        elif o.kind == "dead_token":
            dead_token.append(row)
            devices.add(c.device_id)
        else:  # refused for good, or a transient failure past the retry horizon: the dead letter
            dead.append(row)
    since = min((c.queued_at for c in batch), default=now)
    with session_factory.begin() as session:
        sql = for_session(session)
        if sent:
            result.sent = session.execute(sql.sent, {"rows": sql.rows(sent), "now": now, "since": since}).rowcount or 0
        result.retried = _executemany(session, sql.retry, retry) + _executemany(session, sql.pause, paused)
        result.dead_lettered = _executemany(session, sql.dead, dead)
        result.cancelled = _executemany(session, sql.dead_token, dead_token)
        session.execute(sql.attempts, {"rows": sql.rows(attempts), "at": attempted_at, "since": since})
    if devices:
        retired, cancelled = retire_devices(session_factory, devices, now=now)
        result.dead_tokens += retired
        result.cancelled += cancelled
    return result


def retire_devices(session_factory: SessionFactory, device_ids: set[int], *, now: datetime) -> tuple[int, int]:
    """Deactivate devices whose token is dead and cancel what waits for them; returns (devices, rows).

    Apart from the outcomes, after they committed: devices are locked in id order (FOR NO KEY UPDATE: fan-outs
    inserting rows for them are not held up), and rows another worker has leased or is locking are skipped.
    That worker learns of the dead token from FCM itself, and anything left pending is cancelled when it is
    claimed (its device is inactive). Should this fail, nothing is lost: the next send to the token retires it.
    """
    try:
        with session_factory.begin() as session:
            sql = for_session(session)
            ids = sql.ids(sorted(device_ids))
            session.execute(sql.lock_devices, {"ids": ids})
            retired = session.execute(sql.retire_devices, {"ids": ids}).rowcount or 0
            cancelled = session.execute(sql.cancel_for_devices, {
                "ids": ids, "now": now, "since": now - timedelta(seconds=TTL_SECONDS) - CLAIM_SLACK}).rowcount or 0
    except SQLAlchemyError:
        log.warning("could not retire dead tokens yet", exc_info=True, extra={"devices": sorted(device_ids)})
        return 0, 0
    return retired, cancelled


def dead_letter_unclaimed(session: Session, *, now: datetime, horizon: timedelta) -> int:
    """Dead-letter rows still waiting more than `horizon` + CLAIM_SLACK after they were queued (no dispatcher
    ran for that long): the claim no longer looks that far back, and it would have dead-lettered them. Returns
    the rows. Run by housekeeping."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state.in_(("pending", "held")), OutboxMessage.created_at < now - horizon - CLAIM_SLACK)
        .values(state="dead", leased_until=None, last_error="past its retry horizon, never sent")
    )
    return result.rowcount or 0


def _after(now: datetime, seconds: float | None) -> datetime:
    return now + timedelta(seconds=seconds or 0.0)


def drain(session_factory: SessionFactory, sender: Sender, *, worker_id: str,
          policy: DispatchPolicy = DispatchPolicy(), max_seconds: float = 50.0,
          breaker: Breaker | None = None) -> DispatchResult:
    """Dispatch until nothing is due (or the time budget is spent, or FCM is paused): the job a scheduler runs
    every few seconds. The budget keeps one run shorter than the job's interval."""
    total = DispatchResult()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        probing = breaker is not None and not breaker.ready
        result = dispatch_once(session_factory, sender, worker_id=worker_id, policy=policy, breaker=breaker)
        total.add(result)
        if breaker is not None and not breaker.ready:
            break  # paused: a later run probes when the cool-off is over
        if result.claimed < policy.batch_size and not (probing and result.claimed):
            break  # caught up (a probe that worked is short, but the backlog is still there)
    return total


def run_loop(session_factory: SessionFactory, sender: Sender, stop: threading.Event, *, worker_id: str,
             policy: DispatchPolicy = DispatchPolicy(), idle_seconds: float = 0.2,
             on_result: Callable[[DispatchResult], None] | None = None, breaker: Breaker | None = None) -> None:
    """A worker process's loop: straight on while batches come back full, a short nap when caught up, and
    the breaker's cool-off while FCM is down for us."""
    breaker = breaker if breaker is not None else Breaker(policy)
    while not stop.is_set():
        try:
            result = dispatch_once(session_factory, sender, worker_id=worker_id, policy=policy, breaker=breaker)
        except SQLAlchemyError:  # database away: claimed rows come back when their lease runs out
            log.exception("dispatch failed; trying again shortly", extra={"worker": worker_id})
            stop.wait(1.0)
            continue
        if on_result is not None:
            on_result(result)
        if breaker.open_until is not None:
            stop.wait(max(idle_seconds, (breaker.open_until - utcnow()).total_seconds()))
        elif result.claimed < policy.batch_size:
            stop.wait(idle_seconds)


def retry_dead(session: Session, *, since: datetime | None = None, now: datetime | None = None) -> int:
    """Put dead letters back in the queue after an incident (those last tried at or after `since`, when given),
    each as a fresh round: due now, tries counted from zero, and its retry horizon starting now (its
    created_at, which the desk shows as "queued at", becomes now; the delivery log keeps the earlier tries).
    Rows of devices that are no longer active stay dead. Returns how many were re-queued."""
    now = now or utcnow()
    query = (
        update(OutboxMessage)
        .where(OutboxMessage.state == "dead",
               OutboxMessage.device_id.in_(select(Device.id).where(Device.active.is_(True))))
        .values(state="pending", attempts=0, next_attempt_at=now, leased_until=None, last_error=None,
                created_at=now)
        .execution_options(synchronize_session=False)
    )
    if since is not None:
        query = query.where(exists().where(DeliveryAttempt.outbox_id == OutboxMessage.id,
                                           DeliveryAttempt.attempted_at >= since))
    return session.execute(query).rowcount or 0


def _executemany(session: Session, statement: Any, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    return session.execute(statement, rows).rowcount or 0
