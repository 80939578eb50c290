"""Sending webhook deliveries: claim due rows, POST them signed (Standard Webhooks), record what happened.

The same discipline as the push dispatcher: rows are claimed with a lease in a short transaction of their own
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers run side by side), sent with nothing locked, and their
outcomes written in one transaction that counts only while the lease is still this claim's. At least once:
a crash between the POST and the commit sends the delivery again, with the same `webhook-id`.

Outcomes: 2xx delivered; 410 Gone disables the endpoint (the receiver said so); anything else (other 4xx,
5xx, timeouts, refused connections, an address production may not call) is tried again with exponential
back-off until the delivery is `retry_hours` old. An endpoint whose tries have all failed for
`disable_after_hours` is disabled and its company told in the inbox; what waits for it is kept (paused).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

import httpx
from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from core.db import utcnow
from notifications.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    address_problem,
    disable,
    resolve,
)

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session]
USER_AGENT = "SingleWindowMobile-Webhooks/1"


@dataclass(frozen=True)
class WebhookPolicy:
    batch_size: int = 200
    concurrency: int = 16  # POSTs in flight at once per worker
    # Longer than two batches can take (pump keeps two in flight): 2 × timeout × batch / concurrency.
    lease_seconds: float = 300.0
    timeout_seconds: float = 10.0  # per request, connect to last byte read
    max_response_bytes: int = 4096  # read no more of an answer than this (only a snippet is kept)
    base_delay: float = 30.0
    max_delay: float = 4 * 3600.0
    retry_hours: float = 72.0  # a delivery is tried until it is this old
    disable_after_hours: float = 24.0  # an endpoint failing this long is disabled
    allow_private: bool = True  # production: False (no loopback, link-local, private addresses)
    jitter: Callable[[float], float] = field(default=lambda delay: random.uniform(delay / 2, delay))

    def retry_delay(self, attempts: int) -> float:
        """30 s, 1 min, 2 min … doubling up to 4 h: about 14 tries over the first day (AfterShip: 14 over
        ~68 h), with jitter so a receiver coming back is not hit by every delivery at once."""
        return self.jitter(min(self.max_delay, self.base_delay * 2 ** min(attempts - 1, 32)))


class Claimed(NamedTuple):
    delivery_id: int
    endpoint_id: int
    url: str
    message_id: str
    body: str
    secrets: tuple[str, ...]
    attempts: int
    queued_at: datetime
    leased_until: datetime


@dataclass(frozen=True)
class Outcome:
    kind: str  # delivered, retry, gone
    status_code: int | None
    latency_ms: int
    error: str | None = None
    snippet: str | None = None


@dataclass
class WebhookResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0  # gave up: past the retry horizon
    disabled_endpoints: int = 0

    def add(self, other: WebhookResult) -> None:
        for name in ("claimed", "delivered", "retried", "failed", "disabled_endpoints"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def sign_headers(message_id: str, body: str, secrets: Sequence[str], now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers; one signature per secret (two while a rotation overlaps)."""
    signatures = " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures}


class WebhookSender:
    """POSTs deliveries with one pooled httpx client, `concurrency` at a time."""

    def __init__(self, policy: WebhookPolicy = WebhookPolicy(), client: httpx.Client | None = None) -> None:
        self.policy = policy
        self._own_client = client is None
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(policy.timeout_seconds), follow_redirects=False,
            limits=httpx.Limits(max_connections=policy.concurrency, max_keepalive_connections=policy.concurrency),
            headers={"user-agent": USER_AGENT, "content-type": "application/json"})
        self.pool = ThreadPoolExecutor(max_workers=policy.concurrency, thread_name_prefix="webhook")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self._own_client:
            self.client.close()

    def send(self, batch: Sequence[Claimed]) -> list[Outcome]:
        return [future.result() for future in self.submit(batch)]

    def submit(self, batch: Sequence[Claimed]) -> list[Future[Outcome]]:
        """Start sending (the pool queues what exceeds its concurrency); the outcomes come with the futures."""
        return [self.pool.submit(self._safe_send, delivery) for delivery in batch]

    def _safe_send(self, delivery: Claimed) -> Outcome:
        try:
            return self.send_one(delivery)
        except Exception as exc:  # a bug, not a refusal: a failed try like any other
            log.exception("webhook send failed", extra={"delivery_id": delivery.delivery_id})
            return Outcome("retry", None, 0, type(exc).__name__)

    def send_one(self, delivery: Claimed) -> Outcome:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        if not self.policy.allow_private:
            problem = self._address_problem(delivery.url)
            if problem:
                return Outcome("retry", None, took(), f"refused: {problem}")
        headers = sign_headers(delivery.message_id, delivery.body, delivery.secrets, utcnow())
        deadline = started + self.policy.timeout_seconds
        try:
            with self.client.stream("POST", delivery.url, content=delivery.body.encode(), headers=headers) as answer:
                snippet = bytearray()
                for chunk in answer.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= self.policy.max_response_bytes or time.monotonic() > deadline:
                        break  # the cap: a receiver streaming forever costs us nothing more
                text = bytes(snippet[:500]).decode("utf-8", "replace")
                status = answer.status_code
        except httpx.TimeoutException:
            return Outcome("retry", None, took(), "timeout")
        except httpx.HTTPError as exc:
            return Outcome("retry", None, took(), f"{type(exc).__name__}: {exc}"[:200])
        if 200 <= status < 300:
            return Outcome("delivered", status, took(), None, text)
        if status == 410:
            return Outcome("gone", status, took(), "410 Gone", text)
        return Outcome("retry", status, took(), f"HTTP {status}", text)

    @staticmethod
    def _address_problem(url: str) -> str | None:
        """Checked at every send, not only at registration: a name may resolve elsewhere later."""
        parts = urlsplit(url)
        try:
            addresses = resolve(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError):
            return "host name does not resolve"
        for address in addresses:
            problem = address_problem(address)
            if problem:
                return f"{problem} ({address})"
        return None


