"""Checks an FCM v1 send body the way FCM does, minimally, and names its target."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mobile_mock.conditions import Condition, parse_condition
from mobile_mock.errors import invalid_argument

TARGETS = ("token", "fid", "topic", "condition")
MESSAGE_FIELDS = frozenset(
    {"name", "data", "notification", "android", "webpush", "apns", "fcm_options", *TARGETS}
)
BODY_FIELDS = frozenset({"message", "validate_only"})
TOPIC_NAME = re.compile(r"^[a-zA-Z0-9\-_.~%]+$")
RESERVED_DATA_KEYS = frozenset({"from", "notification", "message_type"})
MAX_PAYLOAD_BYTES = 4096
ANDROID_PRIORITIES = frozenset({"normal", "high", "NORMAL", "HIGH"})
DURATION = re.compile(r"^\d+(\.\d{1,9})?s$")
MAX_TTL = 28 * 24 * 3600  # FCM keeps a message at most four weeks


@dataclass(frozen=True)
class SendRequest:
    message: dict[str, Any]
    target_kind: str  # one of TARGETS
    target: str
    validate_only: bool
    condition: Condition | None = None


def parse_send_body(body: Any) -> SendRequest:
    """Return the send request or raise FCM's 400 INVALID_ARGUMENT."""
    if not isinstance(body, dict):
        raise invalid_argument("Invalid JSON payload received. Expected an object.")
    _reject_unknown(body, BODY_FIELDS, "")
    message = body.get("message")
    if not isinstance(message, dict):
        raise invalid_argument("Request contains an invalid argument: 'message' must be an object.")
    _reject_unknown(message, MESSAGE_FIELDS, " at 'message'")
    validate_only = body.get("validate_only", False)
    if not isinstance(validate_only, bool):
        raise invalid_argument(f"Invalid value at 'validate_only' (TYPE_BOOL), {json.dumps(validate_only)}")
    kind, target = _target(message)
    condition = None
    if kind == "topic" and not TOPIC_NAME.match(target):
        raise invalid_argument(f"Invalid topic name: {target}")
    if kind == "condition":
        try:
            condition = parse_condition(target)
        except ValueError as exc:
            raise invalid_argument(str(exc)) from exc
    _check_strings(message.get("data"), "message.data")
    _check_data_keys(message.get("data"))
    _check_notification(message.get("notification"))
    _check_android(message.get("android"))
    if len(json.dumps({k: message.get(k) for k in ("data", "notification")})) > MAX_PAYLOAD_BYTES:
        raise invalid_argument("Message is too big")
    return SendRequest(message, kind, target, validate_only, condition)


def _reject_unknown(obj: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid_argument(
                f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
            )


def _target(message: dict[str, Any]) -> tuple[str, str]:
    present = [kind for kind in TARGETS if kind in message]
    if len(present) != 1:
        raise invalid_argument(
            "Request contains an invalid argument: exactly one of token, fid, topic or condition must be set."
        )
    value = message[present[0]]
    if not isinstance(value, str) or not value:
        raise invalid_argument(f"Invalid value at 'message.{present[0]}' (TYPE_STRING), {json.dumps(value)}")
    return present[0], value


def _check_strings(mapping: Any, where: str) -> None:
    if mapping is None:
        return
    if not isinstance(mapping, dict):
        raise invalid_argument(f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.Map)")
    for index, value in enumerate(mapping.values()):
        if not isinstance(value, str):
            raise invalid_argument(
                f"Invalid value at '{where}[{index}].value' (TYPE_STRING), {json.dumps(value)}"
            )


def _check_data_keys(data: dict[str, str] | None) -> None:
    for key in data or ():
        if key in RESERVED_DATA_KEYS or key.startswith(("google", "gcm")):
            raise invalid_argument(f"Invalid data payload key: {key}")


def _check_notification(notification: Any) -> None:
    if notification is None:
        return
    if not isinstance(notification, dict):
        raise invalid_argument("Invalid value at 'message.notification'")
    for key in ("title", "body", "image"):
        value = notification.get(key)
        if value is not None and not isinstance(value, str):
            raise invalid_argument(
                f"Invalid value at 'message.notification.{key}' (TYPE_STRING), {json.dumps(value)}"
            )


def _check_android(android: Any) -> None:
    if android is None:
        return
    if not isinstance(android, dict):
        raise invalid_argument("Invalid value at 'message.android'")
    priority = android.get("priority")
    if priority is not None and priority not in ANDROID_PRIORITIES:
        raise invalid_argument(
            f"Invalid value at 'message.android.priority' (type.googleapis.com/"
            f"google.firebase.fcm.v1.AndroidMessagePriority), {json.dumps(priority)}"
        )
    ttl = android.get("ttl")
    if ttl is not None and not (isinstance(ttl, str) and DURATION.match(ttl) and float(ttl[:-1]) <= MAX_TTL):
        raise invalid_argument(f"Invalid value at 'message.android.ttl', {json.dumps(ttl)}")
    _check_strings(android.get("data"), "message.android.data")
