"""How a parser says "nothing here can be used": an `Unreadable` among a payload's problems.

A payload is either unreadable (not XML/JSON at all, an XML bomb, the wrong shape, no usable cursor) or readable,
perhaps only in part (some receipts skipped). Partial damage is ordinary data for the poll cycle; an unreadable
payload is not, so the clients turn it into AgencyUnavailable and the poll cycle keeps its cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from status_tracker.adapters.base import ParseProblem

SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Unreadable(ParseProblem):
    """The whole payload could not be read: nothing in it, not even its cursor, may be used."""


def unreadable(problems: Iterable[ParseProblem]) -> Unreadable | None:
    """The problem that made the payload unreadable, or None when it was at least partly readable."""
    return next((problem for problem in problems if isinstance(problem, Unreadable)), None)


def snippet(text: str | bytes) -> str:
    """The start of a payload or fragment, short enough for a log line."""
    if isinstance(text, bytes):
        text = text[: SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    return text[:SNIPPET_CHARS]
