"""STA tax and the bank: one item's status per GET behind a token bucket; over it, 429 + Retry-After."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, jsonify

from agency_mocks.blueprints.admin import add_admin_routes, add_rate_limit_routes
from agency_mocks.blueprints.common import error_response, with_faults
from agency_mocks.blueprints.per_item import answer_for
from agency_mocks.ratelimit import retry_after_header
from agency_mocks.state import mock_state


def rate_limited(agency: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wait = mock_state().limits[agency].take()
            if wait > 0:
                seconds = retry_after_header(wait)
                response = error_response(429, "rate limit exceeded", retry_after=int(seconds))
                response.headers["Retry-After"] = seconds
                return response
            return view(*args, **kwargs)

        return wrapper

    return decorate


def throttled_blueprint(agency: str) -> Blueprint:
    blueprint = Blueprint(agency, __name__, url_prefix=f"/{agency}")

    @blueprint.get("/items/<path:reference>/status")
    @rate_limited(agency)  # the gateway turns a caller away before the agency's own troubles show
    @with_faults(agency)
    def item_status(reference: str) -> Response:
        state = mock_state()
        item = state.simulation.snapshot(agency, reference)
        if item is None:
            abort(404, f"{reference} is not registered with {agency}")
        return jsonify(answer_for(state, agency, item))

    add_admin_routes(blueprint, agency)
    add_rate_limit_routes(blueprint, agency)
    return blueprint
