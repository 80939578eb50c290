"""Fan-out: for every status change, who is told, and one outbox row per (change, active device).

Runs as the poll cycle's change hook, inside the transaction that records the change: the change and
its notifications commit together or not at all (transactional outbox).

Each party company's systems get every change too: the event feed and its webhooks (notifications/webhooks.py).

Who is told: the users of every company the agency confirms as a party to the item get its milestones
(a trader's claim is not enough: docs/parties.md); a subscription
(item, else shipment, else company) widens that to details, narrows it to some kinds, or mutes it.

Other news (a notice: e.g. a price that changed) goes to the users its sender names, through the same
notifications, outbox and quiet hours (`notify`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.db import in_values, utcnow
from core.models import User
from notifications.messages import Text, data_payload, is_urgent, render
from notifications.models import Device, Notification, NotificationSettings, OutboxMessage, Subscription
from notifications.quiet_hours import quiet_until
from notifications.webhooks import record_events
from status_tracker.apply import Change
from status_tracker.models import ItemParty
from status_tracker.parties import confirmed


@dataclass(frozen=True)
class Addressee:
    user_id: int
    company_id: int
    locale: str
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None


def wants(change: Change, subscription: Subscription | None) -> bool:
    """Whether a user with this subscription (None: the default) is told about this change."""
    if subscription is None:
        return change.milestone
    if subscription.muted:
        return False
    if subscription.kinds is not None and change.kind not in subscription.kinds:
        return False
    return change.milestone or not subscription.milestones_only


def _parties(session: Session, item_ids: list[int]) -> dict[int, set[int]]:
    companies: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(select(ItemParty.item_id, ItemParty.company_id)
                           .where(in_values(session, ItemParty.item_id, item_ids), confirmed()))
    for item_id, company_id in rows:
        companies[item_id].add(company_id)
    return companies


def _recipients(session: Session, company_ids: set[int]) -> dict[int, list[Addressee]]:
    by_company: dict[int, list[Addressee]] = defaultdict(list)
    rows = session.execute(
        select(User.id, User.company_id, User.locale, User.time_zone,
               NotificationSettings.quiet_start, NotificationSettings.quiet_end)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(in_values(session, User.company_id, list(company_ids)), User.active.is_(True))
    )
    for row in rows:
        by_company[row.company_id].append(Addressee(*row))
    return by_company


def _subscriptions(session: Session, user_ids: list[int]) -> dict[tuple[int, str, int], Subscription]:
    rows = session.scalars(select(Subscription).where(in_values(session, Subscription.user_id, user_ids)))
    return {(s.user_id, s.scope, s.target_id): s for s in rows}


def _most_specific(subscriptions: dict, r: Addressee, change: Change) -> Subscription | None:
    """The user's subscription for the item, else for its shipment, else for the company; else None."""
    for key in ((r.user_id, "item", change.item_id), (r.user_id, "shipment", change.shipment_id),
                (r.user_id, "company", r.company_id)):
        if key in subscriptions:
            return subscriptions[key]
    return None


def fan_out(session: Session, changes: Sequence[Change], *, now: datetime | None = None) -> int:
    """Write the notifications and outbox rows for these changes; returns the number of outbox rows."""
    if not changes:
        return 0
    now = now or utcnow()
    parties = _parties(session, list({c.item_id for c in changes}))
    # Machines first (the feed and webhooks of each party company): they want every change, whoever is told.
    record_events(session, changes, parties, now=now)
    recipients = _recipients(session, set().union(*parties.values()) if parties else set())
    user_ids = [r.user_id for users in recipients.values() for r in users]
    if not user_ids:
        return 0
    subscriptions = _subscriptions(session, user_ids)

    notifications: list[dict] = []
    held_until: dict[tuple[int, int | str], datetime | None] = {}
    for change in changes:
        told: set[int] = set()
        for company_id in parties.get(change.item_id, ()):
            for r in recipients.get(company_id, ()):
                if r.user_id in told:
                    continue
                if not wants(change, _most_specific(subscriptions, r, change)):
                    continue
                told.add(r.user_id)
                urgent = is_urgent(change.stage)
                text = render(change.kind, change.reference, change.code, change.stage, change.note, r.locale)
                public_id = str(uuid.uuid4())
                notifications.append({
                    "public_id": public_id, "user_id": r.user_id, "item_id": change.item_id,
                    "event_id": change.event_id, "urgent": urgent, "title": text.title, "body": text.body,
                    "data": data_payload(public_id, change.item_id, change.kind, change.reference, change.code,
                                         change.stage, change.milestone, change.agency_time,
                                         event_id=change.event_id),
                    "topic": None, "created_at": now,
                })
                # Routine news waits for the end of the user's quiet hours; urgent news does not.
                held_until[(r.user_id, change.event_id)] = None if urgent else quiet_until(
                    r.quiet_start, r.quiet_end, r.time_zone, now)
    return _queue(session, notifications, held_until, now)


