"""Agency calls over a real socket end by their deadline and read at most max_bytes: an agency that trickles is cut
off, an oversized answer is refused without being read into memory, a stop event ends a request early."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from status_tracker.adapters import AgencyUnavailable, BatchClient, FeedClient, build_clients

MiB = 2**20
MARGIN = 1.5  # seconds beyond the deadline a loaded 2-core machine may need to notice it


@contextmanager
def raw_server(body: Callable[[], Iterable[bytes]], headers: dict[str, str]) -> Iterator[str]:
    """A one-response-per-connection HTTP server on loopback; the response's body comes from `body()` as it is
    produced (so a test can trickle it or make it huge without holding it). Yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    done = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)  # the request: small, read in one go on loopback
                head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                connection.sendall(f"HTTP/1.1 200 OK\r\n{head}Connection: close\r\n\r\n".encode())
                for chunk in body():
                    if done.is_set():
                        return
                    connection.sendall(chunk)
            except OSError:  # the client gave up and closed: what these tests want
                pass

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join(5)
        listener.close()


def trickle(total: int = 60, every: float = 0.3) -> Callable[[], Iterator[bytes]]:
    def body() -> Iterator[bytes]:
        for _ in range(total):
            yield b" "
            time.sleep(every)
    return body


def feed_client(base_url: str, http: httpx.Client, **options) -> FeedClient:
    return build_clients(base_url, http, **options)["gacc"]  # type: ignore[return-value]


def test_an_agency_that_trickles_a_byte_every_0_3_s_is_cut_off_at_the_deadline() -> None:
    with raw_server(trickle(), {"Content-Type": "application/xml", "Content-Length": "60"}) as base_url, \
            httpx.Client() as http:
        started = time.monotonic()
        with pytest.raises(AgencyUnavailable, match=r"^gacc: answer not complete within 1 s$"):
            feed_client(base_url, http, timeout=1.0).fetch(0, 10)
        assert time.monotonic() - started < 1.0 + MARGIN  # without the deadline: 60 × 0.3 s = 18 s


def test_a_stop_event_ends_a_trickling_request_at_its_next_chunk() -> None:
    stop = threading.Event()
    with raw_server(trickle(), {"Content-Type": "application/xml"}) as base_url, httpx.Client() as http:
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        with pytest.raises(AgencyUnavailable, match=r"^gacc: request stopped$"):
            feed_client(base_url, http, timeout=30, stop=stop).fetch(0, 10)
        assert time.monotonic() - started < 0.5 + MARGIN
        with pytest.raises(AgencyUnavailable, match="stopped"):  # and no new request starts once it is set
            feed_client(base_url, http, timeout=30, stop=stop).fetch(0, 10)


def test_a_silent_agency_is_bounded_by_the_timeout_too() -> None:
    def silence() -> Iterator[bytes]:
        time.sleep(10)
        yield b"x"

    with raw_server(silence, {"Content-Type": "application/xml", "Content-Length": "1"}) as base_url, \
            httpx.Client() as http:
        started = time.monotonic()
        with pytest.raises(AgencyUnavailable, match=r"^gacc: no answer within 0.5 s \(ReadTimeout\)$"):
            feed_client(base_url, http, timeout=0.5).fetch(0, 10)
        assert time.monotonic() - started < 0.5 + MARGIN


def feed_of(size: int) -> Callable[[], Iterator[bytes]]:
    """A well-formed feed page of about `size` bytes, produced 64 KiB at a time."""
    receipt = (b"<DEC_RESULT><SEQ_NO>1</SEQ_NO><RECEIPT_ID>R1</RECEIPT_ID><ENTRY_ID>310120241001234567</ENTRY_ID>"
               b"<CHANNEL>L</CHANNEL><NOTICE_DATE>2026-06-03 08:00:00</NOTICE_DATE><VERSION>1</VERSION></DEC_RESULT>")

    def body() -> Iterator[bytes]:
        yield (b"<RECEIPT_FEED><HEAD><FEED_ID>f</FEED_ID><NEXT_SEQ>1</NEXT_SEQ><LAST_SEQ>1</LAST_SEQ>"
               b"<HAS_MORE>false</HAS_MORE></HEAD><RECEIPTS>")
        chunk = receipt * (64 * 1024 // len(receipt))
        for _ in range(size // len(chunk)):
            yield chunk
        yield b"</RECEIPTS></RECEIPT_FEED>"
    return body


def batch_of(results: int) -> Callable[[], Iterator[bytes]]:
    """A batch answer of `results` results, produced 10 000 at a time."""

    def body() -> Iterator[bytes]:
        yield b'{"results": ['
        one = b'{"reference": "LIC202400012345", "found": false}'
        for start in range(0, results, 10_000):
            yield b", ".join([one] * min(10_000, results - start)) + (b", " if start + 10_000 < results else b"")
        yield b"]}"
    return body


def peak_traced_while(call: Callable[[], object]) -> tuple[int, BaseException | None]:
    """The most memory Python allocated while `call` ran, and what it raised."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        try:
            call()
            raised = None
        except BaseException as error:  # noqa: BLE001 (handed back to the test)
            raised = error
        return tracemalloc.get_traced_memory()[1] - before, raised
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "with Content-Length"])
def test_a_50_mb_feed_page_is_refused_without_reading_it_into_memory(declared: bool) -> None:
    size = 50 * MiB
    length = sum(len(chunk) for chunk in feed_of(size)())
    headers = {"Content-Type": "application/xml"} | ({"Content-Length": str(length)} if declared else {})
    with raw_server(feed_of(size), headers) as base_url, httpx.Client() as http:
        client = feed_client(base_url, http, timeout=60, max_bytes=8 * MiB)
        peak, raised = peak_traced_while(lambda: client.fetch(0, 10))
    assert isinstance(raised, AgencyUnavailable) and "answer larger than 8388608 bytes" in str(raised)
    assert peak < 8 * MiB + 50 * 0.1 * MiB  # the cap plus a tenth of a MiB per MB refused, not the page


def test_a_batch_answer_of_a_million_results_is_refused_without_reading_it_into_memory() -> None:
    with raw_server(batch_of(10**6), {"Content-Type": "application/json"}) as base_url, httpx.Client() as http:
        client = build_clients(base_url, http, timeout=60, max_bytes=8 * MiB)["mofcom"]
        assert isinstance(client, BatchClient)
        peak, raised = peak_traced_while(lambda: client.query(["LIC202400012345"]))
    assert isinstance(raised, AgencyUnavailable) and "answer larger than" in str(raised)
    assert peak < 8 * MiB + 48 * 0.1 * MiB


def test_an_answer_within_the_cap_is_read_whole() -> None:
    with raw_server(feed_of(256 * 1024), {"Content-Type": "application/xml"}) as base_url, httpx.Client() as http:
        page = feed_client(base_url, http, timeout=30, max_bytes=1 * MiB).fetch(0, 10)
    assert page.feed_id == "f" and len(page.receipts) == 1  # one receipt, repeated: read once
