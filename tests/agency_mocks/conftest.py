"""Fixtures for the agency mocks: an app on a stopped, hand-stepped clock, and an in-process HTTP client.

Named mocks_* because the project's tests/conftest.py owns the `app` fixture (and cleans its database).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask

from agency_mocks import create_app
from agency_mocks.clock import SimClock
from tests.agency_mocks.support import START, FakeRealTime


@pytest.fixture
def real_time() -> FakeRealTime:
    return FakeRealTime()


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the faults asked for; the tests do not really sleep."""
    return []


@pytest.fixture
def mocks_app(real_time: FakeRealTime, sleeps: list[float]) -> Flask:
    return create_app({
        "seed": 42,
        "clock": SimClock(START, speed=0, real=real_time),
        "monotonic": real_time,
        "sleep": sleeps.append,
        "rate_limits": {"sta": {"per_second": 2, "burst": 2}},
    })


@pytest.fixture
def mocks(mocks_app: Flask) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.WSGITransport(app=mocks_app), base_url="http://mocks") as client:
        yield client
