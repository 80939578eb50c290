"""Parses FCM topic conditions such as `'a' in topics && ('b' in topics || !('c' in topics))`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

MAX_TOPICS = 5  # FCM's limit on topics in one condition

_TOKEN = re.compile(r"\s*(?:(&&)|(\|\|)|(!)|(\()|(\))|['\"]([a-zA-Z0-9\-_.~%]+)['\"]\s+in\s+topics\b)")

Predicate = Callable[[frozenset[str]], bool]


@dataclass(frozen=True)
class Condition:
    topics: frozenset[str]  # every topic named: the candidates are their subscribers
    matches: Predicate


@lru_cache(maxsize=256)
def parse_condition(text: str) -> Condition:
    """Return the compiled condition or raise ValueError with FCM-like wording."""
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    predicate = parser.expression()
    if parser.position != len(tokens):
        raise ValueError(f"Invalid condition expression provided: {text}")
    topics = frozenset(value for kind, value in tokens if kind == "topic")
    if len(topics) > MAX_TOPICS:
        raise ValueError(f"Condition expression contains more than {MAX_TOPICS} topics: {text}")
    return Condition(topics, predicate)


def _tokenize(text: str) -> list[tuple[str, str]]:
    kinds = ("and", "or", "not", "open", "close", "topic")
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"Invalid condition expression provided: {text}")
        index = next(i for i, group in enumerate(match.groups()) if group is not None)
        tokens.append((kinds[index], match.group(index + 1)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent: `||` binds looser than `&&`, which binds looser than `!`."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def expression(self) -> Predicate:
        left = self._conjunction()
        while self._take("or"):
            right, first = self._conjunction(), left
            left = lambda topics, a=first, b=right: a(topics) or b(topics)  # noqa: E731
        return left

    def _conjunction(self) -> Predicate:
        left = self._unary()
        while self._take("and"):
            right, first = self._unary(), left
            left = lambda topics, a=first, b=right: a(topics) and b(topics)  # noqa: E731
        return left

    def _unary(self) -> Predicate:
        if self._take("not"):
            inner = self._unary()
            return lambda topics: not inner(topics)
        if self._take("open"):
            inner = self.expression()
            if not self._take("close"):
                raise ValueError("Invalid condition expression provided: missing ')'")
            return inner
        topic = self._take("topic")
        if topic is None:
            raise ValueError("Invalid condition expression provided: expected 'topic' in topics")
        return lambda topics: topic in topics

    def _take(self, kind: str) -> str | None:
        if self.position < len(self.tokens) and self.tokens[self.position][0] == kind:
            self.position += 1
            return self.tokens[self.position - 1][1]
        return None
