"""What the browser tests do to the phone page and to the backend behind it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect

from app.processes.seed import DEMO_PASSWORD, HISTORY_PER_KIND
from app.processes.seed import seed_history as seed_history_rows
from app.web.extensions import db
from notifications.fanout import fan_out
from notifications.messages import build_push, data_payload, render
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.kinds import KINDS

CONSIGNEE = "13800000002"
UNRELATED = "13800000004"


@dataclass
class Phone:
    """The page object: log in, move between screens, read what the page shows."""

    page: Page
    stack: Any  # conftest.Stack

    def open(self, route: str = "") -> Phone:
        self.page.goto(self.stack.phone_url + route)
        return self

    def login(self, phone: str = CONSIGNEE, password: str = DEMO_PASSWORD) -> Phone:
        self.open()
        self.page.get_by_test_id("login-phone").fill(phone)
        self.page.get_by_test_id("login-password").fill(password)
        self.page.get_by_test_id("login-submit").click()
        expect(self.page.get_by_test_id("items-view")).to_be_visible()
        return self

    def wait_live(self) -> None:
        """The push stream is open and the first catch-up has run."""
        expect(self.page.get_by_test_id("stream-status")).to_have_attribute("data-state", "live")

    def tab(self, name: str) -> None:
        self.page.get_by_test_id(f"tab-{name}").click()
        expect(self.page.get_by_test_id(f"{name}-view")).to_be_visible()

    def by(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def rows(self) -> Locator:
        return self.by("item-row")

    def inbox_entries(self, notification_id: str | None = None) -> Locator:
        if notification_id is None:
            return self.by("inbox-entry")
        return self.page.locator(f'[data-testid="inbox-entry"][data-notification-id="{notification_id}"]')

    def toasts(self, notification_id: str) -> Locator:
        return self.page.locator(f'[data-testid="toast"][data-notification-id="{notification_id}"]')

    def session(self, key: str) -> Any:
        raw = self.page.evaluate("key => sessionStorage.getItem('swm.' + key)", key)
        return json.loads(raw) if raw else None


def happen(stack: Any, item_id: int, codes: list[str], *, notes: dict[str, str] | None = None,
           notify: bool = False, start: int = 1, last_at: datetime | None = None) -> None:
    """The agency reports these codes for the item (oldest first, an hour apart, the last at `last_at` or now),
    as a poll cycle would apply them; with `notify`, the fan-out writes the inbox rows and outbox messages in
    the same transaction."""
    base = (last_at or datetime.now(UTC)) - timedelta(hours=len(codes))
    with stack.api.app_context():
        for n, code in enumerate(codes, start=start):
            update = StatusUpdate(f"browser-{item_id}-{n}", n, code, (notes or {}).get(code), base + timedelta(hours=n))
            applied = apply_updates(db.session, [(item_id, update)])
            if notify:
                fan_out(db.session, applied.changes)
        db.session.commit()


def push_message(token: str, item_id: int, kind: str, reference: str, code: str,
                 notification_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """An FCM v1 message as the dispatcher builds it, with a notification id of our choosing."""
    notification_id = notification_id or str(uuid.uuid4())
    native = KINDS[kind].code(code)
    assert native is not None
    text = render(kind, reference, code, native.stage.value, None, "zh-CN")
    data = data_payload(notification_id, item_id, kind, reference, code, native.stage.value, native.milestone,
                        datetime.now(UTC))
    return notification_id, build_push(token, text.title, text.body, data, urgent=False)


def seed_history(stack: Any, per_kind: int = HISTORY_PER_KIND) -> None:
    """Finished items of every kind (another company's) for the clearance-time statistics to draw on."""
    with stack.api.app_context():
        seed_history_rows(db.session, per_kind=per_kind)
        db.session.commit()


def api_get(stack: Any, path: str, *, phone: str = CONSIGNEE, lang: str = "zh-CN") -> Any:
    """What the API answers this user, to compare the page with."""
    client = stack.api.test_client()
    tokens = client.post("/auth/login", json={"phone": phone, "password": DEMO_PASSWORD}).json
    response = client.get(path, headers={"Authorization": f"Bearer {tokens['access_token']}",
                                         "Accept-Language": lang})
    assert response.status_code == 200, response.json
    return response.json
