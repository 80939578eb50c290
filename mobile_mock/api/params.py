"""Query-string parsing and plain JSON errors for the mock's own (non-Google) endpoints."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, jsonify, make_response, request


def json_abort(status: int, message: str) -> NoReturn:
    abort(make_response(jsonify(error=message), status))


def int_arg(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        json_abort(400, f"{name} must be an integer")
    if value < minimum or (maximum is not None and value > maximum):
        json_abort(400, f"{name} must be between {minimum} and {maximum if maximum is not None else 'any'}")
    return value


def bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    return default if raw is None else raw.lower() in ("1", "true", "yes")
