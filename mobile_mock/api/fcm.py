"""The FCM v1 endpoints firebase-admin 7.x calls: messages:send and topic subscriptions."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from mobile_mock import delivery
from mobile_mock.errors import ApiError
from mobile_mock.state import get_state

bp = Blueprint("fcm", __name__, url_prefix="/v1/projects/<project_id>")
TOPIC_PATH = "/registrations/<token>/topicSubscriptions"


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> ResponseReturnValue:
    return jsonify(error.body()), error.http_status, error.headers


@bp.post("/messages:send")
def send(project_id: str) -> ResponseReturnValue:
    """Send one message to a token, fid, topic or condition."""
    body = request.get_json(force=True, silent=True)
    name = delivery.send(get_state(), project_id, request.headers.get("Authorization"), body)
    return jsonify(name=name)


@bp.post(TOPIC_PATH)
def subscribe(project_id: str, token: str) -> ResponseReturnValue:
    """Subscribe a token to `?topic_name=`; 409 ALREADY_EXISTS (which the SDK counts as success) if it was."""
    topic = request.args.get("topic_name", "")
    auth = request.headers.get("Authorization")
    return jsonify(delivery.subscribe(get_state(), project_id, auth, token, topic))


@bp.delete(f"{TOPIC_PATH}/<topic>")
def unsubscribe(project_id: str, token: str, topic: str) -> ResponseReturnValue:
    """Unsubscribe; without `allow_missing=true` a missing subscription is 404."""
    allow_missing = request.args.get("allow_missing", "false").lower() == "true"
    auth = request.headers.get("Authorization")
    return jsonify(delivery.unsubscribe(get_state(), project_id, auth, token, topic, allow_missing))
