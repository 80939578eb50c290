"""Whatever the network or the agency does, a client returns its answer or raises AgencyError — nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from status_tracker.adapters import (
    AgencyClient,
    AgencyError,
    AgencyUnavailable,
    BatchClient,
    EtagClient,
    FeedClient,
    RateLimited,
    ThrottledClient,
)

Handler = Callable[[httpx.Request], httpx.Response]
CALLS: dict[str, Callable[[Any], object]] = {  # one call per client class, each with its own signature
    "gacc": lambda client: client.fetch(0, 10),
    "mofcom": lambda client: client.query(["A"]),
    "msa": lambda client: client.fetch("A", '"v1"'),
    "sta": lambda client: client.fetch("A"),
}
CLASSES: dict[str, type[AgencyClient]] = {
    "gacc": FeedClient, "mofcom": BatchClient, "msa": EtagClient, "sta": ThrottledClient,
}


def call(agency: str, handler: Handler) -> object:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return CALLS[agency](CLASSES[agency](agency, f"http://agency.test/{agency}", http, 0.5))


def raising(error: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return handler


def answering(status: int, body: bytes = b"", **headers: str) -> Handler:
    return lambda request: httpx.Response(status, content=body, headers=headers)


FAILURES: dict[str, tuple[Handler, str]] = {
    "connection refused": (raising(httpx.ConnectError), r"ConnectError: simulated"),
    "connect timeout": (raising(httpx.ConnectTimeout), r"no answer within 0.5 s \(ConnectTimeout\)"),
    "read timeout": (raising(httpx.ReadTimeout), r"no answer within 0.5 s \(ReadTimeout\)"),
    "connection dropped": (raising(httpx.RemoteProtocolError), r"RemoteProtocolError: simulated"),
    "500 with a JSON error": (answering(500, b'{"error": "x", "message": "db down"}'), r"HTTP 500 db down"),
    "502 from a proxy, in HTML": (answering(502, b"<html>Bad Gateway</html>"), r"HTTP 502 Bad Gateway"),
    "400": (answering(400, b'{"error": "bad_request", "message": "limit must be >= 1"}'),
            r"HTTP 400 limit must be >= 1"),
    "401": (answering(401), r"HTTP 401 Unauthorized"),
    "418": (answering(418, b"\xff\xfe"), r"HTTP 418 I'm a teapot"),
    "a redirect": (answering(302, location="http://elsewhere.test/"), r"HTTP 302 Found"),
    "a 200 in HTML": (answering(200, b"<html><body>maintenance</body></html>"), r"unreadable answer"),
    "an empty 200": (answering(200), r"unreadable answer"),
}


@pytest.mark.parametrize("agency", CALLS)
@pytest.mark.parametrize("failure", FAILURES)
def test_every_failure_is_agency_unavailable_naming_the_agency_and_the_cause(agency: str, failure: str) -> None:
    handler, cause = FAILURES[failure]
    with pytest.raises(AgencyUnavailable, match=f"^{agency}: {cause}"):
        call(agency, handler)


@pytest.mark.parametrize("agency", ["msa", "sta"])
def test_an_answer_about_another_item_is_not_taken(agency: str) -> None:
    other = (b'{"reference": "B", "code": "01", "updated_at": "2024-06-03T08:00:00+08:00", "event_id": "E:B:1:01",'
             b' "version": 1}')
    with pytest.raises(AgencyUnavailable, match=f"^{agency}: asked for 'A', answered 'B'$"):
        call(agency, answering(200, other))


def test_a_429_is_rate_limited_only_where_the_agency_has_a_rate_limit() -> None:
    with pytest.raises(RateLimited):
        call("sta", answering(429, retry_after="2"))
    with pytest.raises(AgencyUnavailable, match="^msa: HTTP 429"):
        call("msa", answering(429, retry_after="2"))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(CALLS)), st.integers(100, 599), st.binary(max_size=300),
       st.sampled_from([None, "1", "x", "-1", "1e400"]))
def test_nothing_but_an_agency_error_ever_escapes(agency: str, status: int, body: bytes, retry: str | None) -> None:
    headers = {"retry-after": retry} if retry is not None else {}
    try:
        call(agency, answering(status, body, **headers))
    except AgencyError:
        pass
