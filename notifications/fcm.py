"""Sending through the real firebase-admin SDK: the only module of the project that imports firebase_admin.

Verified against firebase-admin 7.7 (docs/fcm-sdk.md). Two things here lean on the SDK's
private messaging service, both guarded: re-pointing its FCM URLs at an FCM-compatible endpoint (the
mobile mock, for demos and tests; refused in production), and replacing its HTTP adapter so that the SDK
does not retry by itself — the dispatcher owns retries, and urllib3 would otherwise sleep through a
429's Retry-After (minutes) inside one send.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import firebase_admin
import requests
from firebase_admin import credentials, exceptions, messaging
from google.auth import exceptions as auth_exceptions
from urllib3.util.retry import Retry

from core.db import utcnow
from notifications.sending import AUTH_FAILED, SendOutcome

log = logging.getLogger(__name__)

__all__ = ["FCM_HOST", "MAX_BATCH", "FcmSender", "SendOutcome", "to_message"]

FCM_HOST = "https://fcm.googleapis.com"
MAX_BATCH = 500  # send_each's limit per call
HTTP_TIMEOUT_SECONDS = 30.0  # the SDK's 120 s default would hold a whole batch (and its lease) on one hung request

_DEAD_TOKEN = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
# Transient on FCM's side or ours: quota, outages, APNs/web-push credentials, timeouts, our own token expiring.
_RETRYABLE = (
    exceptions.ResourceExhaustedError,  # QuotaExceededError is one
    exceptions.UnavailableError,  # 503, and connection failures
    exceptions.InternalError,
    exceptions.DeadlineExceededError,  # timeouts
    exceptions.UnauthenticatedError,  # ThirdPartyAuthError (APNs or web-push credentials); ours: AUTH_FAILED
)


def _no_retry_adapter(pool_size: int) -> requests.adapters.HTTPAdapter:
    """One attempt per request, whatever the status or Retry-After: the dispatcher decides when to retry.

    The pool holds one connection per send_each thread (up to 500), so connections are reused instead of
    opened and thrown away ("Connection pool is full").
    """
    retries = Retry(total=0, status=0, redirect=0, raise_on_status=False, respect_retry_after_header=False)
    return requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=retries)


def _messaging_service(app: firebase_admin.App) -> Any:
    getter = getattr(messaging, "_get_messaging_service", None)
    service = getter(app) if getter else None
    for attribute in ("_fcm_url", "_fcm_topic_url", "_client"):
        if service is None or not hasattr(service, attribute):
            raise RuntimeError(f"firebase-admin {firebase_admin.__version__} has no messaging service {attribute}; "
                               "this code was verified against 7.7: re-check the SDK before upgrading")
    return service


def _redirect(service: Any, project_id: str, endpoint: str) -> None:
    if not (service._fcm_url.startswith(FCM_HOST) and service._fcm_topic_url.startswith(FCM_HOST)):
        raise RuntimeError(f"firebase-admin {firebase_admin.__version__}'s FCM URLs changed shape: re-check the SDK")
    service._fcm_url = f"{endpoint}/v1/projects/{project_id}/messages:send"
    service._fcm_topic_url = f"{endpoint}/v1/projects/{project_id}/registrations"  # SDK appends /{token}/...


class FcmSender:
    """Sends FCM v1 message dicts (as `notifications.messages.build_push` builds them) with send_each."""

    def __init__(self, service_account: dict[str, Any] | str | os.PathLike[str], *, endpoint: str | None = None,
                 production: bool = False, app_name: str = "swm-dispatcher", pool_size: int = MAX_BATCH,
                 timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        if endpoint and production:
            raise RuntimeError("refusing to send production pushes anywhere but fcm.googleapis.com")
        source = service_account if isinstance(service_account, dict) else os.fspath(service_account)
        self.app = firebase_admin.initialize_app(credentials.Certificate(source), options={"httpTimeout": timeout},
                                                 name=app_name)
        try:
            service = _messaging_service(self.app)
            base = endpoint.rstrip("/") if endpoint else FCM_HOST
            if endpoint:
                _redirect(service, self.app.project_id, base)
            service._client.session.mount(base, _no_retry_adapter(pool_size))
        except BaseException:
            firebase_admin.delete_app(self.app)
            raise
        self.endpoint = base

    def close(self) -> None:
        firebase_admin.delete_app(self.app)

    def authenticate(self) -> str | None:
        """Fetch an access token now. A credential that fails is an outcome (AUTH_FAILED), not a crash: the
        dispatcher starts, stays up and says it is not ready until the credential works again."""
        try:
            self.app.credential.get_access_token()
        except auth_exceptions.GoogleAuthError as exc:  # RefreshError (refused), TransportError (unreachable)
            log.warning("FCM credential failed", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
            return AUTH_FAILED
        return None

    def send(self, messages: Sequence[dict[str, Any]]) -> list[SendOutcome]:
        # google-auth refreshes without a lock: a cold credential would fetch a token per thread of the burst
        # (and, while the credential fails, ask the token endpoint 500 times). One fetch first, then the batch.
        if messages and not self.app.credential.get_credential().valid and self.authenticate():
            return [SendOutcome.retry(AUTH_FAILED)] * len(messages)
        outcomes: list[SendOutcome] = []
        for start in range(0, len(messages), MAX_BATCH):
            outcomes.extend(self._send_batch(messages[start : start + MAX_BATCH]))
        return outcomes

    def _send_batch(self, batch: Sequence[dict[str, Any]]) -> list[SendOutcome]:
        outcomes: list[SendOutcome | None] = [None] * len(batch)
        ready: list[tuple[int, messaging.Message]] = []
        with _token_field_allowed():  # one filter change per batch, not per message
            for i, message in enumerate(batch):
                try:
                    ready.append((i, to_message(message)))
                except (KeyError, TypeError, ValueError) as exc:
                    outcomes[i] = SendOutcome.failed(type(exc).__name__)
        try:
            results = self._send_each([m for _, m in ready])
        except Exception as exc:  # the whole call failed (token endpoint down, …): nothing known, try again
            code = AUTH_FAILED if _is_auth_failure(exc) else type(exc).__name__
            results = [SendOutcome.retry(code)] * len(ready)
        for (i, _), outcome in zip(ready, results, strict=True):
            outcomes[i] = outcome
        return [o for o in outcomes if o is not None]

    def _send_each(self, messages: list[messaging.Message]) -> list[SendOutcome]:
        if not messages:
            return []
        try:
            response = messaging.send_each(messages, app=self.app)
        except ValueError:
            # The SDK encodes every message before sending any: one bad message refuses the whole call.
            return self._send_valid_ones(messages)
        return [outcome_of(r) for r in response.responses]

    def _send_valid_ones(self, messages: list[messaging.Message]) -> list[SendOutcome]:
        outcomes: list[SendOutcome | None] = []
        valid: list[messaging.Message] = []
        for message in messages:
            try:
                messaging._MessagingService.encode_message(message)  # what send_each does first
                outcomes.append(None)
                valid.append(message)
            except ValueError:
                outcomes.append(SendOutcome.failed("ValueError"))
        sent = iter(self._send_each(valid) if valid else [])
        return [o if o is not None else next(sent) for o in outcomes]


@contextmanager
def _token_field_allowed() -> Iterator[None]:
    """`Message(token=...)` warns DeprecationWarning in 7.7 (fids are preferred); tokens are what we have."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
        yield


