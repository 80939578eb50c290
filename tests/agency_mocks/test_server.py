"""Over a real socket: serve_in_thread, and a simulated timeout that outlasts the client's."""

from __future__ import annotations

import httpx
import pytest

from agency_mocks import create_app
from agency_mocks.clock import SimClock
from agency_mocks.server import serve_in_thread
from tests.agency_mocks.support import START


def test_the_mocks_answer_over_http_and_a_timeout_fault_outlasts_the_client() -> None:
    app = create_app({"seed": 42, "clock": SimClock(START, speed=0)})
    base_url, stop = serve_in_thread(app)
    try:
        with httpx.Client(base_url=base_url, timeout=2) as client:
            assert client.get("/health").json()["status"] == "ok"
            client.post("/gacc/admin/items", json={"kind": "transit", "reference": "2233202400004567"})
            assert b"<CHANNEL>01</CHANNEL>" in client.get("/gacc/receipts").content

            client.post("/gacc/admin/faults", json={"timeout_rate": 1, "timeout_seconds": 0.5})
            with pytest.raises(httpx.ReadTimeout):
                client.get("/gacc/receipts", timeout=0.1)
            client.delete("/gacc/admin/faults")
            assert client.get("/gacc/receipts").status_code == 200
    finally:
        stop()
