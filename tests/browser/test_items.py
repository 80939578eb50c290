"""Reading the phone: my items with stage badges, an item's timeline, tracking a new item, languages, visibility."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.seed import DEMO_PASSWORD
from status_tracker.kinds import KINDS
from status_tracker.models import User
from tests.browser.support import CONSIGNEE, UNRELATED, Phone, happen

TRANSIT = KINDS["transit"]
CUSTOMS = KINDS["customs_declaration"]


def test_consignee_sees_the_seeded_items_with_badges_and_an_items_timeline(demo, page, artifacts):
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    happen(demo, item_id, ["01", "02", "04"], notes={"04": "启运地海关已放行，请按时运抵指运地"})
    phone = Phone(page, demo).login()

    # Most recently updated first: the transit declaration that moved, with its stage, native code and label.
    first = phone.rows().first
    expect(first).to_have_attribute("data-item-id", str(item_id))
    expect(first.get_by_test_id("stage-badge")).to_have_attribute("data-stage", "released")
    expect(first.get_by_test_id("stage-badge")).to_have_text("已放行/已批准")
    expect(first).to_contain_text("04 启运地放行")
    expect(first.get_by_test_id("item-kind")).to_have_text("转关")
    # The rest have no receipt yet; 42 items come in keyset pages of 20.
    expect(phone.rows()).to_have_count(20)
    expect(phone.rows().nth(1).get_by_test_id("stage-badge")).to_have_text("待回执")
    page.screenshot(path=str(artifacts / "phone-items.png"))
    phone.by("items-more").click()
    expect(phone.rows()).to_have_count(40)
    phone.by("items-more").click()
    expect(phone.rows()).to_have_count(42)
    expect(phone.by("items-more")).to_be_hidden()
    expect(phone.by("tab-items")).to_be_in_viewport()

    # Filter by kind: the three transit declarations.
    phone.by("kind-filter").select_option("transit")
    expect(phone.rows()).to_have_count(3)
    expect(phone.rows().get_by_test_id("item-kind")).to_have_text(["转关"] * 3)

    # The item and its timeline, newest on top, each with native code, label, stage, note and agency time.
    phone.rows().first.click()
    expect(page).to_have_url(re.compile(rf"#/items/{item_id}$"))
    detail = phone.by("item-detail")
    expect(detail.get_by_test_id("item-reference")).to_have_text(TRANSIT.reference_example)
    events = phone.by("timeline-event")
    expect(events).to_have_count(3)
    assert [events.nth(n).get_attribute("data-code") for n in range(3)] == ["04", "02", "01"]
    expect(events.first).to_contain_text("启运地放行")
    expect(events.first.get_by_test_id("timeline-note")).to_have_text("启运地海关已放行，请按时运抵指运地")
    expect(events.first.get_by_test_id("stage-badge")).to_have_attribute("data-stage", "released")
    expect(events.nth(2).get_by_test_id("stage-badge")).to_have_attribute("data-stage", "submitted")
    expect(events.first).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}"))
    expect(detail).to_contain_text("苏州精工电子有限公司")
    page.screenshot(path=str(artifacts / "phone-item-timeline.png"), full_page=True)


def test_tracking_a_wrong_reference_shows_the_apis_reason_and_a_right_one_joins_the_list(demo, page):
    phone = Phone(page, demo).login()
    sent: list[dict[str, str]] = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/clearances") and sent.append(r.headers))
    phone.by("track-open").click()
    phone.by("track-kind").select_option(CUSTOMS.key)
    expect(phone.by("track-format")).to_contain_text(CUSTOMS.reference_example)

    phone.by("track-reference").fill("31012024")
    phone.by("track-submit").click()
    reason = phone.by("field-error-reference")
    expect(reason).to_contain_text("not a valid customs declaration reference")
    expect(reason).to_contain_text("18-digit entry id")
    expect(phone.by("track-reference")).to_have_attribute("aria-invalid", "true")
    expect(phone.by("form-error")).to_contain_text("invalid request")

    # A party's credit code is checked too, and its reason lands next to that party's field.
    reference = "310120241009876543"
    phone.by("track-reference").fill(reference)
    phone.by("track-agent").fill("91330206")
    phone.by("track-submit").click()
    expect(phone.by("field-error-agent")).to_contain_text("18 characters")
    expect(phone.by("field-error-reference")).to_be_empty()

    phone.by("track-agent").fill("")
    phone.by("track-submit").click()
    expect(phone.by("items-view")).to_be_visible()
    expect(phone.rows().first).to_have_attribute("data-reference", reference)
    expect(phone.rows().first.get_by_test_id("item-kind")).to_have_text("货物申报（报关单）")
    assert len(sent) == 3 and all(h.get("idempotency-key") for h in sent)
    assert len({h["idempotency-key"] for h in sent}) == 3  # a new body, a new key


def test_the_language_switch_changes_ui_strings_and_the_apis_labels(demo, page):
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    happen(demo, item_id, ["01", "02"])
    phone = Phone(page, demo).login()
    first = phone.rows().first
    expect(phone.by("tab-items")).to_have_text("我的事项")
    expect(first.get_by_test_id("item-kind")).to_have_text("转关")
    expect(first).to_contain_text("02 审核通过")
    expect(first.get_by_test_id("stage-badge")).to_have_text("已受理")

    phone.by("lang-toggle").click()
    expect(phone.by("tab-items")).to_have_text("My items")
    expect(phone.by("track-open")).to_have_text("+ Track an item")
    expect(first.get_by_test_id("item-kind")).to_have_text("Transit")
    expect(first).to_contain_text("02 Approved by the departure customs")
    expect(first.get_by_test_id("stage-badge")).to_have_text("Accepted")
    expect(phone.rows().nth(1).get_by_test_id("stage-badge")).to_have_text("Awaiting receipt")
    # The profile follows, so pushes are written in English too; a reload keeps the choice.
    _wait_for_locale(demo, "13800000002", "en")
    page.reload()
    expect(phone.by("tab-items")).to_have_text("My items")

    phone.tab("settings")
    phone.by("settings-lang-zh-CN").click()
    expect(phone.by("tab-settings")).to_have_text("设置")
    expect(phone.by("settings-view")).to_contain_text("免打扰时段")
    _wait_for_locale(demo, "13800000002", "zh-CN")


def _wait_for_locale(stack, phone_number: str, locale: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with stack.api.app_context():
            current = db.session.scalar(select(User.locale).where(User.phone == phone_number))
        if current == locale or time.monotonic() > deadline:
            assert current == locale
            return
        time.sleep(0.05)


def test_an_unrelated_user_sees_none_of_the_seeded_items(demo, page):
    phone = Phone(page, demo).login(UNRELATED)
    expect(phone.by("items-empty")).to_be_visible()
    expect(phone.rows()).to_have_count(0)
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    phone.open(f"#/items/{item_id}")
    expect(phone.by("view-error")).to_have_text("未找到，或您无权查看。")
    phone.tab("inbox")
    expect(phone.by("inbox-empty")).to_be_visible()


def test_my_shipments_list_and_a_shipment_with_its_items(demo, page):
    api = demo.api.test_client()
    login = api.post("/auth/login", json={"phone": CONSIGNEE, "password": DEMO_PASSWORD}).json
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    shipment = api.post("/shipments", json={"bill_of_lading": "COSU6345678910", "container_no": "CSQU3054383",
                                            "label": "苏州 → 宁波 电子元件"}, headers=headers)
    assert shipment.status_code == 201, shipment.json
    reference = "310120241005550001"
    tracked = api.post("/clearances", json={"kind": CUSTOMS.key, "reference": reference,
                                            "shipment_id": shipment.json["id"]}, headers=headers)
    assert tracked.status_code == 201, tracked.json

    phone = Phone(page, demo).login()
    phone.tab("shipments")
    row = phone.by("shipment-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("苏州 → 宁波 电子元件")
    expect(row).to_contain_text("CSQU3054383")
    row.click()
    detail = phone.by("shipment-detail")
    expect(detail).to_be_visible()
    expect(detail.get_by_test_id("item-row")).to_have_count(1)
    expect(detail.get_by_test_id("item-row")).to_have_attribute("data-reference", reference)
    detail.get_by_test_id("item-row").click()
    expect(phone.by("item-detail")).to_contain_text(f"#{shipment.json['id']}")
