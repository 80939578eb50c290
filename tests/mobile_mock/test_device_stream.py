"""A phone listening with EventSource: pushes arrive as Server-Sent Events over a real socket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

TIMEOUT = 5.0


@pytest.fixture
def http(live_mock: Any, sign: Callable[..., str]) -> Iterator[httpx.Client]:
    """An httpx client on the live mock, already holding an access token."""
    with httpx.Client(base_url=live_mock.base_url, timeout=TIMEOUT) as client:
        grant = client.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                            "assertion": sign(live_mock.service_account)})
        client.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
        yield client


def push(http: httpx.Client, token: str, text: str) -> str:
    response = http.post("/v1/projects/demo-swm/messages:send",
                         json={"message": {"token": token, "data": {"text": text}}})
    assert response.status_code == 200
    return response.json()["name"]


def events(response: httpx.Response) -> Iterator[dict[str, str]]:
    """Parse SSE frames (comments skipped); keepalives every 0.2 s keep each read under the timeout."""
    frame: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if frame:
                yield frame
            frame = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(": ")
            frame[field] = value


def next_message(stream: Iterator[dict[str, str]], deadline: float) -> dict[str, str]:
    for frame in stream:
        if "data" in frame:
            return frame
        assert time.monotonic() < deadline, "no message before the deadline"
    raise AssertionError("stream ended")


def test_a_push_sent_after_the_stream_opened_arrives(live_mock: Any, http: httpx.Client) -> None:
    with http.stream("GET", "/devices/phone-1/stream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        assert next(stream) == {"retry": "2000"}  # the stream is open: what comes next is live
        name = push(http, "phone-1", "released")

        frame = next_message(stream, time.monotonic() + TIMEOUT)

    delivered = json.loads(frame["data"])
    assert (frame["event"], frame["id"]) == ("message", str(delivered["seq"]))
    assert delivered["name"] == name and delivered["message"]["data"] == {"text": "released"}


def test_a_reconnecting_phone_catches_up_from_last_event_id(live_mock: Any, http: httpx.Client) -> None:
    push(http, "phone-1", "first")
    push(http, "phone-2", "not mine")
    push(http, "phone-1", "second")
    first_seq = http.get("/devices/phone-1/messages").json()["messages"][0]["seq"]

    with http.stream("GET", "/devices/phone-1/stream", headers={"Last-Event-ID": str(first_seq)}) as response:
        frame = next_message(events(response), time.monotonic() + TIMEOUT)

    assert json.loads(frame["data"])["message"]["data"] == {"text": "second"}


def test_stopping_the_server_ends_open_streams_promptly(live_mock: Any, http: httpx.Client) -> None:
    ended = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=live_mock.base_url, timeout=TIMEOUT) as phone:
            with phone.stream("GET", "/devices/phone-1/stream") as response:
                for _ in response.iter_lines():
                    pass
        ended.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    wait_for(lambda: http.get("/admin/stats").json()["open_streams"] == 1)

    started = time.monotonic()
    live_mock.stop()

    assert ended.wait(TIMEOUT)
    assert time.monotonic() - started < 2.0
    listener.join(TIMEOUT)


def test_a_departed_phone_is_noticed_at_a_keepalive(live_mock: Any, http: httpx.Client) -> None:
    with http.stream("GET", "/devices/phone-1/stream") as response:
        next(events(response))
        assert http.get("/admin/stats").json()["open_streams"] == 1

    wait_for(lambda: http.get("/admin/stats").json()["open_streams"] == 0)


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
