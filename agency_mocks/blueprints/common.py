"""What every agency's routes share: JSON errors, reading a JSON body, and the fault-injecting wrapper."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from flask import Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from agency_mocks.state import mock_state


def error_response(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": _reason(status), "message": message, **extra})
    response.status_code = status
    return response


def http_error_as_json(error: HTTPException) -> Response:
    return error_response(error.code or 500, error.description or "")


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "the body must be a JSON object")
    return body


def with_faults(agency: str) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Wrap a polling view so the agency's current fault settings apply to it (admin routes stay clean)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            state = mock_state()
            faults = state.faults[agency]
            settings = faults.settings
            if settings.latency_ms:
                state.sleep(settings.latency_ms / 1000)
            if faults.roll(settings.timeout_rate):
                state.sleep(settings.timeout_seconds)
                return error_response(504, "simulated timeout")
            if faults.roll(settings.error_rate):
                return error_response(settings.error_status, "simulated failure")
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code == 200 and faults.roll(settings.malformed_rate):
                body = response.get_data()
                response.set_data(body[: faults.cut(len(body))])
            if response.status_code == 200 and (settings.oversize_bytes or settings.trickle_bytes_per_second):
                body = response.get_data()
                response.response = _sent_slowly(_padded(body, settings.oversize_bytes),
                                                 settings.trickle_bytes_per_second, state.sleep)
                response.headers.pop("Content-Length", None)  # streamed: the connection's end marks the body's
            return response

        return wrapper

    return decorate


def _padded(body: bytes, size: int) -> Iterator[bytes]:
    """`body`, then trailing whitespace (still valid XML / JSON) up to `size` bytes, made as it is sent."""
    yield body
    left, chunk = size - len(body), b" " * 65536
    while left > 0:
        yield chunk[:left]
        left -= len(chunk)


def _sent_slowly(chunks: Iterator[bytes], bytes_per_second: float, sleep: Callable[[float], None]) -> Iterator[bytes]:
    if not bytes_per_second:
        yield from chunks
        return
    step = max(1, int(bytes_per_second / 10))  # ten sends a second
    for chunk in chunks:
        for start in range(0, len(chunk), step):
            yield chunk[start : start + step]
            sleep(step / bytes_per_second)


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