def _queue(session: Session, notifications: list[dict], held_until: dict[tuple[int, int | str], datetime | None],
           now: datetime) -> int:
    """Store the notifications and one outbox row per active device of each user; `held_until` by
    (user, event id or topic) says which wait for the end of quiet hours."""
    if not notifications:
        return 0
    stored = session.execute(
        insert(Notification).returning(Notification.id, Notification.user_id, Notification.event_id,
                                       Notification.topic),
        notifications,
    ).all()
    devices: dict[int, list[int]] = defaultdict(list)
    for device_id, user_id in session.execute(
        select(Device.id, Device.user_id).where(
            in_values(session, Device.user_id, list({n["user_id"] for n in notifications})), Device.active.is_(True)
        )
    ):
        devices[user_id].append(device_id)
    outbox = []
    for notification_id, user_id, event_id, topic in stored:
        until = held_until[(user_id, event_id if event_id is not None else topic)]
        for device_id in devices.get(user_id, ()):
            outbox.append({
                "notification_id": notification_id, "event_id": event_id, "device_id": device_id,
                "state": "held" if until else "pending", "attempts": 0, "next_attempt_at": until or now,
                "created_at": now,
            })
    if outbox:
        session.execute(insert(OutboxMessage), outbox)
    return len(outbox)


@dataclass(frozen=True)
class Notice:
    """News that is not an item's status change (e.g. a published price), for users chosen by its sender.

    `texts` holds the title and body per language (core.languages); `topic` says what it is about: pushes of
    one topic replace one another on the phone, and those held through quiet hours are summed up together.
    `data` is the push's data payload beside notification_id and topic (strings only, as FCM wants).
    """

    topic: str
    texts: Mapping[str, Text]
    data: Mapping[str, str]
    urgent: bool = False


def notify(session: Session, notice: Notice, user_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Tell these users (each once; inactive users not) through the outbox, in the caller's transaction, with
    the same quiet hours as status changes; returns the number of outbox rows."""
    now = now or utcnow()
    wanted = sorted(set(user_ids))
    if not wanted:
        return 0
    rows = session.execute(
        select(User.id, User.company_id, User.locale, User.time_zone,
               NotificationSettings.quiet_start, NotificationSettings.quiet_end)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(in_values(session, User.id, wanted), User.active.is_(True))
    )
    notifications: list[dict] = []
    held_until: dict[tuple[int, int | str], datetime | None] = {}
    for r in (Addressee(*row) for row in rows):
        text = notice.texts.get(r.locale) or next(iter(notice.texts.values()))
        public_id = str(uuid.uuid4())
        notifications.append({
            "public_id": public_id, "user_id": r.user_id, "item_id": None, "event_id": None, "topic": notice.topic,
            "urgent": notice.urgent, "title": text.title[:200], "body": text.body[:1000],
            "data": {**notice.data, "notification_id": public_id, "topic": notice.topic}, "created_at": now,
        })
        held_until[(r.user_id, notice.topic)] = None if notice.urgent else quiet_until(
            r.quiet_start, r.quiet_end, r.time_zone, now)
    return _queue(session, notifications, held_until, now)


def release_held(session: Session, *, now: datetime | None = None) -> int:
    """Quiet hours over: per device and item (or notice topic), the newest held message goes out as a digest
    of all of them; the older ones are superseded (the inbox keeps every notification)."""
    now = now or utcnow()
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.device_id, Notification.item_id, Notification.topic)
        .join(Notification, Notification.id == OutboxMessage.notification_id)
        .where(OutboxMessage.state == "held", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
    ).all()
    groups: dict[tuple[int, int | None, str | None], list[int]] = defaultdict(list)
    for outbox_id, device_id, item_id, topic in rows:
        groups[(device_id, item_id, topic)].append(outbox_id)
    released, superseded = [], []
    for ids in groups.values():
        released.append({"id": ids[-1], "state": "pending", "next_attempt_at": now,
                         "digest_count": len(ids) if len(ids) > 1 else None})
        superseded += [{"id": i, "state": "superseded"} for i in ids[:-1]]
    for group in (released, superseded):
        if group:
            session.execute(update(OutboxMessage), group)
    return len(released)
