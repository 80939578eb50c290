"""Fixtures for the dispatcher: the rows a fan-out would have written, the mobile mock, the real SDK sender.

Rows are made the way the application makes them (a company, a user, a tracked item and its status event
through the domain functions), then notifications, devices and outbox rows with plain SQLAlchemy.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from core.accounts import NewUser, create_user
from core.db import utcnow
from mobile_mock import MockState, create_app, make_service_account
from mobile_mock.server import serve_in_thread
from notifications.fcm import FcmSender
from notifications.messages import data_payload, is_urgent, render
from notifications.models import DeliveryAttempt, Device, Notification, OutboxMessage
from status_tracker.apply import StatusUpdate, apply_update
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS, get_kind
from status_tracker.models import ClearanceItem, StatusEvent
from tests.conftest import PASSWORD, make_uscc

PROJECT_ID = "demo-swm"
KIND = "customs_declaration"
REFERENCE = KINDS[KIND].reference_example
_numbers = itertools.count(1000)


def fcm_token() -> str:
    """Shaped like an FCM registration token (the mock is lenient: any token it has not deleted is live)."""
    return f"{uuid.uuid4().hex[:22]}:APA91b{uuid.uuid4().hex * 4}"[:162]


@dataclass
class Pushes:
    """Writes what the fan-out would: notifications of a tracked item's status events, and their outbox rows."""

    sessions: sessionmaker[Session]
    company_id: int = 0
    user_id: int = 0
    item_id: int = 0
    _sequence: itertools.count = field(default_factory=lambda: itertools.count(2))

    def __post_init__(self) -> None:
        with self.sessions.begin() as session:
            n = next(_numbers)
            company = create_company(session, name=f"报关企业{n}", uscc=make_uscc(n), customs_code=f"{3100000000 + n}")
            self.company_id = company.id
            self.user_id = self.new_user(session)
            item, _ = track_item(session, company_id=company.id, user_id=self.user_id, kind=KIND, reference=REFERENCE)
            self.item_id = item.id
            change = apply_update(session, item.id, StatusUpdate("E1", 1, "L", None, utcnow()))
            assert change is not None
            self.first_event_id = change.event_id

    def new_user(self, session: Session, locale: str = "zh-CN") -> int:
        n = next(_numbers)
        user = create_user(session, NewUser(phone=f"139{n:08d}", name=f"用户{n}", password=PASSWORD,
                                            company_id=self.company_id, locale=locale))
        return user.id

    def event(self, code: str = "C") -> int:
        """Another status event of the item (written directly: only its id matters to the dispatcher)."""
        seq = next(self._sequence)
        with self.sessions.begin() as session:
            kind = get_kind(KIND).code(code)
            item_created_at = session.get(ClearanceItem, self.item_id).created_at
            event = StatusEvent(item_id=self.item_id, item_created_at=item_created_at, agency_event_id=f"E{seq}",
                                sequence=seq, native_code=code,
                                stage=kind.stage if kind else None, milestone=bool(kind and kind.milestone),
                                note=None, agency_time=utcnow())
            session.add(event)
            session.flush()
            return event.id

    def device(self, token: str | None = None, *, platform: str = "android", active: bool = True,
               user_id: int | None = None) -> int:
        with self.sessions.begin() as session:
            device = Device(user_id=user_id or self.user_id, token=token or fcm_token(), platform=platform,
                            active=active)
            session.add(device)
            session.flush()
            return device.id

    def notification(self, event_id: int | None = None, *, user_id: int | None = None, lang: str = "zh-CN",
                     created_at: datetime | None = None) -> int:
        event_id = event_id or self.event()
        with self.sessions.begin() as session:
            row = _notification_row(session.get(StatusEvent, event_id), user_id or self.user_id, lang)
            if created_at is not None:
                row["created_at"] = created_at
            return session.execute(insert(Notification).returning(Notification.id), [row]).scalar_one()

    def outbox(self, notification_id: int, device_id: int, **fields: Any) -> int:
        with self.sessions.begin() as session:
            event_id = session.scalar(select(Notification.event_id).where(Notification.id == notification_id))
            fields = {"next_attempt_at": utcnow() - timedelta(seconds=1)} | fields  # due now
            row = OutboxMessage(notification_id=notification_id, event_id=event_id, device_id=device_id, **fields)
            session.add(row)
            session.flush()
            return row.id

    def push(self, device_id: int, **fields: Any) -> int:
        """A new status event told to the device's owner: one outbox row, due now (queued with its
        notification: an outbox row is never older than its notification)."""
        return self.outbox(self.notification(created_at=fields.get("created_at")), device_id, **fields)

    def row(self, outbox_id: int) -> OutboxMessage:
        with self.sessions() as session:
            return session.get(OutboxMessage, outbox_id)

    def rows(self) -> list[OutboxMessage]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def attempts(self, outbox_id: int | None = None) -> list[DeliveryAttempt]:
        query = select(DeliveryAttempt).order_by(DeliveryAttempt.outbox_id, DeliveryAttempt.attempted_at)
        if outbox_id is not None:
            query = query.where(DeliveryAttempt.outbox_id == outbox_id)
        with self.sessions() as session:
            return list(session.scalars(query))

    def active(self, device_id: int) -> bool:
        with self.sessions() as session:
            return session.get(Device, device_id).active

    def bulk(self, users: int, devices_per_user: int, events: int) -> list[str]:
        """users × events notifications, each to all of its user's devices, inserted in bulk; the tokens."""
        with self.sessions.begin() as session:
            user_ids = [self.user_id] + [self.new_user(session) for _ in range(users - 1)]
        event_ids = [self.event() for _ in range(events)]
        tokens = {u: [fcm_token() for _ in range(devices_per_user)] for u in user_ids}
        with self.sessions.begin() as session:
            now = utcnow()
            session.execute(insert(Device), [{"user_id": u, "token": t, "platform": "android", "active": True,
                                              "created_at": now, "last_seen_at": now}
                                             for u in user_ids for t in tokens[u]])
            devices = {u: list(session.scalars(select(Device.id).where(Device.user_id == u))) for u in user_ids}
            stored = {e.id: e for e in session.scalars(select(StatusEvent).where(StatusEvent.id.in_(event_ids)))}
            session.execute(insert(Notification), [_notification_row(stored[e], u, "zh-CN")
                                                   for u in user_ids for e in event_ids])
            notes = session.execute(select(Notification.id, Notification.user_id, Notification.event_id)
                                    .where(Notification.event_id.in_(event_ids))).all()
            session.execute(insert(OutboxMessage), [
                {"notification_id": n.id, "event_id": n.event_id, "device_id": d, "state": "pending", "attempts": 0,
                 "next_attempt_at": now, "created_at": now}
                for n in notes for d in devices[n.user_id]])
        return [t for u in user_ids for t in tokens[u]]


