"""The demo's agencies: lifecycles compressed on the real clock, so no receipt is dated after the real now."""

from __future__ import annotations

from datetime import datetime

import httpx

from agency_mocks.clock import SimClock
from agency_mocks.factory import create_app
from tests.agency_mocks.support import START, FakeRealTime, item, register

REFERENCE = "310120241000123456"


def _mocks(real: FakeRealTime, compress: float) -> httpx.Client:
    app = create_app({"seed": 42, "clock": SimClock(START, speed=1, real=real), "monotonic": real,
                      "compress": compress})
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://mocks")


def _receipt_times(client: httpx.Client) -> list[datetime]:
    status = item(client, "gacc", REFERENCE)["status"]
    return [datetime.fromisoformat(r["updated_at"]) for r in status["history"]]


def test_a_compressed_lifecycle_runs_its_course_without_a_time_after_the_real_now() -> None:
    normal, compressed = FakeRealTime(), FakeRealTime()
    with _mocks(normal, 1) as slow, _mocks(compressed, 600) as quick:
        register(slow, "gacc", "customs_declaration", REFERENCE)
        register(quick, "gacc", "customs_declaration", REFERENCE)
        whole = [datetime.fromisoformat(u["at"]) for u in item(slow, "gacc", REFERENCE)["upcoming"]]
        span = (whole[-1] - START).total_seconds()
        for _ in range(int(span / 600) + 2):  # the real clock moves on a second at a time
            compressed.now += 1
            times = _receipt_times(quick)
            real_now = START.timestamp() + compressed.now
            assert all(t.timestamp() <= real_now for t in times), (times, real_now)
        # The whole story was told, 600 times faster than at the normal pace.
        assert len(_receipt_times(quick)) == len(whole) + 1
        assert item(quick, "gacc", REFERENCE)["upcoming"] == []
