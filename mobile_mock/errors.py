"""Google API error bodies: FCM v1 error codes and the auth failures in front of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


@dataclass(frozen=True)
class ErrorKind:
    http_status: int
    status: str
    message: str


# FCM errorCode -> what FCM answers with it (HTTP status, google.rpc status, FCM's usual message).
FCM_ERRORS: dict[str, ErrorKind] = {
    "UNREGISTERED": ErrorKind(404, "NOT_FOUND", "Requested entity was not found."),
    "SENDER_ID_MISMATCH": ErrorKind(403, "PERMISSION_DENIED", "SenderId mismatch"),
    "INVALID_ARGUMENT": ErrorKind(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "QUOTA_EXCEEDED": ErrorKind(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' "
        "of service 'fcm.googleapis.com'.",
    ),
    "UNAVAILABLE": ErrorKind(503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": ErrorKind(500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": ErrorKind(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
}

_AUTH_HINT = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass(eq=False)
class ApiError(Exception):
    """An error answered in Google's JSON error shape; `error_code` is what the stats count."""

    http_status: int
    status: str
    message: str
    error_code: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.http_status} {self.status}: {self.message}"

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.http_status, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def fcm_error(code: str, message: str | None = None, retry_after: int | None = None) -> ApiError:
    kind = FCM_ERRORS[code]
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return ApiError(
        kind.http_status,
        kind.status,
        message or kind.message,
        code,
        [{"@type": FCM_ERROR_TYPE, "errorCode": code}],
        headers,
    )


def invalid_argument(message: str) -> ApiError:
    return fcm_error("INVALID_ARGUMENT", message)


def unauthenticated(reason: str) -> ApiError:
    """No FcmError detail on purpose: the SDK then raises UnauthenticatedError, not ThirdPartyAuthError."""
    if reason == "CREDENTIALS_MISSING":
        text = f"Request is missing required authentication credential. {_AUTH_HINT}"
    else:
        text = f"Request had invalid authentication credentials. {_AUTH_HINT}"
    info = {"@type": ERROR_INFO_TYPE, "reason": reason, "domain": "googleapis.com",
            "metadata": {"service": "fcm.googleapis.com"}}
    return ApiError(401, "UNAUTHENTICATED", text, "UNAUTHENTICATED", [info])


def permission_denied(project_id: str) -> ApiError:
    text = (
        f"Permission 'cloudmessaging.messages.create' denied on resource "
        f"'//cloudresourcemanager.googleapis.com/projects/{project_id}' (or it may not exist)."
    )
    info = {"@type": ERROR_INFO_TYPE, "reason": "IAM_PERMISSION_DENIED",
            "domain": "cloudresourcemanager.googleapis.com",
            "metadata": {"permission": "cloudmessaging.messages.create"}}
    return ApiError(403, "PERMISSION_DENIED", text, "PERMISSION_DENIED", [info])


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message, "NOT_FOUND")


def already_exists(message: str) -> ApiError:
    return ApiError(409, "ALREADY_EXISTS", message, "ALREADY_EXISTS")
