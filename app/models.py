"""Every table of the application, imported in one place for Alembic and for creating test databases."""

from __future__ import annotations

from app.auth.models import LoginSession
from app.desk.models import AuditEntry, CaseNote
from app.idempotency import IdempotencyRecord
from notifications.models import (
    DeliveryAttempt,
    Device,
    Notification,
    NotificationSettings,
    OutboxMessage,
    Subscription,
)
from status_tracker.db import Base
from status_tracker.models import (
    AgencyState,
    ClearanceItem,
    Company,
    ItemParty,
    QuarantinedReceipt,
    Shipment,
    StatusEvent,
    User,
)

__all__ = [
    "AgencyState",
    "AuditEntry",
    "Base",
    "CaseNote",
    "ClearanceItem",
    "Company",
    "DeliveryAttempt",
    "Device",
    "IdempotencyRecord",
    "ItemParty",
    "LoginSession",
    "Notification",
    "NotificationSettings",
    "OutboxMessage",
    "QuarantinedReceipt",
    "Shipment",
    "StatusEvent",
    "Subscription",
    "User",
]
