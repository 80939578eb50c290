"""Pushes on the phone page: live through the mock's FCM endpoint, each notification id once, catch-up after a gap."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.web.extensions import db
from notifications.dispatcher import drain
from notifications.models import Device, Notification, OutboxMessage
from status_tracker.kinds import KINDS
from tests.browser.support import CONSIGNEE, Phone, happen, push_message

TRANSIT = KINDS["transit"]


def test_a_live_push_shows_once_even_when_fcm_delivers_it_twice(demo, page, artifacts):
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    phone = Phone(page, demo).login()
    phone.wait_live()
    # The page got its token from the mock and registered it with the API as a web device of this user.
    token = phone.session("device")["token"]
    with demo.api.app_context():
        device = db.session.scalar(select(Device).where(Device.token == token))
        assert device is not None and device.platform == "web" and device.active
        assert device.user_id == demo.user(CONSIGNEE).id

    notification_id, message = push_message(token, item_id, "transit", TRANSIT.reference_example, "06")
    assert demo.sender.send([message])[0].kind == "sent"
    toast = phone.toasts(notification_id)
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("转关：已核销")
    expect(phone.by("unread-badge")).to_have_text("1")
    page.screenshot(path=str(artifacts / "phone-push.png"), animations="disabled")

    # FCM may deliver a message twice (a retried send): the page drops the second copy.
    assert demo.sender.send([message])[0].kind == "sent"
    status = phone.by("stream-status")
    expect(status).to_have_attribute("data-received", "2")
    expect(status).to_have_attribute("data-dropped", "1")
    expect(phone.toasts(notification_id)).to_have_count(1)
    expect(phone.by("unread-badge")).to_have_text("1")
    phone.tab("inbox")
    expect(phone.inbox_entries()).to_have_count(1)
    expect(phone.inbox_entries(notification_id)).to_contain_text(TRANSIT.reference_example)

    # Another notification id is another notification.
    other_id, other = push_message(token, item_id, "transit", TRANSIT.reference_example, "08")
    assert demo.sender.send([other])[0].kind == "sent"
    expect(phone.inbox_entries()).to_have_count(2)
    expect(phone.inbox_entries().first).to_have_attribute("data-notification-id", other_id)

    # A reload replays nothing twice (the stream resumes after its last seq; the ids seen are kept).
    page.reload()
    phone.wait_live()
    expect(phone.inbox_entries()).to_have_count(2)
    expect(phone.by("unread-badge")).to_have_text("2")

    # Tapping opens the item (deep link swm://clearances/<id>) and marks the notification read.
    phone.inbox_entries(notification_id).click()
    expect(page).to_have_url(re.compile(rf"#/items/{item_id}$"))
    expect(phone.by("item-detail")).to_be_visible()
    expect(phone.by("unread-badge")).to_have_text("1")


def test_a_status_change_reaches_the_page_through_fan_out_and_the_dispatcher(demo, page, sessions):
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    phone = Phone(page, demo).login()
    phone.wait_live()
    happen(demo, item_id, ["02"], notify=True)
    with demo.api.app_context():
        user_id = demo.user(CONSIGNEE).id
        notification = db.session.scalar(select(Notification).where(Notification.user_id == user_id))
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.notification_id == notification.id)).all()
        assert len(rows) == 1  # this page's web device
    result = drain(sessions, demo.sender, worker_id="browser-test")
    assert result.sent == 1

    expect(phone.toasts(notification.public_id)).to_have_count(1)
    expect(phone.toasts(notification.public_id)).to_contain_text("审核通过")
    # The catch-up that follows a push matches it with its inbox row: one entry, the API's unread count.
    phone.tab("inbox")
    entry = phone.inbox_entries(notification.public_id)
    expect(entry).to_have_attribute("data-inbox-id", str(notification.id))
    expect(phone.inbox_entries()).to_have_count(1)
    expect(phone.by("unread-badge")).to_have_text("1")
    entry.click()
    expect(phone.by("item-detail")).to_be_visible()
    expect(phone.by("unread-badge")).to_be_hidden()
    with demo.api.app_context():
        for _ in range(50):
            db.session.expire_all()
            if db.session.get(Notification, notification.id).read_at is not None:
                break
            page.wait_for_timeout(100)
        assert db.session.get(Notification, notification.id).read_at is not None


def test_notifications_made_while_the_page_was_closed_appear_after_reload_once(demo, page, artifacts):
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    phone = Phone(page, demo).login()
    phone.wait_live()
    phone.tab("inbox")
    expect(phone.by("inbox-empty")).to_be_visible()

    page.goto("about:blank")  # the app is closed; the tab's session storage stays
    happen(demo, item_id, ["02", "04", "06"], notify=True)  # three milestones; nobody dispatches them
    with demo.api.app_context():
        user_id = demo.user(CONSIGNEE).id
        missed = db.session.scalars(
            select(Notification.public_id).where(Notification.user_id == user_id).order_by(Notification.id)).all()
    assert len(missed) == 3

    phone.open("#/inbox")
    expect(phone.by("inbox-view")).to_be_visible()
    expect(phone.inbox_entries()).to_have_count(3)
    assert [phone.inbox_entries().nth(n).get_attribute("data-notification-id") for n in range(3)] == missed[::-1]
    expect(phone.by("toast-missed")).to_contain_text("3")
    expect(phone.by("unread-badge")).to_have_text("3")

    page.reload()
    phone.wait_live()
    expect(phone.by("inbox-view")).to_be_visible()
    page.wait_for_function("() => !document.querySelector('[data-testid=loading]')")
    expect(phone.inbox_entries()).to_have_count(3)
    for public_id in missed:
        expect(phone.inbox_entries(public_id)).to_have_count(1)
    expect(phone.by("toast-missed")).to_have_count(0)
    page.screenshot(path=str(artifacts / "phone-inbox.png"), animations="disabled")

    phone.by("inbox-read-all").click()
    expect(phone.by("unread-badge")).to_be_hidden()
    expect(phone.page.locator('[data-testid="inbox-entry"][data-read="false"]')).to_have_count(0)
