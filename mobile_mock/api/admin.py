"""Test and benchmark controls: every stored message, counters, reset, and run-time faults."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from mobile_mock.api.params import bool_arg, int_arg, json_abort
from mobile_mock.faults import FaultConfig
from mobile_mock.state import get_state

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Readiness probe."""
    return jsonify(ok=True)


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    """All deliveries with seq > `after`, oldest first, at most `limit`."""
    state = get_state()
    after, limit = int_arg("after", 0), int_arg("limit", 1000, minimum=1, maximum=100_000)
    deliveries = state.store.since(after, limit)
    return jsonify(
        messages=[d.to_json() for d in deliveries],
        last_seq=deliveries[-1].seq if deliveries else after,
        newest_seq=state.store.last_seq(),
    )


@bp.delete("/messages")
def reset() -> ResponseReturnValue:
    """Forget stored messages and zero the counters (seq numbers keep growing)."""
    state = get_state()
    state.store.clear()
    state.stats.reset()
    return "", 204


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    """Counts: accepted sends, deliveries, errors per code, and per token (omit with per_token=0)."""
    state = get_state()
    snapshot = state.stats.snapshot(per_token=bool_arg("per_token", True))
    live = {"open_streams": state.store.feed_count(), "newest_seq": state.store.last_seq()}
    return jsonify(snapshot | live)


@bp.get("/faults")
def show_faults() -> ResponseReturnValue:
    """The fault plan in force (with the scripted outcomes not yet used)."""
    faults = get_state().faults
    config = faults.config
    return jsonify(config.to_json() | {"active": config.active, "next_pending": faults.pending()})


@bp.post("/faults")
def set_faults() -> ResponseReturnValue:
    """Replace the fault plan; the RNG restarts from its seed."""
    faults = get_state().faults
    try:
        config = FaultConfig.from_json(request.get_json(force=True, silent=True), faults.default_seed)
    except (TypeError, ValueError) as error:
        json_abort(400, str(error))
    faults.configure(config)
    if config.refuse_tokens:
        get_state().authority.revoke_all()  # a revoked key: the tokens it got stop working too
    return jsonify(config.to_json() | {"active": config.active})


@bp.delete("/faults")
def clear_faults() -> ResponseReturnValue:
    """No faults any more."""
    get_state().faults.clear()
    return "", 204
