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


class Forbidden(DomainError):
    """The caller may see the object but not change it (e.g. another enterprise's catalogue)."""


class Invalid(DomainError):
    """A field's value is unacceptable; `field` names it as the client sent it. `details`, when given, is
    the field's errors in marshmallow's shape (e.g. per row of an upload) instead of the one reason."""

    def __init__(self, field: str, reason: str, details: dict | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.details = details
