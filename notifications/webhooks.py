"""Machine-to-machine delivery of status changes: the company event feed and webhook endpoints.

Each status change a company may see becomes one `company_events` row (the pull feed, GET /events) and one
`webhook_deliveries` row per matching endpoint of the company (the webhook outbox), written by the fan-out
in the transaction that records the change: the change, the pushes, the feed and the webhooks commit
together or not at all. `notifications/webhook_sender.py` sends the deliveries.

The event id is the status event's id: the same number is in the push data (`event_id`), in the inbox
(`data.event_id`), in the feed and in every webhook (`data.event_id`, and `webhook-id: evt_<id>`), so a
consumer reading several channels keeps each change once.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, BigId, JSONType, UTCDateTime, get_or_not_found, in_values, utcnow
from core.errors import Invalid
from core.models import Role, User
from notifications.models import Notification
from status_tracker.apply import Change
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem
from status_tracker.parties import confirmed_party
from status_tracker.stages import Stage

STATUS_CHANGED = "clearance.status_changed"
TEST_EVENT = "webhook.test"
MAX_URL_LENGTH = 2000
DELIVERY_STATES = ("pending", "delivered", "failed", "paused")


class CompanyEvent(Base):
    """One status change as one company sees it: a page of the pull feed, and what its webhooks carry."""

    __tablename__ = "company_events"
    __table_args__ = (
        UniqueConstraint("company_id", "event_id"),
        Index("ix_company_events_company_id_id", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # the feed's order
    company_id: Mapped[int] = mapped_column(BigId, ForeignKey("companies.id", ondelete="CASCADE"))
    # No foreign key: status events are partitioned (docs/partitions.md) and kept far longer than the feed.
    event_id: Mapped[int] = mapped_column(BigId)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("clearance_items.id", ondelete="CASCADE"))
    body: Mapped[dict] = mapped_column(JSONType)  # {type, timestamp, data}: the webhook body as an object
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(BigId, ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    description: Mapped[str | None] = mapped_column(String(200))
    kinds: Mapped[list[str] | None] = mapped_column(JSONType)  # None: every kind
    stages: Mapped[list[str] | None] = mapped_column(JSONType)  # None: every stage
    milestones_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # Standard Webhooks secret ("whsec_" + base64); the previous one still signs until previous_until.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when every try failed (None: the last one worked); a day of it disables the endpoint.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while its overlap lasts (receivers accept either)."""
        if self.previous_secret and self.previous_until and now < self.previous_until:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(Base):
    """One event for one endpoint: the webhook outbox row (pending → delivered | failed; paused while the
    endpoint is disabled)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    company_event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("company_events.id", ondelete="CASCADE"),
                                                         index=True)
    message_id: Mapped[str] = mapped_column(String(64))  # webhook-id: the same on every retry and replay
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent (UTF-8 JSON)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """Each try of a delivery: the endpoint's delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                                             index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(12))  # delivered, retry, gone, failed
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    response_snippet: Mapped[str | None] = mapped_column(String(500))


# --- what a change looks like to machines -------------------------------------------------------------------

def event_body(change: Change, *, now: datetime) -> dict[str, Any]:
    """The webhook body (api_spec/webhook_payload.schema.json) and the feed entry of a change."""
    return {
        "type": STATUS_CHANGED,
        "timestamp": now.isoformat(),
        "data": {
            "event_id": change.event_id,
            "item_id": change.item_id,
            "kind": change.kind,
            "reference": change.reference,
            "native_code": change.code,
            "stage": change.stage,
            "milestone": change.milestone,
            "note": change.note,
            "agency_time": change.agency_time.isoformat(),
        },
    }


def message_id(event_id: int) -> str:
    return f"evt_{event_id}"


def encode(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def matches(endpoint: WebhookEndpoint, change: Change) -> bool:
    if endpoint.kinds is not None and change.kind not in endpoint.kinds:
        return False
    if endpoint.stages is not None and (change.stage or "") not in endpoint.stages:
        return False
    return change.milestone or not endpoint.milestones_only


def record_events(session: Session, changes: Sequence[Change], parties: dict[int, set[int]], *,
                  now: datetime) -> int:
    """The feed rows and webhook deliveries of these changes for every company the agency confirms as a party
    (`parties`: item id → company ids). Part of the fan-out's transaction. Returns the deliveries written."""
    rows = [{"company_id": company_id, "event_id": change.event_id, "item_id": change.item_id,
             "body": event_body(change, now=now), "created_at": now}
            for change in changes for company_id in sorted(parties.get(change.item_id, ()))]
    if not rows:
        return 0
    stored = session.execute(
        insert(CompanyEvent).returning(CompanyEvent.id, CompanyEvent.company_id, CompanyEvent.event_id), rows,
    ).all()
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in session.scalars(select(WebhookEndpoint).where(
            in_values(session, WebhookEndpoint.company_id, sorted({r["company_id"] for r in rows})))):
        endpoints[endpoint.company_id].append(endpoint)
    if not endpoints:
        return 0
    by_event = {change.event_id: change for change in changes}
    deliveries = []
    for company_event_id, company_id, event_id in stored:
        change = by_event[event_id]
        body = None
        for endpoint in endpoints.get(company_id, ()):
            if matches(endpoint, change):
                body = body or encode(event_body(change, now=now))
                deliveries.append({"endpoint_id": endpoint.id, "company_event_id": company_event_id,
                                   "message_id": message_id(event_id), "event_type": STATUS_CHANGED, "body": body,
                                   # An endpoint that is off keeps its changes for when it is on again.
                                   "state": "pending" if endpoint.active else "paused", "attempts": 0,
                                   "next_attempt_at": now, "created_at": now})
    if deliveries:
        session.execute(insert(WebhookDelivery), deliveries)
    return len(deliveries)


# --- the pull feed ---------------------------------------------------------------------------------------------

def encode_feed_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"ev1:{last_id}".encode()).decode().rstrip("=")