def outcome_of(response: messaging.SendResponse) -> SendOutcome:
    if response.success:
        return SendOutcome.sent(response.message_id)
    exc = response.exception
    code = _error_code(exc)
    if isinstance(exc, _DEAD_TOKEN):
        return SendOutcome.dead_token(code)
    if _is_auth_failure(exc):
        return SendOutcome.retry(AUTH_FAILED)
    if isinstance(exc, _RETRYABLE) or _is_transport_error(exc):
        return SendOutcome.retry(code, _retry_after(exc))
    return SendOutcome.failed(code)


def _is_auth_failure(exc: BaseException) -> bool:
    """Our own credential failed: FCM refused our access token even after the SDK refreshed it once (401 without
    an FcmError: ThirdPartyAuthError is APNs' or web push's, not ours), or fetching a token failed. send_each
    wraps the latter: UnknownError caused by google-auth's RefreshError or TransportError."""
    if isinstance(exc, exceptions.UnauthenticatedError) and not isinstance(exc, messaging.ThirdPartyAuthError):
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, auth_exceptions.GoogleAuthError):
            return True
        seen.add(id(current))
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return False


def _is_transport_error(exc: BaseException) -> bool:
    """No HTTP answer at all (connection reset, …): the message may or may not have arrived; send again."""
    return (isinstance(exc, exceptions.FirebaseError) and exc.http_response is None
            and isinstance(exc.cause, requests.RequestException))


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "http_response", None)
    if response is not None:
        try:
            details = response.json()["error"].get("details", [])
            for detail in details:
                if isinstance(detail, dict) and detail.get("errorCode"):
                    return str(detail["errorCode"])
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # not FCM's error body: fall back to the class name
    return type(exc).__name__


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())  # an HTTP date
    except (TypeError, ValueError):
        return None


