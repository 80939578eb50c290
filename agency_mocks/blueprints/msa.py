"""MSA maritime: one vessel's status per GET, with an ETag so an unchanged status costs a bodiless 304."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from agency_mocks.blueprints.admin import add_admin_routes
from agency_mocks.blueprints.common import with_faults
from agency_mocks.blueprints.per_item import answer_for
from agency_mocks.state import mock_state

AGENCY = "msa"

blueprint = Blueprint(AGENCY, __name__, url_prefix=f"/{AGENCY}")


@blueprint.get("/vessels/<path:reference>/status")
@with_faults(AGENCY)
def vessel_status(reference: str) -> Response:
    state = mock_state()
    item = state.simulation.snapshot(AGENCY, reference)
    if item is None:
        abort(404, f"{reference} is not registered with {AGENCY}")
    answer = answer_for(state, AGENCY, item)
    # The ETag names the version answered (a stale answer carries its older version's tag).
    etag = f"v{answer['version']}"
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = jsonify(answer)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


add_admin_routes(blueprint, AGENCY)