def claim(session_factory: SessionFactory, limit: int, lease_seconds: float, *,
          now: datetime | None = None) -> list[Claimed]:
    now = now or utcnow()
    lease = now + timedelta(seconds=lease_seconds)
    d, e = WebhookDelivery, WebhookEndpoint
    with session_factory.begin() as session:
        rows = session.execute(
            select(d.id, d.endpoint_id, e.url, d.message_id, d.body, e.secret, e.previous_secret, e.previous_until,
                   d.attempts, d.created_at)
            .join(e, e.id == d.endpoint_id)
            .where(d.state == "pending", d.next_attempt_at <= now,
                   or_(d.leased_until.is_(None), d.leased_until < now))
            .order_by(d.next_attempt_at, d.id).limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery.__table__)
        ).all()
        if rows:
            session.execute(update(d).where(d.id.in_([r.id for r in rows])).values(leased_until=lease)
                            .execution_options(synchronize_session=False))
    claimed = []
    for r in rows:
        secrets = (r.secret,) + ((r.previous_secret,) if r.previous_secret and r.previous_until
                                 and now < r.previous_until else ())
        claimed.append(Claimed(r.id, r.endpoint_id, r.url, r.message_id, r.body, secrets, r.attempts, r.created_at,
                               lease))
    return claimed


def record(session_factory: SessionFactory, batch: Sequence[Claimed], outcomes: Sequence[Outcome],
           policy: WebhookPolicy, *, attempted_at: datetime, now: datetime) -> WebhookResult:
    """The batch's outcomes in one transaction: deliveries, the log, and the endpoints' health."""
    result = WebhookResult(claimed=len(batch))
    d = WebhookDelivery
    owned = (update(d.__table__).where(d.__table__.c.id == bindparam("b_id"), d.__table__.c.state == "pending",
                                       d.__table__.c.leased_until == bindparam("b_lease")))
    delivered, retry, failed, log_rows = [], [], [], []
    good, bad, gone = set(), set(), {}
    for c, o in zip(batch, outcomes, strict=True):
        log_rows.append({"delivery_id": c.delivery_id, "attempted_at": attempted_at, "outcome": o.kind,
                         "status_code": o.status_code, "latency_ms": o.latency_ms, "error": o.error,
                         "response_snippet": o.snippet})
        row = {"b_id": c.delivery_id, "b_lease": c.leased_until, "b_status": o.status_code,
               "b_error": (o.error or None) and o.error[:500]}
        if o.kind == "delivered":
            delivered.append(row)
            good.add(c.endpoint_id)
        elif o.kind == "gone":
            failed.append(row)
            gone[c.endpoint_id] = o
        elif now < c.queued_at + timedelta(hours=policy.retry_hours):
            retry.append(row | {"b_next": now + timedelta(seconds=policy.retry_delay(c.attempts + 1))})
            bad.add(c.endpoint_id)
        else:
            failed.append(row)
            bad.add(c.endpoint_id)
    common = {"attempts": d.__table__.c.attempts + 1, "leased_until": None, "last_status": bindparam("b_status"),
              "last_error": bindparam("b_error")}
    with session_factory.begin() as session:
        if delivered:
            result.delivered = session.execute(owned.values(state="delivered", delivered_at=now, **common),
                                               delivered).rowcount or 0
        if retry:
            result.retried = session.execute(owned.values(next_attempt_at=bindparam("b_next"), **common),
                                             retry).rowcount or 0
        if failed:
            result.failed = session.execute(owned.values(state="failed", **common), failed).rowcount or 0
        session.execute(insert(WebhookAttempt), log_rows)
        result.disabled_endpoints = _endpoint_health(session, good - bad, bad - good, gone, policy, now)
    return result


