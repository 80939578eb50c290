"""The clients over a real socket: a real timeout, and references that httpx's WSGITransport cannot carry.

(WSGITransport puts the decoded path into PATH_INFO without the latin-1 round trip WSGI asks for, so a reference
like 中文/1 only works end to end over a real server.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency_mocks import create_app
from agency_mocks.server import serve_in_thread
from status_tracker.adapters import AgencyUnavailable, EtagClient, FeedClient
from tests.adapters.mocks import Admin, FakeMonotonic, Waits, make_mocks_app


@pytest.fixture(scope="module")
def served() -> Iterator[httpx.Client]:
    base_url, stop = serve_in_thread(make_mocks_app(Waits(), FakeMonotonic()))
    with httpx.Client(base_url=base_url) as http:
        yield http
    stop()


def reaches_its_item(http: httpx.Client, reference: str) -> bool:
    Admin(http).register("msa", "transport_vehicle", reference)
    msa = EtagClient("msa", "/msa", http, timeout=5)  # a path: relative to http's base_url
    answer = msa.fetch(reference)
    return answer.status is not None and answer.status.reference == reference and answer.status.found


@pytest.mark.parametrize("reference", ["中文/1", "船舶 IMO9321483/118W", "a%2Fb", "é?#%"])
def test_any_reference_reaches_its_item(served: httpx.Client, reference: str) -> None:
    assert reaches_its_item(served, reference)


references = st.text(min_size=1, max_size=64).filter(
    lambda text: text.isprintable() and text == text.strip() and not text.startswith("/"))


@settings(max_examples=60, deadline=None)
@given(references)
def test_every_printable_reference_reaches_its_item(served: httpx.Client, reference: str) -> None:
    assert reaches_its_item(served, reference)


def test_a_real_timeout_is_agency_unavailable() -> None:
    base_url, stop = serve_in_thread(create_app({"sleep": time.sleep}))
    try:
        with httpx.Client(base_url=base_url) as http:
            Admin(http).faults("gacc", timeout_rate=1, timeout_seconds=0.5)
            started = time.monotonic()
            with pytest.raises(AgencyUnavailable, match=r"^gacc: no answer within 0.1 s \(ReadTimeout\)$"):
                FeedClient("gacc", f"{base_url}/gacc", http, timeout=0.1).fetch(0, 10)
            assert time.monotonic() - started < 0.4
    finally:
        stop()
