"""Devices that receive pushes and the subscriptions that say what a user wants pushed."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, JSONType, UTCDateTime, utcnow

PLATFORMS = ("android", "ios", "web")
# FCM's registration tokens are ~160 characters today; Google gave 4 KiB as their bound (docs/input-limits.md).
MAX_TOKEN_LENGTH = 4096
SCOPES = ("item", "shipment", "company")


class Device(Base):
    """A phone's FCM registration token, owned by the user who registered it last."""

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_user_active", "user_id", "active"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(MAX_TOKEN_LENGTH))
    # Unique on the token's digest, not on the token: tokens may reach 4 KiB, and PostgreSQL's btree cannot
    # index an entry over 2704 bytes. Computed from the token on every insert, ORM or Core (executemany too).
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True,
                                              default=lambda ctx: token_digest(ctx.get_current_parameters()["token"]))
    platform: Mapped[str] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(40))
    # The login session that registered it: logging out of that session silences this device.
    session_id: Mapped[str | None] = mapped_column(String(36), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def token_digest(token: str) -> str:
    """How a device is found by its token (the unique index is on this)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Subscription(Base):
    """A user's wish about pushes for one item, one shipment or a whole company's items.

    Without any subscription a user still gets the milestones of the items their company is a party to;
    a subscription widens (details too, other scopes) or narrows (kinds, muted) that default.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "scope", "target_id"),
        CheckConstraint("scope IN ('item', 'shipment', 'company')", name="scope"),
        Index("ix_subscriptions_scope_target", "scope", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(10))
    # The item, shipment or company id, by scope (one column keeps "one subscription per target" simple).
    target_id: Mapped[int] = mapped_column(BigId)
    kinds: Mapped[list[str] | None] = mapped_column(JSONType)
    milestones_only: Mapped[bool] = mapped_column(Boolean, default=True)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationSettings(Base):
    """A user's quiet hours, read in the user's own time zone (users.time_zone)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00"; both NULL: no quiet hours
    quiet_end: Mapped[str | None] = mapped_column(String(5))  # "07:30"; may be before start (over midnight)


class Notification(Base):
    """One status change (or notice) told to one user: the in-app inbox entry, and what every push of it carries.

    `public_id` is the stable notification id in the push payload: a phone that receives a message twice
    (at-least-once delivery) drops the second by it, and the inbox lists each change once.

    On PostgreSQL partitioned by month of created_at (docs/partitions.md): unique constraints include it, and
    no foreign key points at the partitioned status events (retention removes history oldest first instead).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per user, event and reason: the change itself, and a late alert about the stage
        # that event began (notifications/late_alerts.py); with the partition key, as PostgreSQL requires.
        UniqueConstraint("user_id", "event_id", "reason", "created_at"),
        UniqueConstraint("public_id", "created_at"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A status change's item and event; NULL for other news: a notice, which names its
    # `topic` instead, or news about the company's own set-up (a webhook endpoint disabled), inbox only.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("clearance_items.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(BigId)
    # What a notice is about (e.g. one fee item's price): its pushes replace one another on the phone and
    # its messages held through quiet hours are summed up together, as an item's are.
    topic: Mapped[str | None] = mapped_column(String(60))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # goes through quiet hours
    reason: Mapped[str] = mapped_column(String(8), default="status", server_default="status")  # status | late
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    data: Mapped[dict] = mapped_column(JSONType)  # the push data payload, as sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


OUTBOX_STATES = ("pending", "held", "sent", "dead", "cancelled", "superseded")


class OutboxMessage(Base):
    """One push of one notification to one device: written with the status change, sent by the dispatcher.

    pending → sent | pending (retry later) | dead (gave up: dead letter) | cancelled (device gone);
    held (quiet hours) → pending when they end, or superseded by a newer message of the same item.

    On PostgreSQL partitioned by day of created_at (docs/partitions.md): sent rows stay behind in their day's
    partition, which nothing updates once the retry horizon is past, and leave with it at retention.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "device_id", "created_at"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_device_state", "device_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(BigId, index=True)
    event_id: Mapped[int | None] = mapped_column(BigId)  # NULL for a notice's push (one per notification and device)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A dispatcher that claimed the row owns it until then; after a crash the lease runs out and the
    # row is sent again (at least once; the phone drops the duplicate by notification id).
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Set when quiet hours ended and this message stands for several held ones of the same item.
    digest_count: Mapped[int | None] = mapped_column(Integer)
    fcm_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryAttempt(Base):
    """Each try to hand an outbox message to FCM, and what FCM said: the delivery log the desk reads.
    On PostgreSQL partitioned by day of attempted_at (docs/partitions.md)."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(BigId, index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))  # sent, retry, dead_token, failed
    error_code: Mapped[str | None] = mapped_column(String(60))
    fcm_message_id: Mapped[str | None] = mapped_column(String(200))


class LateAlert(Base):
    """A "taking longer than usual" alert: one per item and stage, whoever it reached (late_alerts.py)."""

    __tablename__ = "late_alerts"
    __table_args__ = (UniqueConstraint("item_id", "stage"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("clearance_items.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)  # agency time the item entered the stage
    next_stage: Mapped[str] = mapped_column(String(20))  # the usual next stage, whose times were compared
    p50_seconds: Mapped[float] = mapped_column(Float)
    p90_seconds: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    customs_office: Mapped[str | None] = mapped_column(String(4))  # None: the whole kind's times were used
    recipients: Mapped[int] = mapped_column(Integer)  # users told
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
