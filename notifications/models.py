"""Devices that receive pushes and the subscriptions that say what a user wants pushed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from status_tracker.db import Base, BigId, JSONType, UTCDateTime, utcnow

PLATFORMS = ("android", "ios", "web")
SCOPES = ("item", "shipment", "company")


class Device(Base):
    """A phone's FCM registration token, owned by the user who registered it last."""

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_user_active", "user_id", "active"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(4096), unique=True)
    platform: Mapped[str] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(40))
    # The login session that registered it: logging out of that session silences this device.
    session_id: Mapped[str | None] = mapped_column(String(36), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