def decode_feed_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, value = raw.partition(":")
        if version != "ev1" or not value.isdigit():
            raise ValueError(raw)
        return int(value)
    except ValueError:
        raise Invalid("after", "not a cursor this feed gave") from None


def feed(session: Session, company_id: int, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], str]:
    """The company's events after the cursor, oldest first, and the cursor to ask with next (the same one when
    caught up: an empty page). Only items the agency still names the company a party to are shown."""
    after_id = decode_feed_cursor(after) if after else 0
    rows = session.execute(
        select(CompanyEvent.id, CompanyEvent.body)
        .join(ClearanceItem, ClearanceItem.id == CompanyEvent.item_id)
        .where(CompanyEvent.company_id == company_id, CompanyEvent.id > after_id, confirmed_party(company_id))
        .order_by(CompanyEvent.id).limit(limit)
    ).all()
    events = [{"id": message_id(body["data"]["event_id"]), **body} for _, body in rows]
    return events, encode_feed_cursor(rows[-1].id if rows else after_id)


# --- endpoints -------------------------------------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def address_problem(address: str) -> str | None:
    """Why an address may not be called from production (SSRF), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        return "a private or reserved address"
    return None


def resolve(host: str, port: int) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a webhook URL is refused, or None: http(s) only, with a host; in production (allow_private False)
    no name or address that leads to loopback, link-local, private or reserved addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "http or https only"
    if not parts.hostname:
        return "a URL with a host"
    if parts.username or parts.password:
        return "no credentials in the URL; verify the signature instead"
    if allow_private:
        return None
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError):
        return "a host name that resolves"
    for address in addresses:
        problem = address_problem(address)
        if problem:
            return f"not {problem} ({address})"
    return None


def _check_filters(kinds: list[str] | None, stages: list[str] | None) -> None:
    for field, values, allowed in (("kinds", kinds, set(KINDS)), ("stages", stages, {s.value for s in Stage})):
        for value in values or ():
            if value not in allowed:
                raise Invalid(field, f"unknown {field[:-1]} {value!r}")


def create_endpoint(session: Session, company_id: int, *, url: str, allow_private: bool,
                    description: str | None = None, kinds: list[str] | None = None, stages: list[str] | None = None,
                    milestones_only: bool = False) -> WebhookEndpoint:
    problem = url_problem(url, allow_private=allow_private)
    if problem:
        raise Invalid("url", problem)
    _check_filters(kinds, stages)
    endpoint = WebhookEndpoint(company_id=company_id, url=url, description=description, kinds=kinds, stages=stages,
                               milestones_only=milestones_only, secret=new_secret(), active=True, created_at=utcnow())
    session.add(endpoint)
    session.flush()
    return endpoint


def company_endpoints(session: Session, company_id: int) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
                                .order_by(WebhookEndpoint.id)))


def get_endpoint(session: Session, company_id: int, endpoint_id: int) -> WebhookEndpoint:
    return get_or_not_found(session, WebhookEndpoint, endpoint_id, "webhook endpoint",
                            lambda endpoint: endpoint.company_id == company_id)


def update_endpoint(session: Session, endpoint: WebhookEndpoint, changes: dict[str, Any], *,
                    allow_private: bool) -> WebhookEndpoint:
    if "url" in changes:
        problem = url_problem(changes["url"], allow_private=allow_private)
        if problem:
            raise Invalid("url", problem)
    _check_filters(changes.get("kinds"), changes.get("stages"))
    for name in ("url", "description", "kinds", "stages", "milestones_only"):
        if name in changes:
            setattr(endpoint, name, changes[name])
    if changes.get("active") is True and not endpoint.active:
        enable(session, endpoint)
    elif changes.get("active") is False and endpoint.active:
        disable(session, endpoint, "disabled by the company", tell=False)
    session.flush()
    return endpoint


def enable(session: Session, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> None:
    """Back on: what waited while it was off goes out now, each with a fresh day of retries."""
    now = now or utcnow()
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = True, None, None, None
    session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                  WebhookDelivery.state == "paused")
                    .values(state="pending", next_attempt_at=now, created_at=now, attempts=0, leased_until=None)
                    .execution_options(synchronize_session=False))


def disable(session: Session, endpoint: WebhookEndpoint, reason: str, *, tell: bool = True,
            now: datetime | None = None) -> None:
    """Off: nothing more is sent; what waits is paused (enabling it again sends it). With `tell`, the
    company's admins (else all its users) find why in their inbox."""
    now = now or utcnow()
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, reason[:200], now
    session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                  WebhookDelivery.state == "pending")
                    .values(state="paused", leased_until=None).execution_options(synchronize_session=False))
    if tell:
        tell_company(session, endpoint, reason, now=now)