def _endpoint_health(session: Session, good: set[int], bad: set[int], gone: dict[int, Outcome],
                     policy: WebhookPolicy, now: datetime) -> int:
    e = WebhookEndpoint
    if good:
        session.execute(update(e).where(e.id.in_(sorted(good)), e.failing_since.is_not(None))
                        .values(failing_since=None).execution_options(synchronize_session=False))
    if bad:
        session.execute(update(e).where(e.id.in_(sorted(bad)), e.failing_since.is_(None))
                        .values(failing_since=now).execution_options(synchronize_session=False))
    disabled = 0
    limit = now - timedelta(hours=policy.disable_after_hours)
    candidates = sorted(set(gone) | bad)
    if not candidates:
        return 0
    for endpoint in session.scalars(select(e).where(e.id.in_(candidates), e.active.is_(True)).order_by(e.id)
                                    .with_for_update()):
        if endpoint.id in gone:
            disable(session, endpoint, "the endpoint answered 410 Gone", now=now)
        elif endpoint.failing_since is not None and endpoint.failing_since <= limit:
            disable(session, endpoint, f"every delivery failed for {policy.disable_after_hours:g} hours", now=now)
        else:
            continue
        disabled += 1
        log.warning("webhook endpoint disabled", extra={"endpoint_id": endpoint.id, "reason": endpoint.disabled_reason})
    return disabled


def deliver_once(session_factory: SessionFactory, sender: WebhookSender, *,
                 now: Callable[[], datetime] = utcnow) -> WebhookResult:
    policy = sender.policy
    batch = claim(session_factory, policy.batch_size, policy.lease_seconds, now=now())
    if not batch:
        return WebhookResult()
    attempted_at = now()
    try:
        outcomes = sender.send(batch)
    except Exception as exc:  # a bug, not a refusal: a failed try like any other
        log.exception("webhook sender failed")
        outcomes = [Outcome("retry", None, 0, type(exc).__name__)] * len(batch)
    return record(session_factory, batch, outcomes, policy, attempted_at=attempted_at, now=now())


def pump(session_factory: SessionFactory, sender: WebhookSender, *, max_seconds: float = 50.0,
         stop: threading.Event | None = None, now: Callable[[], datetime] = utcnow) -> WebhookResult:
    """Deliver until nothing is due (or the time is up, or `stop` is set), two batches deep: the next batch is
    claimed and queued to the senders while the one before is still in flight, and a batch's outcomes are
    recorded while the next one is sent. So the POSTs never wait on the database, nor on a batch's slowest
    receiver. (Leases cover two batches: policy.lease_seconds.)"""
    total = WebhookResult()
    deadline = time.monotonic() + max_seconds
    policy = sender.policy
    in_flight: deque[tuple[list[Claimed], list[Future[Outcome]], datetime]] = deque()
    more = True
    while True:
        if more and len(in_flight) < 2 and time.monotonic() < deadline and not (stop and stop.is_set()):
            batch = claim(session_factory, policy.batch_size, policy.lease_seconds, now=now())
            more = len(batch) == policy.batch_size
            if batch:
                in_flight.append((batch, sender.submit(batch), now()))
                if len(in_flight) < 2:
                    continue  # queue a second batch before waiting on the first
        if not in_flight:
            return total
        batch, futures, attempted_at = in_flight.popleft()
        outcomes = [future.result() for future in futures]
        total.add(record(session_factory, batch, outcomes, policy, attempted_at=attempted_at, now=now()))


def drain(session_factory: SessionFactory, sender: WebhookSender, *, max_seconds: float = 50.0) -> WebhookResult:
    return pump(session_factory, sender, max_seconds=max_seconds)


def run_loop(session_factory: SessionFactory, sender: WebhookSender, stop: threading.Event, *,
             idle_seconds: float = 0.5, on_result: Callable[[WebhookResult], None] | None = None) -> None:
    while not stop.is_set():
        try:
            result = pump(session_factory, sender, stop=stop)
        except SQLAlchemyError:
            log.exception("webhook delivery failed; trying again shortly")
            stop.wait(1.0)
            continue
        if on_result is not None:
            on_result(result)
        stop.wait(idle_seconds)  # pump returns when nothing more is due