def _notification_row(event: StatusEvent, user_id: int, lang: str) -> dict[str, Any]:
    public_id = str(uuid.uuid4())
    text = render(KIND, REFERENCE, event.native_code, event.stage, event.note, lang)
    data = data_payload(public_id, event.item_id, KIND, REFERENCE, event.native_code, event.stage, event.milestone,
                        event.agency_time)
    return {"public_id": public_id, "user_id": user_id, "item_id": event.item_id, "event_id": event.id,
            "urgent": is_urgent(event.stage), "title": text.title, "body": text.body, "data": data,
            "created_at": utcnow()}


@pytest.fixture
def pushes(sessions: sessionmaker[Session]) -> Pushes:
    return Pushes(sessions)


# --- the mobile mock, served over a real socket, and the real SDK pointed at it ---

@pytest.fixture(scope="session")
def service_account() -> dict[str, Any]:
    return make_service_account(PROJECT_ID, "http://127.0.0.1/token")  # token_uri set once the port is known


@dataclass
class LiveMock:
    base_url: str
    app: Flask
    state: MockState
    service_account: dict[str, Any]

    def faults(self, plan: dict[str, Any]) -> None:
        requests.post(f"{self.base_url}/admin/faults", json=plan, timeout=5).raise_for_status()

    def deliveries(self) -> list[dict[str, Any]]:
        """Every message the mock accepted, oldest first."""
        found: list[dict[str, Any]] = []
        after = 0
        while True:
            page = requests.get(f"{self.base_url}/admin/messages", params={"after": after, "limit": 100_000},
                                timeout=30).json()
            found += page["messages"]
            if not page["messages"] or page["last_seq"] >= page["newest_seq"]:
                return found
            after = page["last_seq"]

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.base_url}/admin/stats", params={"per_token": 0}, timeout=5).json()


@pytest.fixture
def live_mock(service_account: dict[str, Any]) -> Iterator[LiveMock]:
    app = create_app({"SERVICE_ACCOUNTS": [service_account]})
    base_url, stop = serve_in_thread(app)
    try:
        yield LiveMock(base_url, app, app.extensions["mobile_mock"],
                       service_account | {"token_uri": f"{base_url}/token"})
    finally:
        stop()


@pytest.fixture
def fcm(live_mock: LiveMock) -> Iterator[FcmSender]:
    sender = FcmSender(live_mock.service_account, endpoint=live_mock.base_url, app_name=f"test-{uuid.uuid4()}")
    try:
        yield sender
    finally:
        sender.close()
