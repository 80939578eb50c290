"""The phone's side: get a device token, uninstall, read what arrived, or stream it as it arrives."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from mobile_mock.api.params import int_arg, json_abort
from mobile_mock.sse import device_stream
from mobile_mock.state import get_state

bp = Blueprint("devices", __name__, url_prefix="/devices")


@bp.after_request
def allow_any_origin(response: Response) -> Response:
    # The phone page may be served from another port; EventSource and fetch need CORS for that.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.post("")
def issue() -> ResponseReturnValue:
    """Issue a new device token, or register the one given as `{"token": ...}`."""
    body = request.get_json(force=True, silent=True) or {}
    wanted = body.get("token") if isinstance(body, dict) else None
    if wanted is not None and (not isinstance(wanted, str) or not wanted or "/" in wanted):
        json_abort(400, "token must be a non-empty string without '/'")
    state = get_state()
    token = state.devices.issue(wanted)
    return jsonify(state.devices.describe(token)), 201


@bp.get("/<token>")
def describe(token: str) -> ResponseReturnValue:
    """State of a token (issued, deleted, unknown), its topics and how many messages it received."""
    state = get_state()
    return jsonify(state.devices.describe(token) | {"received": state.store.count_for(token)})


@bp.delete("/<token>")
def delete(token: str) -> ResponseReturnValue:
    """Simulate an uninstall: later sends to the token answer UNREGISTERED."""
    get_state().devices.delete(token)
    return "", 204


@bp.get("/<token>/messages")
def messages(token: str) -> ResponseReturnValue:
    """Messages the token received with seq > `after`, oldest first, at most `limit`."""
    after, limit = int_arg("after", 0), int_arg("limit", 1000, minimum=1, maximum=10_000)
    deliveries = get_state().store.for_token(token, after, limit)
    last_seq = deliveries[-1].seq if deliveries else after
    return jsonify(messages=[d.to_json() for d in deliveries], last_seq=last_seq)


@bp.get("/<token>/stream")
def stream(token: str) -> ResponseReturnValue:
    """Server-Sent Events: what arrives after `after` (or Last-Event-ID), then live deliveries."""
    after = int_arg("after", 0)
    last_event_id = request.headers.get("Last-Event-ID", "")
    if last_event_id.isdigit():
        after = max(after, int(last_event_id))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(device_stream(get_state(), token, after), mimetype="text/event-stream", headers=headers)
