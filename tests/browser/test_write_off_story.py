"""The story the product exists for, in a real browser: a consignee has the phone open; customs writes off a
transit declaration at the agency; within seconds the push is on the phone and the timeline shows the
write-off. A user of an unrelated company sees none of it. The scheduler's poll and the dispatcher run in a
background thread here, as their processes would."""

from __future__ import annotations

import threading

import httpx
import pytest
from playwright.sync_api import expect

from agency_mocks import create_app as create_agencies
from agency_mocks.server import serve_in_thread
from app.processes.seed import agency_records
from app.web.extensions import db
from notifications.dispatcher import drain
from notifications.fanout import fan_out
from status_tracker.adapters import build_clients
from status_tracker.kinds import KINDS
from status_tracker.polling import Poller, PollPolicy
from tests.browser.support import UNRELATED, Phone

TRANSIT = KINDS["transit"]
WRITE_OFF = next(c for c in TRANSIT.codes if c.stage == "completed" and c.milestone)


@pytest.fixture
def running_backend(demo, sessions):
    """The agency (registered with the demo's transit declaration and its parties, as the demo does) and a poll +
    dispatch loop every 0.5 s."""
    agencies = create_agencies({"seed": 9, "speed": 0})
    agency_url, stop_agencies = serve_in_thread(agencies)
    admin = httpx.Client(base_url=agency_url, timeout=10)
    item_id = demo.item_id("transit", TRANSIT.reference_example)
    with demo.api.app_context():
        parties = agency_records(db.session, [item_id])[item_id]
    assert {p["role"] for p in parties} == {"declarant", "consignee", "agent"}
    admin.post("/gacc/admin/items", json={"kind": "transit", "reference": TRANSIT.reference_example,
                                          "parties": parties})
    http = httpx.Client(timeout=5)
    poller = Poller(sessions, build_clients(agency_url, http), on_change=fan_out, policy=PollPolicy(min_interval=0))
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.5):
            poller.poll("gacc")
            drain(sessions, demo.sender, worker_id="browser-story")

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield admin
    stop.set()
    thread.join(timeout=10)
    http.close()
    admin.close()
    stop_agencies()


def test_the_write_off_reaches_the_consignees_phone_and_no_one_unrelated(demo, running_backend, browser, page,
                                                                         artifacts):
    consignee = Phone(page, demo).login()
    consignee.wait_live()
    stranger_context = browser.new_context(viewport={"width": 390, "height": 844})
    stranger = Phone(stranger_context.new_page(), demo).login(UNRELATED)
    stranger.wait_live()

    forced = running_backend.post(f"/gacc/admin/items/{TRANSIT.reference_example}/force",
                                  json={"code": WRITE_OFF.code, "note": "指运地海关已核销，施封已拆除"})
    assert forced.status_code == 201

    toast = page.locator('[data-testid="toast"]').filter(has_text=WRITE_OFF.label_zh)
    expect(toast).to_have_count(1, timeout=10_000)  # within seconds of the agency's change
    toast.first.click()
    detail = consignee.by("item-detail")
    expect(detail.get_by_test_id("item-reference")).to_have_text(TRANSIT.reference_example)
    first = consignee.by("timeline-event").first
    expect(first).to_have_attribute("data-code", WRITE_OFF.code)
    expect(first.get_by_test_id("timeline-note")).to_have_text("指运地海关已核销，施封已拆除")
    page.screenshot(path=str(artifacts / "phone-write-off.png"), full_page=True)

    expect(stranger.rows()).to_have_count(0)
    expect(stranger.page.locator('[data-testid="toast"]')).to_have_count(0)
    stranger.tab("inbox")
    expect(stranger.by("inbox-empty")).to_be_visible()
    stranger_context.close()
