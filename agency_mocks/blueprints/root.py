"""Routes for the whole mocks app: health, the simulated clock, and the agencies' lifecycle data."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from agency_mocks.blueprints.common import json_body
from agency_mocks.lifecycles import LIFECYCLES
from agency_mocks.state import mock_state

blueprint = Blueprint("root", __name__)


@blueprint.get("/health")
def health() -> Response:
    state = mock_state()
    return jsonify({"status": "ok", "seed": state.seed, "feed_id": state.feed_id,
                    "clock": state.clock.snapshot(), "agencies": state.simulation.counts()})


@blueprint.route("/admin/clock", methods=["GET", "POST"])
def clock() -> Response:
    """POST {speed?: number >= 0, advance_seconds?: number >= 0}: speed applies from now on."""
    state = mock_state()
    if request.method == "POST":
        body = json_body()
        speed, advance = body.get("speed"), body.get("advance_seconds", 0)
        if not all(_non_negative_number(v) for v in (advance, 0 if speed is None else speed)):
            abort(400, "speed and advance_seconds must be numbers >= 0")
        if speed is not None:
            state.clock.set_speed(speed)
        state.clock.advance(advance)
    return jsonify(state.clock.snapshot())


@blueprint.get("/admin/lifecycles")
def lifecycles() -> Response:
    """The agencies' own vocabularies and paths, for cross-checking the tracker's table of kinds."""
    return jsonify({
        kind: {
            "agency": lifecycle.agency,
            "confirmed": lifecycle.confirmed,
            "codes": dict(lifecycle.codes),
            "paths": [
                {"weight": path.weight,
                 "steps": [{"code": s.code, "dwell_minutes": [s.min_minutes, s.max_minutes]}
                           for s in path.steps]}
                for path in lifecycle.paths
            ],
        }
        for kind, lifecycle in LIFECYCLES.items()
    })


def _non_negative_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
