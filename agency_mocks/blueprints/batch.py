"""MOFCOM and CCPIT: a batch query of up to 100 references per POST, answered in JSON."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify

from agency_mocks.blueprints.admin import add_admin_routes
from agency_mocks.blueprints.common import json_body, with_faults
from agency_mocks.blueprints.per_item import answer_for
from agency_mocks.formats import iso_time
from agency_mocks.state import mock_state

MAX_REFERENCES = 100


def batch_blueprint(agency: str) -> Blueprint:
    blueprint = Blueprint(agency, __name__, url_prefix=f"/{agency}")

    @blueprint.post("/status/query")
    @with_faults(agency)
    def query() -> Response:
        references = json_body().get("references")
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            abort(400, "references must be a list of strings")
        if len(references) > MAX_REFERENCES:
            abort(400, f"at most {MAX_REFERENCES} references per query, got {len(references)}")
        state = mock_state()
        snapshots = state.simulation.snapshots(agency, references)
        results = [
            {"reference": ref, "found": True, **answer_for(state, agency, item)} if item
            else {"reference": ref, "found": False}
            for ref, item in zip(references, snapshots, strict=True)
        ]
        return jsonify({
            "agency": agency,
            "queried_at": iso_time(state.clock.to_datetime(state.clock.now())),
            "results": state.faults[agency].duplicated(results),
        })

    add_admin_routes(blueprint, agency)
    return blueprint
