"""The 95198 desk console in a real browser: find a case, read its timeline and delivery log, resend a push
through the real firebase-admin SDK, leave a note, read the clearance-time chart; everything audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.processes.seed import seed_history
from app.web.extensions import db
from core.models import User
from desk.models import AuditEntry
from notifications.delivery_log import mask_token
from notifications.devices import register_device
from notifications.dispatcher import drain
from notifications.models import DeliveryAttempt, Notification, OutboxMessage
from notifications.subscriptions import SubscriptionSpec, subscribe
from status_tracker.kinds import KINDS
from status_tracker.models import StatusEvent
from tests.browser.desk_support import DESK_PHONE, Desk
from tests.browser.support import CONSIGNEE, happen

DECLARANT = "13800000001"
ENTRY_ID = KINDS["customs_declaration"].reference_example


@pytest.fixture
def desk_page(browser: Any) -> Iterator[Any]:
    """A desktop tab that fails the test on an uncaught page error or on any request leaving this machine."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page.set_default_timeout(10_000)
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    yield page
    page.context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not outside, f"the console fetched from elsewhere: {outside}"


def _prepare(demo: Any) -> dict[str, Any]:
    """A history for the statistics, the consignee's phone (and an old one), two milestones pushed to it."""
    item_id = demo.item_id("customs_declaration", ENTRY_ID)
    users = {phone: demo.user(phone).id for phone in (CONSIGNEE, DECLARANT)}
    token = demo.mock.extensions["mobile_mock"].devices.issue()
    with demo.api.app_context():
        seed_history(db.session)
        register_device(db.session, users[CONSIGNEE], token=token, platform="android", app_version="5.1.0")
        old, _ = register_device(db.session, users[CONSIGNEE], token="ios-retired-0123456789abcdefXYZ",
                                 platform="ios")
        old.active = False
        subscribe(db.session, db.session.get(User, users[CONSIGNEE]),
                  SubscriptionSpec("item", item_id, milestones_only=False))
        db.session.commit()
    # Expected completion reads statistics cached per application: drop any computed before the history existed.
    demo.api.extensions.pop("swm_stats_cache", None)
    happen(demo, item_id, ["L", "C"], notes={"C": "请于明日 9 时到洋山港查验场地"}, notify=True)
    with demo.api.app_context():
        notifications = {
            (phone, code): db.session.scalar(
                select(Notification.id).join(StatusEvent, StatusEvent.id == Notification.event_id)
                .where(Notification.item_id == item_id, Notification.user_id == user_id,
                       StatusEvent.native_code == code))
            for phone, user_id in users.items() for code in ("L", "C")
        }
    return {"item_id": item_id, "token": token, "notifications": notifications}


