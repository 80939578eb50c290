"""Driving the agency mocks in-process for adapter tests and for recording payloads.

The mocks run on a stopped clock moved by hand, their waits (latency, timeout faults) are recorded instead of slept,
and `ImpatientTransport` gives up like a real client would when they "waited" longer than the request's timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from flask import Flask

from agency_mocks import create_app
from agency_mocks.clock import SimClock

START = datetime(2024, 6, 3, 8, 0, tzinfo=timezone(timedelta(hours=8)))
HOUR = 3600
DAY = 24 * HOUR

REFERENCES = {  # one item per agency, as the kinds' examples
    "customs_declaration": "310120241001234567",
    "manifest": "COSU6345678910/032E",
    "transit": "2233202400004567",
    "license": "LIC202400012345",
    "certificate_of_origin": "CO2024310000123456",
    "transport_vehicle": "IMO9321483/118W",
    "export_tax_refund": "TS20240300001234",
    "tax_payment": "223320241000876543",
}


class FakeMonotonic:
    """Stands in for time.monotonic in the mocks' rate limits: moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Waits:
    """Stands in for time.sleep in the mocks: remembers each wait instead of waiting."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def make_mocks_app(waits: Waits, monotonic: FakeMonotonic, seed: int = 42) -> Flask:
    clock = SimClock(START, speed=0, real=monotonic)
    return create_app({"seed": seed, "clock": clock, "monotonic": monotonic, "sleep": waits})


class ImpatientTransport(httpx.BaseTransport):
    """WSGITransport ignores timeouts; this one raises ReadTimeout when the mocks waited past the read timeout."""

    def __init__(self, app: Flask, waits: Waits) -> None:
        self._inner = httpx.WSGITransport(app=app)
        self._waits = waits

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        before = len(self._waits.seconds)
        response = self._inner.handle_request(request)
        waited = sum(self._waits.seconds[before:])
        read_timeout = request.extensions.get("timeout", {}).get("read")
        if read_timeout is not None and waited > read_timeout:
            raise httpx.ReadTimeout(f"no answer within {read_timeout} s", request=request)
        return response


@dataclass
class Admin:
    """The mocks' admin API, which is never subject to faults."""

    http: httpx.Client

    def register(self, agency: str, kind: str, reference: str) -> dict[str, Any]:
        return self._ok(self.http.post(f"/{agency}/admin/items", json={"kind": kind, "reference": reference}))

    def advance(self, seconds: float) -> None:
        self._ok(self.http.post("/admin/clock", json={"advance_seconds": seconds}))

    def force(self, agency: str, reference: str, code: str, note: str | None = None,
              strict: bool = True) -> dict[str, Any]:
        body = {"code": code, "strict": strict, **({"note": note} if note is not None else {})}
        return self._ok(self.http.post(f"/{agency}/admin/items/{reference}/force", json=body))

    def faults(self, agency: str, **settings: float) -> None:
        self._ok(self.http.post(f"/{agency}/admin/faults", json=settings))

    def no_faults(self, agency: str) -> None:
        self._ok(self.http.delete(f"/{agency}/admin/faults"))

    def rate_limit(self, agency: str, per_second: float | None, burst: int = 1) -> None:
        self._ok(self.http.post(f"/{agency}/admin/rate-limit", json={"per_second": per_second, "burst": burst}))

    @staticmethod
    def _ok(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        return response.json()
