"""What the domain says when a request cannot be carried out; the web layer maps these to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""


class Conflict(DomainError):
    """The request clashes with what is already stored."""


class Invalid(DomainError):
    """A field's value is unacceptable; `field` names it as the client sent it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
