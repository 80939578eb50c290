"""The sending port: what the dispatcher needs from a push service, and what each send came to.

The real implementation (notifications/fcm.py, the only module that imports firebase_admin) and the fake
the tests use (tests/notifications/fakes.py) both satisfy `Sender`; the dispatcher knows nothing else about FCM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

OutcomeKind = Literal["sent", "dead_token", "retry", "failed"]

# Our own credential failed: the token endpoint refused the service account or could not be reached, or FCM
# refused the access token we had. Transient from the outbox's point of view (sent once the credential works
# again), provider-wide (every message fails alike), and named so that the desk and /metrics say what is wrong.
AUTH_FAILED = "AUTH_FAILED"


@dataclass(frozen=True)
class SendOutcome:
    """What became of one message.

    sent: FCM accepted it (message_id set). dead_token: the token is gone for good (uninstalled, other
    sender). retry: worth trying again later, no earlier than `retry_after` seconds when FCM said so.
    failed: FCM refused the message itself; sending it again would not help.
    """

    kind: OutcomeKind
    message_id: str | None = None
    error_code: str | None = None  # FCM's errorCode, else the exception's class name
    retry_after: float | None = None

    @classmethod
    def sent(cls, message_id: str) -> SendOutcome:
        return cls("sent", message_id=message_id)

    @classmethod
    def dead_token(cls, error_code: str = "UNREGISTERED") -> SendOutcome:
        return cls("dead_token", error_code=error_code)

    @classmethod
    def retry(cls, error_code: str = "UNAVAILABLE", retry_after: float | None = None) -> SendOutcome:
        return cls("retry", error_code=error_code, retry_after=retry_after)

    @classmethod
    def failed(cls, error_code: str = "INVALID_ARGUMENT") -> SendOutcome:
        return cls("failed", error_code=error_code)


class Sender(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> list[SendOutcome]:
        """Send FCM v1 `message` dicts; one outcome per message, in the same order. Never raises for a
        refused message: every refusal is an outcome."""
        ...

    def authenticate(self) -> str | None:
        """Fetch a fresh credential now, sending nothing: None when it works, else the error code
        (AUTH_FAILED). What a paused dispatcher probes before it risks a batch."""
        ...
