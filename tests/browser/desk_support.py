"""The page object of the desk console: sign in, search, open a case, read what the page shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

from app.processes.seed import DEMO_PASSWORD

DESK_PHONE = "13800000005"


@dataclass
class Desk:
    page: Page
    stack: Any  # conftest.Stack
    # Console documents the browser loaded, by path ("/console/cases/7" …): what the audit log must match.
    loads: Counter[str] = field(default_factory=Counter)
    searches: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("response", self._count)

    def _count(self, response: Any) -> None:
        if response.request.resource_type != "document" or response.status != 200:
            return
        parts = urlsplit(response.url)
        self.loads[parts.path] += 1
        if parts.path == "/console/" and "q=" in parts.query:
            self.searches.append(parts.query)

    @property
    def url(self) -> str:
        return f"{self.stack.api_url}/console/"

    def by(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def login(self, phone: str = DESK_PHONE, password: str = DEMO_PASSWORD) -> Desk:
        self.page.goto(self.url + "login")
        self.by("login-phone").fill(phone)
        self.by("login-password").fill(password)
        self.by("login-submit").click()
        return self

    def search(self, query: str, reason: str = "") -> Locator:
        self.by("search-q").fill(query)
        self.by("search-reason").fill(reason)
        self.by("search-submit").click()
        expect(self.by("results")).to_be_visible()
        return self.by("results")

    def notification(self, notification_id: int) -> Locator:
        return self.page.locator(f'[data-testid="notification"][data-id="{notification_id}"]')

    def flash(self, category: str) -> Locator:
        return self.page.locator(f'[data-testid="flash"][data-category="{category}"]')
