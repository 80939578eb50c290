"""The phone's 收费公示 tab: a port, one item compared across its enterprises, an enterprise's catalogue on a
date and its history, follows, a followed price change arriving as a push; Chinese and English."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from app.processes.seed import seed_port_charges
from app.web.extensions import db
from core.models import User
from notifications.dispatcher import drain
from port_charges.models import FeeVersion, Port
from port_charges.publishing import publish
from tests.browser.support import Phone


def test_compare_open_a_catalogue_and_its_history_follow_and_get_a_price_push(demo, page, sessions, artifacts):
    with demo.api.app_context():
        seed_port_charges(db.session)
        db.session.commit()
        yangshan = db.session.scalar(select(Port).where(Port.customs_office == "2248"))
        current = db.session.scalars(select(FeeVersion).where(
            FeeVersion.port_id == yangshan.id, FeeVersion.code == "THC-40", FeeVersion.effective_to.is_(None))).all()
        prices = sorted(v.price for v in current)
    phone = Phone(page, demo).login()
    phone.wait_live()
    phone.tab("charges")
    expect(phone.by("tab-charges")).to_contain_text("收费公示")

    # Yangshan first, THC-40 chosen: its three terminals, cheapest first, with the spread.
    expect(phone.by("port-select")).to_have_value(str(yangshan.id))
    expect(phone.by("fee-select")).to_have_value("THC-40")
    rows = phone.by("compare-row")
    expect(rows).to_have_count(3)
    assert [Decimal(rows.nth(i).get_attribute("data-price")) for i in range(3)] == prices
    expect(phone.by("spread")).to_contain_text(f"最低 {prices[0]:.2f}")
    expect(phone.by("spread")).to_contain_text(f"最高 {prices[-1]:.2f}")
    # The demo consignee follows THC-40 at Yangshan already.
    expect(phone.by("follow-item")).to_have_attribute("data-following", "true")
    page.screenshot(path=str(artifacts / "phone-charges.png"))

    # Search by an English name finds the item at every enterprise that lists it.
    phone.by("charge-search").fill("security")
    phone.by("charge-search").press("Enter")
    expect(phone.by("search-row").first).to_contain_text("SEC-")

    # The cheapest terminal's catalogue today, last year's prices on a date in 2025, and the history of both.
    cheapest = rows.first.get_attribute("data-enterprise-id")
    rows.first.click()
    expect(page).to_have_url(re.compile(rf"#/charges/enterprises/{cheapest}$"))
    expect(phone.by("fee-row")).to_have_count(6)
    today_thc = phone.page.locator('[data-testid="fee-row"][data-code="THC-40"]')
    expect(today_thc).to_have_attribute("data-price", f"{prices[0]:.2f}")
    phone.by("catalogue-date").fill("2025-08-01")
    expect(today_thc).not_to_have_attribute("data-price", f"{prices[0]:.2f}")
    expect(phone.by("history-row")).to_have_count(12)
    phone.by("follow-enterprise").click()
    expect(phone.by("follow-enterprise")).to_have_attribute("data-following", "true")
    expect(phone.by("toast-follow")).to_contain_text("已关注")

    # The terminal publishes a new THC-40: the follower (of the item and of the enterprise) gets one push.
    with demo.api.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        old = next(v for v in current if str(v.enterprise_id) == cheapest)
        enterprise = old.enterprise
        publish(db.session, db.session.merge(admin), db.session.merge(enterprise), [{
            "code": "THC-40", "name_zh": old.name_zh, "name_en": old.name_en, "category": old.category,
            "unit": old.unit, "price": "1234.00", "currency": "CNY", "basis": old.basis,
            "effective_from": date(2026, 12, 31)}])
        db.session.commit()
    assert drain(sessions, demo.sender, worker_id="browser-test").sent == 1
    toast = phone.by("toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("收费变更：码头作业费（40尺箱）")
    expect(toast).to_contain_text(f"CNY {old.price:,.2f} → CNY 1,234.00")
    toast.click()
    expect(page).to_have_url(re.compile(rf"#/charges/enterprises/{cheapest}$"))

    # In English.
    phone.by("lang-toggle").click()
    phone.tab("charges")
    expect(phone.by("tab-charges")).to_contain_text("Port charges")
    expect(phone.by("charges-view")).to_contain_text("Compared across enterprises")
    expect(phone.by("spread")).to_contain_text("median")
    expect(phone.by("compare-row").first).to_contain_text("per FEU")
