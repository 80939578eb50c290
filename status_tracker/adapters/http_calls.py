"""What every agency client shares: one request to the agency, with every way it can fail made AgencyUnavailable.

    connection refused or reset, DNS, protocol errors   → AgencyUnavailable("<agency>: ConnectError: ...")
    no answer within the timeout (TimeoutException)     → AgencyUnavailable("<agency>: no answer within 2 s ...")
    the whole answer not in within the timeout          → AgencyUnavailable("<agency>: answer not complete within 2 s")
    an answer larger than max_bytes                     → BadAnswer("<agency>: answer larger than ...")
    the stop event set (the scheduler is shutting down) → Stopped("<agency>: request stopped"), an AgencyUnavailable
    a status the client does not handle (5xx, 4xx, 3xx) → AgencyUnavailable("<agency>: HTTP 503 <agency's message>")
    a body the parser found unreadable                  → BadAnswer("<agency>: unreadable answer: ...")

BadAnswer is an AgencyUnavailable about one answer: the poll cycle sets the items it concerns aside and goes on.

Each client handles its own expected statuses (200; 304, 404 or 429 where its style has them) first.

`timeout` is the whole request's deadline, connect to last byte. The body is streamed and the deadline, the byte cap
and the stop event are checked after the headers and after every chunk, so an agency that trickles is cut off at the
deadline and an oversized answer is refused without reading the rest (a Content-Length over the cap is refused
before any of it is read). Each single socket operation (connect, write, one read) is bounded by `timeout` as well,
so the worst case, an agency that trickles until just before the deadline and then goes silent, is 2 × timeout;
so is the wait for a stop during such a silent read. Response headers are read by httpx in one go: an agency that
trickles its *headers* is bounded only by that per-read timeout (h11 caps their size at 16 KiB).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from status_tracker.adapters.base import AgencyUnavailable, BadAnswer, ParseProblem, Stopped

DEFAULT_TIMEOUT = 10.0  # seconds, connect to last byte; one slow agency must not hold up a poll cycle for long
DEFAULT_MAX_BYTES = 8 * 2**20  # the largest answer read; a full feed page or batch is well under 1 MiB


@dataclass(frozen=True)
class AgencyResponse:
    """An agency's whole answer, read within the deadline and the byte cap."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    reason_phrase: str


class AgencyClient:
    """An agency's name (for messages), its root URL (e.g. http://mocks/gacc), an httpx.Client, the deadline of a
    request (s), the largest answer read (bytes), and an event that, once set, makes requests give up."""

    def __init__(self, agency: str, base_url: str, http: httpx.Client, timeout: float = DEFAULT_TIMEOUT,
                 max_bytes: int = DEFAULT_MAX_BYTES, stop: threading.Event | None = None) -> None:
        self.agency = agency
        self.base_url = base_url.rstrip("/")  # "" is fine: paths are then relative to http's own base_url
        self.http = http
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.stop = stop

    def _send(self, method: str, path: str, **options: Any) -> AgencyResponse:
        deadline = time.monotonic() + self.timeout
        self._check(deadline)
        try:
            with self.http.stream(method, self.base_url + path, timeout=self.timeout, **options) as response:
                self._check(deadline)
                declared = response.headers.get("Content-Length", "")
                if declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
                    raise self._too_large(f"{int(declared)} bytes")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self._too_large(f"more than {self.max_bytes} bytes")
                    chunks.append(chunk)
                    self._check(deadline)
                return AgencyResponse(response.status_code, response.headers, b"".join(chunks),
                                      response.reason_phrase)
        except httpx.TimeoutException as error:
            raise AgencyUnavailable(
                f"{self.agency}: no answer within {self.timeout:g} s ({type(error).__name__})"
            ) from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise AgencyUnavailable(f"{self.agency}: {type(error).__name__}: {error}") from error

    def _check(self, deadline: float) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Stopped(f"{self.agency}: request stopped")
        if time.monotonic() > deadline:
            raise AgencyUnavailable(f"{self.agency}: answer not complete within {self.timeout:g} s")

    def _too_large(self, size: str) -> BadAnswer:
        return BadAnswer(f"{self.agency}: answer larger than {self.max_bytes} bytes ({size}); refused")

    def _refused(self, response: AgencyResponse) -> AgencyUnavailable:
        return AgencyUnavailable(f"{self.agency}: HTTP {response.status_code} {_error_text(response)}".rstrip())

    def _unreadable(self, problem: ParseProblem) -> BadAnswer:
        return BadAnswer(f"{self.agency}: unreadable answer: {problem.message}")


def reference_path(reference: str) -> str:
    """A reference as URL path segments: percent-encoded, except that `/` passes through (the agencies want it so).

    A segment of only dots is encoded too, since "." and ".." would otherwise be resolved away as relative paths.
    """
    segments = (quote(segment, safe="") for segment in reference.split("/"))
    return "/".join(s.replace(".", "%2E") if s in (".", "..") else s for s in segments)


def _error_text(response: AgencyResponse) -> str:
    """The agency's own error message when its body has one (`{"error", "message"}`), else the HTTP phrase."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:120] if message else response.reason_phrase
