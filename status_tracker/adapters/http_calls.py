"""What every agency client shares: one request to the agency, with every way it can fail made AgencyUnavailable.

    connection refused or reset, DNS, protocol errors   → AgencyUnavailable("<agency>: ConnectError: ...")
    no answer within the timeout (TimeoutException)     → AgencyUnavailable("<agency>: no answer within 2 s ...")
    a status the client does not handle (5xx, 4xx, 3xx) → AgencyUnavailable("<agency>: HTTP 503 <agency's message>")
    a body the parser found unreadable                  → AgencyUnavailable("<agency>: unreadable answer: ...")

Each client handles its own expected statuses (200; 304, 404 or 429 where its style has them) first.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from status_tracker.adapters.base import AgencyUnavailable, ParseProblem

DEFAULT_TIMEOUT = 10.0  # seconds; one slow agency must not hold up a poll cycle for long


class AgencyClient:
    """An agency's name (for messages), its root URL (e.g. http://mocks/gacc), an httpx.Client and a timeout."""

    def __init__(self, agency: str, base_url: str, http: httpx.Client, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.agency = agency
        self.base_url = base_url.rstrip("/")  # "" is fine: paths are then relative to http's own base_url
        self.http = http
        self.timeout = timeout

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self.http.request(method, self.base_url + path, timeout=self.timeout, **options)
        except httpx.TimeoutException as error:
            raise AgencyUnavailable(
                f"{self.agency}: no answer within {self.timeout:g} s ({type(error).__name__})"
            ) from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise AgencyUnavailable(f"{self.agency}: {type(error).__name__}: {error}") from error

    def _refused(self, response: httpx.Response) -> AgencyUnavailable:
        return AgencyUnavailable(f"{self.agency}: HTTP {response.status_code} {_error_text(response)}".rstrip())

    def _unreadable(self, problem: ParseProblem) -> AgencyUnavailable:
        return AgencyUnavailable(f"{self.agency}: unreadable answer: {problem.message}")


def reference_path(reference: str) -> str:
    """A reference as URL path segments: percent-encoded, except that `/` passes through (the agencies want it so).

    A segment of only dots is encoded too, since "." and ".." would otherwise be resolved away as relative paths.
    """
    segments = (quote(segment, safe="") for segment in reference.split("/"))
    return "/".join(s.replace(".", "%2E") if s in (".", "..") else s for s in segments)


def _error_text(response: httpx.Response) -> str:
    """The agency's own error message when its body has one (`{"error", "message"}`), else the HTTP phrase."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:120] if message else response.reason_phrase