def tell_company(session: Session, endpoint: WebhookEndpoint, reason: str, *, now: datetime) -> int:
    users = list(session.execute(select(User.id, User.locale, User.role).where(
        User.company_id == endpoint.company_id, User.active.is_(True))))
    admins = [u for u in users if u.role == Role.COMPANY_ADMIN]
    rows = []
    for user in admins or users:
        zh = user.locale == "zh-CN"
        title = "Webhook 已停用" if zh else "Webhook disabled"
        body = (f"{endpoint.url} 已停止接收状态推送：{reason}。修复后请重新启用。" if zh else
                f"{endpoint.url} no longer receives status changes: {reason}. Enable it again once fixed.")
        rows.append({"public_id": str(uuid.uuid4()), "user_id": user.id, "item_id": None, "event_id": None,
                     "urgent": True, "title": title, "body": body[:1000], "created_at": now,
                     "data": {"type": "webhook_disabled", "endpoint_id": str(endpoint.id), "reason": reason[:200]}})
    if rows:
        session.execute(insert(Notification), rows)
    return len(rows)


def rotate_secret(session: Session, endpoint: WebhookEndpoint, *, overlap: timedelta,
                  now: datetime | None = None) -> str:
    """A new secret; the old one keeps signing beside it (two signatures per message) for `overlap`, so the
    receiver can switch without losing a message."""
    now = now or utcnow()
    endpoint.previous_secret, endpoint.previous_until = endpoint.secret, now + overlap
    endpoint.secret = new_secret()
    session.flush()
    return endpoint.secret


def send_test(session: Session, endpoint: WebhookEndpoint, *, now: datetime | None = None) -> WebhookDelivery:
    now = now or utcnow()
    body = {"type": TEST_EVENT, "timestamp": now.isoformat(),
            "data": {"endpoint_id": endpoint.id, "message": "a test event: your endpoint receives our webhooks"}}
    delivery = WebhookDelivery(endpoint_id=endpoint.id, message_id=f"test_{uuid.uuid4().hex}", event_type=TEST_EVENT,
                               body=encode(body), state="pending" if endpoint.active else "paused", attempts=0,
                               next_attempt_at=now, created_at=now)
    session.add(delivery)
    session.flush()
    return delivery


def deliveries(session: Session, endpoint: WebhookEndpoint, *, state: str | None, limit: int,
               before: int | None = None) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The endpoint's delivery log, newest first, each delivery with its attempts."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if state:
        query = query.where(WebhookDelivery.state == state)
    if before:
        query = query.where(WebhookDelivery.id < before)
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))
    attempts: dict[int, list[WebhookAttempt]] = defaultdict(list)
    if rows:
        for attempt in session.scalars(select(WebhookAttempt).where(
                in_values(session, WebhookAttempt.delivery_id, [d.id for d in rows])).order_by(WebhookAttempt.id)):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts[d.id]) for d in rows]


def replay(session: Session, endpoint: WebhookEndpoint, *, delivery_id: int | None = None,
           since: datetime | None = None, now: datetime | None = None) -> int:
    """Send again (same webhook-id and body, fresh signature): one delivery, or every one created since a time.
    Each gets a fresh round of retries; paused while the endpoint is off. Returns how many."""
    now = now or utcnow()
    query = update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if delivery_id is not None:
        get_or_not_found(session, WebhookDelivery, delivery_id, "delivery", lambda d: d.endpoint_id == endpoint.id)
        query = query.where(WebhookDelivery.id == delivery_id)
    else:
        query = query.where(WebhookDelivery.created_at >= since)
    state = "pending" if endpoint.active else "paused"
    return session.execute(query.values(state=state, attempts=0, next_attempt_at=now, created_at=now,
                                        leased_until=None, delivered_at=None)
                           .execution_options(synchronize_session=False)).rowcount or 0


def prune(session: Session, *, older_than: datetime) -> int:
    """Forget feed events (and their deliveries) recorded before `older_than`, and old test deliveries."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.company_event_id.is_(None),
                                                  WebhookDelivery.created_at < older_than))
    return session.execute(delete(CompanyEvent).where(CompanyEvent.created_at < older_than)).rowcount or 0
