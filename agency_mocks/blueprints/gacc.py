"""GACC customs: a change feed of DEC_RESULT-style XML receipts after a SEQ_NO cursor."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from agency_mocks.blueprints.admin import add_admin_routes
from agency_mocks.blueprints.common import with_faults
from agency_mocks.formats import feed_xml
from agency_mocks.state import mock_state

AGENCY = "gacc"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

blueprint = Blueprint(AGENCY, __name__, url_prefix=f"/{AGENCY}")


@blueprint.get("/receipts")
@with_faults(AGENCY)
def receipts() -> Response:
    after = _int_arg("after", 0)
    limit = min(_int_arg("limit", DEFAULT_LIMIT), MAX_LIMIT)  # capped, not refused: like a real feed
    if after < 0 or limit < 1:
        abort(400, "after must be >= 0 and limit >= 1")
    state = mock_state()
    faults = state.faults[AGENCY]
    page = state.simulation.feed(AGENCY, after, limit)
    next_seq = page.receipts[-1].seq if page.receipts else after
    delivered = faults.shuffled(faults.duplicated(page.receipts))
    parties = dict(page.parties)
    if after > 0 and faults.roll(faults.settings.duplicate_rate):
        # At-least-once delivery: the receipt the client already has at its cursor comes again.
        again = state.simulation.feed(AGENCY, after - 1, 1)
        delivered = list(again.receipts) + delivered
        parties.update(again.parties)
    body = feed_xml(delivered, feed_id=state.feed_id, after=after, next_seq=next_seq, last_seq=page.last_seq,
                    queried_at=state.clock.to_datetime(state.clock.now()), clock=state.clock, parties=parties)
    return Response(body, content_type="application/xml; charset=utf-8")


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        abort(400, f"{name} must be an integer")


add_admin_routes(blueprint, AGENCY)
