"""Every table of the application, imported in one place for Alembic and for creating test databases."""

from __future__ import annotations

from app.web.auth.models import LoginSession
from app.web.idempotency import IdempotencyRecord
from core.api_keys import ApiKey
from core.db import Base
from core.models import Company, User
from desk.models import AuditEntry, CaseNote
from notifications.models import (
    DeliveryAttempt,
    Device,
    Notification,
    NotificationSettings,
    OutboxMessage,
    Subscription,
)
from notifications.webhooks import CompanyEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from port_charges.models import ChargeAudit, ChargeFollow, ChargingEnterprise, FeeVersion, Port
from status_tracker.models import AgencyState, ClearanceItem, ItemParty, QuarantinedReceipt, Shipment, StatusEvent

__all__ = [
    "AgencyState",
    "ApiKey",
    "AuditEntry",
    "Base",
    "CaseNote",
    "ChargeAudit",
    "ChargeFollow",
    "ChargingEnterprise",
    "CompanyEvent",
    "ClearanceItem",
    "Company",
    "DeliveryAttempt",
    "Device",
    "FeeVersion",
    "IdempotencyRecord",
    "ItemParty",
    "LoginSession",
    "Notification",
    "NotificationSettings",
    "OutboxMessage",
    "Port",
    "QuarantinedReceipt",
    "Shipment",
    "StatusEvent",
    "Subscription",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
