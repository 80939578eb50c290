"""The phone web app in a real browser: the API and the mobile mock on real sockets, Debian's Chromium.

One API server and one mock per database backend (session scope); the demo data is seeded for each test
and the root conftest empties the tables after it. Pushes reach the page the way they reach a phone: the
real firebase-admin SDK (notifications.fcm.FcmSender) sends to the mock's FCM endpoint, and the page reads
its device's stream.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.processes.seed import seed_demo
from app.web.extensions import db
from core.models import User
from mobile_mock import create_app as create_mock_app
from mobile_mock import make_service_account
from mobile_mock.server import serve_in_thread
from notifications.fcm import FcmSender
from status_tracker.models import ClearanceItem
from tests.conftest import agency_confirms_claims

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PROJECT_ID = "demo-swm"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install 'playwright>=1.49,<2' (the test extra)")


@dataclass
class Stack:
    """The API and the mobile mock, each on its own port; the phone page is the mock's /phone/."""

    api: Flask
    api_url: str
    mock: Flask
    mock_url: str
    sender: FcmSender

    @property
    def phone_url(self) -> str:
        return f"{self.mock_url}/phone/"

    def item_id(self, kind: str, reference: str) -> int:
        with self.api.app_context():
            return db.session.scalar(
                select(ClearanceItem.id).where(ClearanceItem.kind == kind, ClearanceItem.reference == reference))

    def user(self, phone: str) -> User:
        with self.api.app_context():
            return db.session.scalar(select(User).where(User.phone == phone))


def _serve_api(api: Flask) -> tuple[str, Any, threading.Thread]:
    server = make_server("127.0.0.1", 0, api, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="swm api (browser tests)", daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server, thread


@pytest.fixture(scope="session")
def stack(database_url: str) -> Iterator[Stack]:
    # The mock first: the API must allow the phone page's origin (the mock's) through CORS.
    mock = create_mock_app({"SSE_KEEPALIVE_SECONDS": 1.0})
    mock_url, stop_mock = serve_in_thread(mock)
    account = make_service_account(PROJECT_ID, f"{mock_url}/token")
    mock.extensions["mobile_mock"].authority.trust(account)
    api = create_app({"DATABASE_URL": database_url, "CORS_ORIGINS": [mock_url], "RATELIMIT_ENABLED": False,
                      "STATS_CACHE_SECONDS": 0})
    api_url, server, thread = _serve_api(api)
    mock.config["API_URL"] = api_url  # read by /phone/config.json at request time
    sender = FcmSender(account, endpoint=mock_url, app_name=f"browser-tests-{uuid.uuid4()}")
    try:
        yield Stack(api, api_url, mock, mock_url, sender)
    finally:
        # firebase-admin closes its async client with asyncio.run(), which refuses to run where an event loop is
        # running, and Playwright's sync API keeps one running in this thread while the browser is open.
        closing = threading.Thread(target=sender.close, name="close FcmSender")
        closing.start()
        closing.join(timeout=10)
        stop_mock()  # ends the open push streams first
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        api.extensions["swm_db"].engine.dispose()


@pytest.fixture
def demo(stack: Stack) -> Stack:
    """The demo's companies, users and 42 items (3 of each kind), freshly seeded, and their agencies' first
    answers: they name as parties whom the demo's traders claimed (as in the demo, where it is true)."""
    with stack.api.app_context():
        seed_demo(db.session)
        agency_confirms_claims(db.session)
        db.session.commit()
    return stack


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope, not session: while Playwright's sync API is open, an asyncio loop counts as running in this
    # thread, and tests elsewhere that call asyncio.run() (firebase-admin's async client) would fail.
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk"
        if os.environ.get("SWM_REQUIRE_BROWSER"):  # CI sets it: there, a skipped browser test is a failure
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A phone-sized tab; the test fails if the page threw an uncaught error."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
