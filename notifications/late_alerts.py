"""Late alerts: one "taking longer than usual" push per item and stage, to the users of its agency-confirmed
parties, when the item has sat in its stage past the p90 of comparable items (status_tracker/lateness.py).

Like other routine news it waits out the user's quiet hours, and a muted subscription (or one narrowed to other
kinds) silences it; a user who subscribed to milestones only still gets it (it is about a milestone not yet
reached). The alert is recorded once per item and stage (late_alerts, unique), whoever it reached, so the next
run never repeats it; the desk's case page lists it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.db import in_values, utcnow
from notifications.fanout import _most_specific, _parties, _recipients, _subscriptions
from notifications.messages import data_payload, render_late
from notifications.models import Device, LateAlert, Notification, OutboxMessage, Subscription
from notifications.quiet_hours import quiet_until
from status_tracker.lateness import Overdue, StatisticsCache, overdue_items
from status_tracker.models import StatusEvent


def _silenced(subscription: Subscription | None, kind: str) -> bool:
    if subscription is None:
        return False
    return subscription.muted or (subscription.kinds is not None and kind not in subscription.kinds)


def _stage_events(session: Session, overdue: list[Overdue]) -> dict[tuple[int, str], tuple[int, str]]:
    """Per item and stage, the receipt that began the stage (its event id and code): what the alert is about."""
    rows = session.execute(
        select(StatusEvent.item_id, StatusEvent.stage, func.min(StatusEvent.sequence))
        .where(in_values(session, StatusEvent.item_id, [o.item_id for o in overdue]))
        .group_by(StatusEvent.item_id, StatusEvent.stage)
    ).all()
    wanted = {(item_id, stage): sequence for item_id, stage, sequence in rows}
    found = {}
    for o in overdue:
        sequence = wanted.get((o.item_id, o.stage.value))
        if sequence is None:
            continue
        event = session.execute(select(StatusEvent.id, StatusEvent.native_code).where(
            StatusEvent.item_id == o.item_id, StatusEvent.sequence == sequence)).first()
        if event is not None:
            found[(o.item_id, o.stage.value)] = (event.id, event.native_code)
    return found


def send_late_alerts(session: Session, *, now: datetime | None = None, cache: StatisticsCache | None = None) -> int:
    """Alert the parties of every newly overdue item; returns how many alerts were recorded. The scheduler passes
    the cache it keeps the clearance-time statistics in between runs."""
    now = now or utcnow()
    overdue = overdue_items(session, now=now, cache=cache)
    if not overdue:
        return 0
    done = {tuple(row) for row in session.execute(select(LateAlert.item_id, LateAlert.stage).where(
        in_values(session, LateAlert.item_id, list({o.item_id for o in overdue}))))}
    fresh = [o for o in overdue if (o.item_id, o.stage.value) not in done]
    if not fresh:
        return 0
    events = _stage_events(session, fresh)
    fresh = [o for o in fresh if (o.item_id, o.stage.value) in events]
    parties = _parties(session, list({o.item_id for o in fresh}))
    recipients = _recipients(session, set().union(*parties.values()) if parties else set())
    subscriptions = _subscriptions(session, [r.user_id for users in recipients.values() for r in users])

    notifications: list[dict] = []
    held: dict[tuple[int, int], datetime | None] = {}
    alerts: list[dict] = []
    for o in fresh:
        event_id, code = events[(o.item_id, o.stage.value)]
        about = SimpleNamespace(item_id=o.item_id, shipment_id=o.shipment_id)
        told: set[int] = set()
        for company_id in parties.get(o.item_id, ()):
            for r in recipients.get(company_id, ()):
                if r.user_id in told or _silenced(_most_specific(subscriptions, r, about), o.kind):
                    continue
                told.add(r.user_id)
                text = render_late(o.kind, o.reference, o.stage.value, o.usual.to_stage.value, o.entered_at,
                                   o.usual.p50_seconds, o.usual.p90_seconds, now, r.locale, r.time_zone)
                public_id = str(uuid.uuid4())
                data = data_payload(public_id, o.item_id, o.kind, o.reference, code, o.stage.value, False,
                                    o.entered_at) | {"reason": "late"}
                notifications.append({
                    "public_id": public_id, "user_id": r.user_id, "item_id": o.item_id, "event_id": event_id,
                    "reason": "late", "urgent": False, "title": text.title, "body": text.body, "data": data,
                    "created_at": now,
                })
                held[(r.user_id, event_id)] = quiet_until(r.quiet_start, r.quiet_end, r.time_zone, now)
        alerts.append({
            "item_id": o.item_id, "stage": o.stage.value, "entered_at": o.entered_at,
            "next_stage": o.usual.to_stage.value, "p50_seconds": o.usual.p50_seconds,
            "p90_seconds": o.usual.p90_seconds, "samples": o.usual.samples, "customs_office": o.customs_office,
            "recipients": len(told), "created_at": now,
        })
    session.execute(insert(LateAlert), alerts)
    if notifications:
        stored = session.execute(insert(Notification).returning(Notification.id, Notification.user_id,
                                                                Notification.event_id), notifications).all()
        devices: dict[int, list[int]] = defaultdict(list)
        for device_id, user_id in session.execute(select(Device.id, Device.user_id).where(
                in_values(session, Device.user_id, list({n["user_id"] for n in notifications})),
                Device.active.is_(True))):
            devices[user_id].append(device_id)
        outbox = [{"notification_id": notification_id, "event_id": event_id, "device_id": device_id,
                   "state": "held" if held[(user_id, event_id)] else "pending", "attempts": 0,
                   "next_attempt_at": held[(user_id, event_id)] or now, "created_at": now}
                  for notification_id, user_id, event_id in stored for device_id in devices.get(user_id, ())]
        if outbox:
            session.execute(insert(OutboxMessage), outbox)
    return len(alerts)
