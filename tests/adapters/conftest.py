"""Fixtures: the agency mocks in-process (`mocks_app`, never `app`: tests/conftest.py owns that name), an httpx
client that reaches them without sockets, their admin API, and a set of adapter clients built by the registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask

from status_tracker.adapters import AgencyClient, build_clients
from tests.adapters.mocks import Admin, FakeMonotonic, ImpatientTransport, Waits, make_mocks_app

PAYLOADS = Path(__file__).parent / "payloads"
CLIENT_TIMEOUT = 2.0  # seconds; a mocks' timeout fault longer than this makes the client give up


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def mocks_app(waits: Waits, monotonic: FakeMonotonic) -> Flask:
    return make_mocks_app(waits, monotonic)


@pytest.fixture
def http(mocks_app: Flask, waits: Waits) -> Iterator[httpx.Client]:
    with httpx.Client(transport=ImpatientTransport(mocks_app, waits), base_url="http://mocks") as client:
        yield client


@pytest.fixture
def admin(http: httpx.Client) -> Admin:
    return Admin(http)


@pytest.fixture
def clients(http: httpx.Client) -> dict[str, AgencyClient]:
    return build_clients("http://mocks", http, timeout=CLIENT_TIMEOUT)


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()
