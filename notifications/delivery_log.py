"""What was pushed about an item, to whom and with what outcome, and sending a notification again: what
the 95198 desk reads and does when a trader says "I never got the push"."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db import get_or_not_found, utcnow
from core.errors import Conflict
from core.models import User
from notifications.models import DeliveryAttempt, Device, Notification, OutboxMessage, Subscription
from status_tracker.models import ClearanceItem, ItemParty
from status_tracker.parties import confirmed


def mask_token(token: str) -> str:
    """Enough of a registration token to tell devices apart on a call, never enough to push to it."""
    return token[:6] + "…" + token[-4:] if len(token) > 16 else "…" + token[-2:]


@dataclass
class Push:
    """One outbox message (one notification to one device) and each try to hand it to FCM."""

    message: OutboxMessage
    device: Device
    attempts: list[DeliveryAttempt] = field(default_factory=list)


@dataclass
class NotificationRecord:
    notification: Notification
    user: User
    pushes: list[Push] = field(default_factory=list)


@dataclass
class PartyUser:
    """A user of a party company, with every device registered to them (active or not)."""

    user: User
    devices: list[Device] = field(default_factory=list)


def item_notifications(session: Session, item: ClearanceItem) -> list[NotificationRecord]:
    """Every notification about the item, oldest first, with its pushes and their delivery attempts."""
    # Nothing about an item is older than the item, nor a push or an attempt older than its notification:
    # the lower bounds keep PostgreSQL to the partitions since then (docs/partitions.md).
    rows = session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.item_id == item.id, Notification.created_at >= item.created_at)
        .order_by(Notification.id)
    ).all()
    records = {n.id: NotificationRecord(n, u) for n, u in rows}
    if not records:
        return []
    since = min(n.created_at for n, _ in rows)
    pushes: dict[int, Push] = {}
    for message, device in session.execute(
        select(OutboxMessage, Device).join(Device, Device.id == OutboxMessage.device_id)
        .where(OutboxMessage.notification_id.in_(list(records)), OutboxMessage.created_at >= since)
        .order_by(OutboxMessage.id)
    ):
        pushes[message.id] = push = Push(message, device)
        records[message.notification_id].pushes.append(push)
    if pushes:
        for attempt in session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.outbox_id.in_(list(pushes)),
                                          DeliveryAttempt.attempted_at >= since)
            .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
        ):
            pushes[attempt.outbox_id].attempts.append(attempt)
    return list(records.values())


def item_recipients(session: Session, item: ClearanceItem) -> list[PartyUser]:
    """The users of the item's party companies and their devices: who could be told about it."""
    companies = select(ItemParty.company_id).where(ItemParty.item_id == item.id, confirmed())
    users = list(session.scalars(select(User).where(User.company_id.in_(companies)).order_by(User.id)))
    devices: dict[int, list[Device]] = defaultdict(list)
    if users:
        for device in session.scalars(
            select(Device).where(Device.user_id.in_([u.id for u in users])).order_by(Device.id)
        ):
            devices[device.user_id].append(device)
    return [PartyUser(u, devices[u.id]) for u in users]


def item_subscriptions(session: Session, item: ClearanceItem) -> list[Subscription]:
    """Subscriptions that reach the item: to it, to its shipment, or to a party company's items."""
    companies = select(ItemParty.company_id).where(ItemParty.item_id == item.id, confirmed())
    scopes = [(Subscription.scope == "item") & (Subscription.target_id == item.id),
              (Subscription.scope == "company") & Subscription.target_id.in_(companies)]
    if item.shipment_id is not None:
        scopes.append((Subscription.scope == "shipment") & (Subscription.target_id == item.shipment_id))
    return list(session.scalars(select(Subscription).where(or_(*scopes)).order_by(Subscription.id)))


def resend(session: Session, notification_id: int, *, now: datetime | None = None) -> list[OutboxMessage]:
    """Push a notification again, now, to each active device of its user (quiet hours do not apply: someone
    asked for it). A device it already went to gets the same outbox message back in the queue, so the
    next try is another delivery attempt of the same notification; a device registered since gets a new one.
    Returns the messages queued."""
    now = now or utcnow()
    notification = get_or_not_found(session, Notification, notification_id, "notification")
    devices = list(session.scalars(
        select(Device).where(Device.user_id == notification.user_id, Device.active.is_(True)).order_by(Device.id)
    ))
    if not devices:
        raise Conflict("the user has no active device: ask them to open the app and allow notifications")
    existing = {
        m.device_id: m for m in session.scalars(
            # A notice's messages have no event: they are its own (one per device).
            select(OutboxMessage).where(OutboxMessage.event_id == notification.event_id
                                        if notification.event_id is not None
                                        else OutboxMessage.notification_id == notification.id,
                                        OutboxMessage.device_id.in_([d.id for d in devices]),
                                        OutboxMessage.created_at >= notification.created_at)
            .with_for_update()
        )
    }
    queued = []
    for device in devices:
        message = existing.get(device.id)
        if message is not None and message.notification_id != notification.id:
            continue  # the phone changed hands since; its earlier owner's message for this change stays theirs
        if message is None:
            message = OutboxMessage(notification_id=notification.id, event_id=notification.event_id,
                                    device_id=device.id)
            session.add(message)
        elif message.state == "pending" and message.leased_until is not None and message.leased_until > now:
            queued.append(message)  # a dispatcher is sending it at this moment
            continue
        # A fresh round: the retry policy starts over, its retry horizon too (counted from created_at, which
        # thus says when it was last queued); the delivery log keeps every earlier attempt.
        message.state = "pending"
        message.attempts = 0
        message.created_at = now
        message.next_attempt_at = now
        message.leased_until = None
        message.last_error = None
        message.digest_count = None
        queued.append(message)
    session.flush()
    return queued
