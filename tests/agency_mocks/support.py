"""Helpers the agency-mock tests share: a hand-moved real clock, registering items, reading the feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import httpx

from agency_mocks.clock import BEIJING

START = datetime(2024, 6, 3, 8, 0, tzinfo=BEIJING)
DAY = 24 * 3600


class FakeRealTime:
    """Stands in for time.monotonic: moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def register(client: httpx.Client, agency: str, kind: str, reference: str, **extra: Any) -> dict[str, Any]:
    response = client.post(f"/{agency}/admin/items", json={"kind": kind, "reference": reference, **extra})
    assert response.status_code in (200, 201), response.text
    return response.json()


def advance(client: httpx.Client, seconds: float) -> None:
    response = client.post("/admin/clock", json={"advance_seconds": seconds})
    assert response.status_code == 200, response.text


def item(client: httpx.Client, agency: str, reference: str) -> dict[str, Any]:
    response = client.get(f"/{agency}/admin/items/{reference}")
    assert response.status_code == 200, response.text
    return response.json()


def read_feed(
    client: httpx.Client, after: int = 0, limit: int | None = None
) -> tuple[dict[str, str], list[dict[str, str]]]:
    params = {"after": after} if limit is None else {"after": after, "limit": limit}
    response = client.get("/gacc/receipts", params=params)
    assert response.status_code == 200, response.text
    return parse_feed(response.content)


def parse_feed(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    root = ET.fromstring(body)
    head = {child.tag: child.text or "" for child in root.find("HEAD")}
    receipts = [{field.tag: field.text or "" for field in r} for r in root.find("RECEIPTS")]
    return head, receipts
