"""The FCM operations: authorise, validate, apply faults, then deliver a send or change a subscription."""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

from mobile_mock import errors
from mobile_mock.errors import ApiError, fcm_error
from mobile_mock.state import MockState
from mobile_mock.validation import TOPIC_NAME, SendRequest, parse_send_body

DRY_RUN_ID = "fake_message_id"  # what FCM names a validate_only message
_counter = itertools.count(1)  # next() on itertools.count is atomic under the GIL
_instance = secrets.token_hex(4)


def send(state: MockState, project_id: str, authorization: str | None, body: Any) -> str:
    """Return the FCM message name, or raise the ApiError FCM would answer (counted in the stats)."""
    target = _device_target(body)  # even an invalid body is counted against the device it names
    try:
        _authorise(state, project_id, authorization)
        request = parse_send_body(body)
        delay = state.faults.delay_seconds()
        if delay:
            time.sleep(delay)
        code = state.faults.request_fault()
        if code is None and target is not None:
            code = state.faults.token_fault(target)
            if code is None and not state.devices.is_deliverable(target):
                code = "UNREGISTERED"
        if code is not None:
            raise fcm_error(code, retry_after=_retry_after(state, code))
        return _deliver(state, project_id, request)
    except ApiError as error:
        state.stats.error(error.error_code, target)
        raise


def subscribe(state: MockState, project_id: str, authorization: str | None, token: str, topic: str) -> dict:
    _authorise(state, project_id, authorization)
    _check_subscription(state, token, topic)
    if not state.devices.subscribe(token, topic):
        raise errors.already_exists(f"Subscription for topic {topic} already exists.")
    return {"name": f"projects/{project_id}/registrations/{token}/topicSubscriptions/{topic}"}


def unsubscribe(
    state: MockState, project_id: str, authorization: str | None, token: str, topic: str, allow_missing: bool
) -> dict:
    _authorise(state, project_id, authorization)
    _check_subscription(state, token, topic)
    if not state.devices.unsubscribe(token, topic) and not allow_missing:
        raise errors.not_found("Requested entity was not found.")
    return {}


def _device_target(body: Any) -> str | None:
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return None
    target = message.get("token", message.get("fid"))
    return target if isinstance(target, str) and target else None


def _authorise(state: MockState, project_id: str, authorization: str | None) -> None:
    if state.authority.check(authorization) != project_id:
        raise errors.permission_denied(project_id)


def _check_subscription(state: MockState, token: str, topic: str) -> None:
    if not TOPIC_NAME.match(topic):
        raise errors.invalid_argument(f"Invalid topic name: {topic}")
    if not state.devices.is_deliverable(token):
        raise fcm_error("UNREGISTERED")


def _retry_after(state: MockState, code: str) -> int | None:
    return int(state.faults.config.retry_after) if code == "QUOTA_EXCEEDED" else None


def _deliver(state: MockState, project_id: str, request: SendRequest) -> str:
    if request.validate_only:
        state.stats.validated()
        return f"projects/{project_id}/messages/{DRY_RUN_ID}"
    if request.target_kind in ("token", "fid"):
        tokens, via = [request.target], request.target_kind
    elif request.condition is not None:
        followers = state.devices.subscribers(request.condition.topics)
        tokens = [token for token, topics in followers.items() if request.condition.matches(topics)]
        via = "condition"
    else:
        tokens, via = list(state.devices.subscribers([request.target])), f"topic:{request.target}"
    name = f"projects/{project_id}/messages/0:{time.time_ns() // 1000}%{_instance}{next(_counter):x}"
    state.store.record(name, tokens, request.message, via)
    state.stats.accepted(tokens)
    return name
