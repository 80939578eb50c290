"""Reading the phone: my items with stage badges, an item's timeline, tracking a new item, languages, visibility."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.processes.seed import DEMO_PASSWORD, HISTORY_PER_KIND, example_reference
from app.web.extensions import db
from core.models import User
from status_tracker.kinds import KINDS
from tests.browser.support import CONSIGNEE, UNRELATED, Phone, api_get, happen, seed_history
from tests.conftest import agency_confirms_claims

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
    # The API's reasons, in the phone's language (its Accept-Language).
    reason = phone.by("field-error-reference")
    expect(reason).to_contain_text("不是有效的货物申报（报关单）编号")
    expect(reason).to_contain_text("报关单号（18位）")
    expect(phone.by("track-reference")).to_have_attribute("aria-invalid", "true")
    expect(phone.by("form-error")).to_contain_text("请求有误")
    expect(phone.by("form-error")).not_to_contain_text("invalid request")

    # A party's credit code is checked too, and its reason lands next to that party's field.
    reference = "310120241009876543"
    phone.by("track-reference").fill(reference)
    phone.by("track-agent").fill("91330206")
    phone.by("track-submit").click()
    expect(phone.by("field-error-agent")).to_contain_text("统一社会信用代码为 18 位")
    expect(phone.by("field-error-reference")).to_be_empty()

    phone.by("track-agent").fill("")
    phone.by("track-submit").click()
    expect(phone.by("items-view")).to_be_visible()
    # A claim until customs names the consignee's company: listed as waiting, its status not shown.
    claim = phone.by("claim-row").filter(has_text=reference)
    expect(claim).to_have_attribute("data-state", "pending_confirmation")
    expect(claim).to_contain_text("货物申报（报关单）")
    expect(phone.rows().filter(has_text=reference)).to_have_count(0)
    with demo.api.app_context():  # customs' next receipt names it
        agency_confirms_claims(db.session, CUSTOMS.key, reference)
        db.session.commit()
    page.reload()
    expect(phone.rows().first).to_have_attribute("data-reference", reference)
    expect(phone.rows().first.get_by_test_id("item-kind")).to_have_text("货物申报（报关单）")
    expect(phone.by("claim-row")).to_have_count(0)
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
    assert tracked.status_code == 202, tracked.json
    with demo.api.app_context():
        agency_confirms_claims(db.session, CUSTOMS.key, reference)
        db.session.commit()

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


# Expected completion (时效评估): the API's estimate from the clearance times of the item's kind.

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the demo users' time zone


@pytest.fixture
def history(demo):
    """Seeds the clearance-time history on demand (the test API caches no statistics, so nothing leaks between
    tests)."""
    return lambda per_kind=HISTORY_PER_KIND: seed_history(demo, per_kind)


def _shown(at: str, lang: str = "zh-CN") -> str:
    """A time as the phone shows it: the user's time zone, to the minute, in the UI language's format."""
    local = datetime.fromisoformat(at).astimezone(SHANGHAI)
    return local.strftime("%Y/%m/%d %H:%M" if lang == "zh-CN" else "%d/%m/%Y, %H:%M")


def _late(expectation: dict) -> str | None:
    now = datetime.now(UTC)
    if datetime.fromisoformat(expectation["p90_at"]) < now:
        return "very_late"
    return "late" if datetime.fromisoformat(expectation["p50_at"]) < now else None


def _check_rows(phone: Phone, estimate: dict, lang: str = "zh-CN") -> None:
    """The page's rows say what the API's estimate says, row by row."""
    rows = phone.by("estimate-row")
    expect(rows).to_have_count(len(estimate["expected"]))
    for n, expected in enumerate(estimate["expected"]):
        row = rows.nth(n)
        expect(row).to_have_attribute("data-stage", expected["stage"])
        expect(row.get_by_test_id("estimate-stage")).to_have_text(expected["stage_label"])
        p50, p90, samples, office = (_shown(expected["p50_at"], lang), _shown(expected["p90_at"], lang),
                                     expected["samples"], expected["customs_office"])
        if lang == "zh-CN":
            texts = [f"预计 {p50}", f"90%：{p90} 前",
                     f"基于 {samples} 票（海关 {office}）" if office else f"基于同类事项 {samples} 件"]
        else:
            texts = [f"expected {p50}", f"90%: by {p90}", f"based on {samples} items at customs {office}" if office
                     else f"based on {samples} items of this kind"]
        expect(row.get_by_test_id("estimate-expected")).to_have_text(texts[0])
        expect(row.get_by_test_id("estimate-p90")).to_have_text(texts[1])
        expect(row.get_by_test_id("estimate-basis")).to_have_text(texts[2])
        late = _late(expected)
        if late is None:
            expect(row.get_by_test_id("estimate-late")).to_have_count(0)
        else:
            expect(row).to_have_attribute("data-late", late)
            expect(row.get_by_test_id("estimate-late")).to_have_text(
                {("zh-CN", "late"): "晚于通常", ("zh-CN", "very_late"): "晚于九成同类",
                 ("en", "late"): "later than usual", ("en", "very_late"): "later than 9 in 10"}[(lang, late)])


def test_an_open_declaration_shows_when_it_can_expect_release_and_completion(demo, page, history, artifacts):
    history()
    item_id = demo.item_id("customs_declaration", CUSTOMS.reference_example)  # customs office 3101
    happen(demo, item_id, ["L", "J"])  # accepted, then under review (just now)
    estimate = api_get(demo, f"/clearances/{item_id}/estimate")
    assert estimate["stage"] == "under_review"
    assert [e["stage"] for e in estimate["expected"]] == ["released", "completed"]
    assert all(e["samples"] >= 5 for e in estimate["expected"])
    assert estimate["expected"][0]["customs_office"] == "3101"  # enough history at the item's own office

    phone = Phone(page, demo).login()
    phone.open(f"#/items/{item_id}")
    detail = phone.by("item-detail")
    expect(detail).to_have_attribute("data-estimate", "shown")
    block = phone.by("estimate")
    expect(block).to_contain_text("预计完成时间")
    expect(block.get_by_test_id("estimate-stage")).to_have_text(["已放行/已批准", "已办结"])
    _check_rows(phone, estimate)
    expect(phone.by("estimate-late")).to_have_count(0)  # it entered review just now: nothing is late yet
    expect(phone.by("estimate-empty")).to_have_count(0)
    page.screenshot(path=str(artifacts / "phone-item-estimate.png"), full_page=True)

    # In English: the UI's words and the API's labels, times in the English format, same instants.
    phone.by("lang-toggle").click()
    expect(block).to_contain_text("Expected")
    estimate_en = api_get(demo, f"/clearances/{item_id}/estimate", lang="en")
    assert [e["stage_label"] for e in estimate_en["expected"]] == ["Released / approved", "Completed"]
    assert [e["p50_at"] for e in estimate_en["expected"]] == [e["p50_at"] for e in estimate["expected"]]
    expect(detail).to_have_attribute("data-estimate", "shown")
    _check_rows(phone, estimate_en, "en")
    _wait_for_locale(demo, CONSIGNEE, "en")

    # A kind whose references name no customs office: the statistics of the whole kind, said so.
    licence = demo.item_id("license", KINDS["license"].reference_example)
    happen(demo, licence, ["10", "20"])  # submitted, then accepted
    estimate = api_get(demo, f"/clearances/{licence}/estimate", lang="en")
    assert estimate["expected"] and all(e["customs_office"] is None for e in estimate["expected"])
    phone.open(f"#/items/{licence}")
    expect(phone.by("item-detail")).to_have_attribute("data-item-id", str(licence))
    _check_rows(phone, estimate, "en")
    phone.by("lang-toggle").click()
    _check_rows(phone, api_get(demo, f"/clearances/{licence}/estimate"))
    _wait_for_locale(demo, CONSIGNEE, "zh-CN")


def test_a_declaration_past_its_usual_time_says_so(demo, page, history, artifacts):
    history()
    # How long the step to release usually takes, from a declaration that entered review just now.
    fresh = demo.item_id("customs_declaration", CUSTOMS.reference_example)
    happen(demo, fresh, ["L", "J"])
    released = api_get(demo, f"/clearances/{fresh}/estimate")["expected"][0]
    entered = datetime.fromisoformat(released["entered_at"])
    p50 = datetime.fromisoformat(released["p50_at"]) - entered
    p90 = datetime.fromisoformat(released["p90_at"]) - entered
    assert p90 - p50 > timedelta(minutes=10), released  # room to land between the two

    # One that entered review between those two marks ago (same office, same statistics), and one long ago.
    late = demo.item_id("customs_declaration", example_reference(CUSTOMS.key, 1))
    happen(demo, late, ["L", "J"], last_at=datetime.now(UTC) - (p50 + p90) / 2)
    very_late = demo.item_id("customs_declaration", example_reference(CUSTOMS.key, 2))
    happen(demo, very_late, ["L", "J"], last_at=datetime.now(UTC) - timedelta(days=30))

    phone = Phone(page, demo).login()
    phone.open(f"#/items/{late}")
    estimate = api_get(demo, f"/clearances/{late}/estimate")
    expect(phone.by("estimate-row").first).to_have_attribute("data-late", "late")
    expect(phone.by("estimate-row").first.get_by_test_id("estimate-late")).to_have_text("晚于通常")
    _check_rows(phone, estimate)

    phone.open(f"#/items/{very_late}")
    expect(phone.by("item-detail")).to_have_attribute("data-item-id", str(very_late))
    estimate = api_get(demo, f"/clearances/{very_late}/estimate")
    expect(phone.by("estimate-row")).to_have_count(2)
    expect(phone.by("estimate-late")).to_have_text(["晚于九成同类"] * 2)
    _check_rows(phone, estimate)
    phone.by("estimate").screenshot(path=str(artifacts / "phone-item-estimate-late.png"))


def test_too_little_history_says_so_and_an_item_that_is_over_expects_nothing(demo, page, history):
    # Three finished declarations, and the one closed below: one short of the five an estimate rests on.
    history(per_kind=3)
    open_id = demo.item_id("customs_declaration", CUSTOMS.reference_example)
    happen(demo, open_id, ["L", "J"])
    over_id = demo.item_id("customs_declaration", example_reference(CUSTOMS.key, 1))
    happen(demo, over_id, ["L", "J", "P", "R"])  # released, then closed
    waiting_id = demo.item_id("customs_declaration", example_reference(CUSTOMS.key, 2))  # no receipt yet
    for item_id in (open_id, over_id, waiting_id):
        assert api_get(demo, f"/clearances/{item_id}/estimate")["expected"] == []

    phone = Phone(page, demo).login()
    phone.open(f"#/items/{open_id}")
    expect(phone.by("item-detail")).to_have_attribute("data-estimate", "empty")
    expect(phone.by("estimate")).to_contain_text("预计完成时间")
    expect(phone.by("estimate-empty")).to_have_text("历史数据不足，暂无法预计。")
    expect(phone.by("estimate-row")).to_have_count(0)

    phone.by("lang-toggle").click()
    expect(phone.by("estimate-empty")).to_have_text("Not enough history yet to estimate.")
    _wait_for_locale(demo, CONSIGNEE, "en")

    for item_id, events in ((over_id, 4), (waiting_id, 0)):
        phone.open(f"#/items/{item_id}")
        detail = phone.by("item-detail")
        expect(detail).to_have_attribute("data-item-id", str(item_id))
        expect(detail).to_have_attribute("data-estimate", "none")
        expect(phone.by("estimate")).to_have_count(0)
        expect(phone.by("timeline-event")).to_have_count(events)


def _answering(answer: dict):
    return lambda route: route.fulfill(**answer)


def test_a_failing_estimate_leaves_the_item_view_whole(demo, page, history):
    history()
    item_id = demo.item_id("customs_declaration", CUSTOMS.reference_example)
    happen(demo, item_id, ["L", "J"])
    phone = Phone(page, demo).login().open(f"#/items/{item_id}")
    expect(phone.by("estimate-row")).to_have_count(2)
    estimate_url = f"{demo.api_url}/clearances/*/estimate"

    answers = [
        {"status": 500, "content_type": "application/json", "body": '{"code": 500, "message": "boom"}'},
        {"status": 200, "content_type": "application/json", "body": '{"item_id": 1}'},  # not the promised shape
    ]
    for answer in answers:
        page.route(estimate_url, _answering(answer))
        page.reload()
        detail = phone.by("item-detail")
        expect(detail).to_have_attribute("data-estimate", "failed")
        expect(phone.by("timeline-event")).to_have_count(2)
        expect(phone.by("estimate")).to_have_count(0)
        expect(phone.by("error-banner")).to_be_hidden()
        page.unroute(estimate_url)

    page.route(estimate_url, lambda route: route.abort("connectionrefused"))
    page.reload()
    expect(phone.by("item-detail")).to_have_attribute("data-estimate", "failed")
    expect(phone.by("error-banner")).to_be_hidden()
    page.unroute(estimate_url)
    page.reload()
    expect(phone.by("estimate-row")).to_have_count(2)


def test_reopening_an_item_is_answered_304_and_the_phone_shows_its_copy(demo, page):
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    phone = Phone(page, demo).login()
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith(f"/clearances/{item_id}") else None)
    for _ in range(2):
        page.evaluate(f"location.hash = '#/items/{item_id}'")
        expect(phone.by("item-detail")).to_have_attribute("data-item-id", str(item_id))
        expect(phone.by("item-reference")).to_have_text(TRANSIT.reference_example)
        page.evaluate("location.hash = '#/items'")
        expect(phone.by("items-view")).to_be_visible()
    assert statuses == [200, 304]