def test_the_desk_finds_a_case_resends_a_push_and_leaves_a_note(demo, desk_page, sessions, artifacts):
    setup = _prepare(demo)
    item_id, token = setup["item_id"], setup["token"]
    consignee_c, declarant_c = setup["notifications"][(CONSIGNEE, "C")], setup["notifications"][(DECLARANT, "C")]
    assert consignee_c and declarant_c
    assert drain(sessions, demo.sender, worker_id="desk-test").sent == 2  # L and C, to the consignee's phone

    # A trader's password is right, but the console is not theirs.
    desk = Desk(desk_page, demo).login(DECLARANT)
    expect(desk.by("refused-message")).to_contain_text("仅供 95198 客服人员使用")
    desk.page.goto(desk.url)
    expect(desk.by("login-page")).to_be_visible()

    desk.login(DESK_PHONE)
    expect(desk.by("search-form")).to_be_visible()
    expect(desk.by("signed-in-as")).to_contain_text("95198")

    # By a company's name: the company, and the items it is a party to.
    results = desk.search("苏州精工")
    expect(results.get_by_test_id("result-company")).to_have_count(1)
    expect(results.get_by_test_id("result-company")).to_contain_text("苏州精工电子有限公司")
    expect(results.get_by_test_id("result-item").first).to_be_visible()

    # By the entry id, with the hotline ticket: the declaration, its status, its parties.
    ticket = "95198-20260514-0042"
    results = desk.search(ENTRY_ID, reason=ticket)
    row = results.locator(f'[data-testid="result-item"][data-item-id="{item_id}"]')
    expect(row).to_contain_text("货物申报")
    expect(row).to_contain_text("查验通知")
    expect(row).to_contain_text("查验中")
    expect(row).to_contain_text("苏州精工电子有限公司")
    row.get_by_test_id("result-item-link").click()

    # The case: header, expectation from the history, timeline with the agency's note.
    expect(desk.by("case-reference")).to_have_text(ENTRY_ID)
    expect(desk.by("case-status")).to_contain_text("C")
    expect(desk.by("case-stage")).to_have_text("查验中")
    expect(desk.by("audited-reason")).to_contain_text(ticket)
    expect(desk.by("expectation").first).to_contain_text("预计放行")
    events = desk.by("timeline-event")
    expect(events).to_have_count(2)
    expect(events.nth(1)).to_contain_text("查验通知")
    expect(events.nth(1)).to_contain_text("洋山港")

    # The delivery log: the consignee's push went to their phone once; tokens only ever masked.
    consignee_log = desk.notification(consignee_c)
    expect(consignee_log.get_by_test_id("notification-recipient")).to_have_text(CONSIGNEE)
    expect(consignee_log.get_by_test_id("push")).to_have_count(1)
    expect(consignee_log.get_by_test_id("push-token")).to_have_text(mask_token(token))
    expect(consignee_log.get_by_test_id("attempt")).to_have_count(1)
    expect(consignee_log.get_by_test_id("attempt")).to_have_attribute("data-outcome", "sent")
    expect(desk.by("recipient-device")).to_have_count(2)
    expect(desk.page.locator('[data-testid="recipient-device"][data-active="false"]')).to_have_count(1)
    expect(desk.by("subscription")).to_have_count(1)
    assert token not in desk.page.content()

    # Resend: the same outbox row goes again, and the next dispatcher run is a second attempt under it.
    consignee_log.get_by_test_id("resend").click()
    expect(desk.flash("success")).to_contain_text("1 台设备")
    expect(desk.notification(consignee_c).get_by_test_id("push-state")).to_have_text("待发送")
    assert drain(sessions, demo.sender, worker_id="desk-test").sent == 1
    desk.page.reload()
    consignee_log = desk.notification(consignee_c)
    expect(consignee_log.get_by_test_id("push")).to_have_count(1)
    expect(consignee_log.get_by_test_id("attempt")).to_have_count(2)
    expect(consignee_log.get_by_test_id("push-state")).to_have_text("已发送")
    with demo.api.app_context():
        attempts = db.session.scalars(
            select(DeliveryAttempt).join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.outbox_id)
            .where(OutboxMessage.notification_id == consignee_c)).all()
        assert [a.outcome for a in attempts] == ["sent", "sent"]
        assert attempts[0].fcm_message_id != attempts[1].fcm_message_id
    expect(consignee_log.get_by_test_id("attempt").nth(1)).to_contain_text(attempts[1].fcm_message_id)

    # The declarant has no phone registered: the desk is told so, and nothing breaks.
    desk.notification(declarant_c).get_by_test_id("resend").click()
    expect(desk.flash("error")).to_contain_text("没有有效设备")

    # A note on the case.
    note = "来电询问查验时间，已告知明日 9 时洋山港查验，工单 " + ticket
    desk.by("note-input").fill(note)
    desk.by("note-submit").click()
    expect(desk.flash("success")).to_contain_text("备注已保存")
    expect(desk.by("note-body")).to_have_text(note)
    desk.page.screenshot(path=str(artifacts / "desk-case.png"), full_page=True, animations="disabled")

    # In English, then the clearance times of this kind.
    desk.by("lang-switch").click()
    expect(desk.by("case-stage")).to_have_text("Inspection")
    expect(desk.page.get_by_role("heading", name="Delivery log")).to_be_visible()
    expect(desk.by("case-kind")).to_have_text("Customs declaration")
    desk.by("case-stats-link").click()
    expect(desk.by("stats-kind")).to_have_value("customs_declaration")
    rows = desk.by("chart-row")
    expect(rows.first).to_be_visible()
    count = rows.count()
    assert count >= 3
    expect(desk.by("stats-row")).to_have_count(count)
    expect(desk.by("bar-p50")).to_have_count(count)
    expect(desk.by("bar-p90")).to_have_count(count)
    for n in range(count):
        row = rows.nth(n)
        samples = int(row.get_attribute("data-samples"))
        assert samples > 0
        expect(row.get_by_test_id("chart-samples")).to_have_text(f"n = {samples}")
        p50 = float(row.get_by_test_id("bar-p50").get_attribute("width"))
        p90 = float(row.get_by_test_id("bar-p90").get_attribute("width"))
        assert 0 < p50 <= p90
    expect(desk.page.locator("svg text", has_text="Accepted → Released / approved").first).to_be_visible()
    desk.page.screenshot(path=str(artifacts / "desk-stats.png"), full_page=True, animations="disabled")

    # A wrong office code is explained on the page.
    desk.by("stats-office").fill("22")
    desk.page.evaluate("document.querySelector('[data-testid=stats-form]').noValidate = true")
    desk.by("stats-submit").click()
    expect(desk.by("stats-error")).to_contain_text("4 digits")

    # Every lookup the browser made is in the audit log, by the desk agent, with the ticket where given.
    case_path = f"/console/cases/{item_id}"
    desk_id = demo.user(DESK_PHONE).id
    with demo.api.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == desk_id)
                                     .order_by(AuditEntry.id)).all()
    by_action: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_action.setdefault(entry.action, []).append(entry)
    assert [e.query for e in by_action["search"]] == ["苏州精工", ENTRY_ID]
    assert len(by_action["search"]) == len(desk.searches)
    assert by_action["search"][1].reason == ticket
    assert len(by_action["view_case"]) == desk.loads[case_path] >= 5
    assert all(e.target_id == item_id and e.reason == ticket for e in by_action["view_case"])
    assert [(e.target_id, e.reason) for e in by_action["resend"]] == [(consignee_c, ticket)]
    assert [(e.target_id, e.reason) for e in by_action["add_note"]] == [(item_id, ticket)]
    assert set(by_action) == {"search", "view_case", "resend", "add_note"}