# --- FCM v1 JSON → firebase_admin objects. Unknown fields raise: nothing we build may vanish silently. ---

_MESSAGE = frozenset({"token", "notification", "data", "android", "apns"})
_NOTIFICATION = frozenset({"title", "body", "image"})
_ANDROID = frozenset({"priority", "ttl", "collapse_key", "notification", "data"})
_ANDROID_NOTIFICATION = frozenset({"channel_id", "tag"})
_APNS = frozenset({"headers", "payload"})
_APNS_PAYLOAD = frozenset({"aps"})
_APS = {"thread-id": "thread_id", "sound": "sound", "badge": "badge", "category": "category",
        "content-available": "content_available", "mutable-content": "mutable_content"}
_APS_KEYS = frozenset(_APS)
_APS_FLAGS = frozenset({"content-available", "mutable-content"})  # 1 on the wire, booleans in the SDK


def to_message(message: dict[str, Any]) -> messaging.Message:
    _only(message, _MESSAGE, "message")
    return messaging.Message(
        token=message["token"],
        notification=_notification(message.get("notification")),
        data=message.get("data"),
        android=_android(message.get("android")),
        apns=_apns(message.get("apns")),
    )


def _only(fields: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    if not fields.keys() <= allowed:
        raise ValueError(f"{where}: fields not supported by the sender: {sorted(set(fields) - allowed)}")


def _notification(fields: dict[str, Any] | None) -> messaging.Notification | None:
    if fields is None:
        return None
    _only(fields, _NOTIFICATION, "notification")
    return messaging.Notification(title=fields.get("title"), body=fields.get("body"), image=fields.get("image"))


def _android(fields: dict[str, Any] | None) -> messaging.AndroidConfig | None:
    if fields is None:
        return None
    _only(fields, _ANDROID, "android")
    note = fields.get("notification")
    if note is not None:
        _only(note, _ANDROID_NOTIFICATION, "android.notification")
    ttl = fields.get("ttl")
    return messaging.AndroidConfig(
        priority=fields.get("priority"),
        ttl=None if ttl is None else timedelta(seconds=float(str(ttl).removesuffix("s"))),
        collapse_key=fields.get("collapse_key"),
        data=fields.get("data"),
        notification=None if note is None else messaging.AndroidNotification(
            channel_id=note.get("channel_id"), tag=note.get("tag")),
    )


def _apns(fields: dict[str, Any] | None) -> messaging.APNSConfig | None:
    if fields is None:
        return None
    _only(fields, _APNS, "apns")
    payload = fields.get("payload")
    aps = None
    if payload is not None:
        _only(payload, _APNS_PAYLOAD, "apns.payload")
        raw = payload["aps"]
        _only(raw, _APS_KEYS, "apns.payload.aps")
        aps = messaging.Aps(**{_APS[k]: (bool(v) if k in _APS_FLAGS else v) for k, v in raw.items()})
    return messaging.APNSConfig(headers=fields.get("headers"),
                                payload=None if aps is None else messaging.APNSPayload(aps=aps))
