"""FCM topic conditions: && binds tighter than ||, ! tighter still, at most five topics."""

from __future__ import annotations

import pytest

from mobile_mock.conditions import parse_condition


@pytest.mark.parametrize(
    ("condition", "topics", "expected"),
    [
        ("'a' in topics || 'b' in topics && 'c' in topics", {"a"}, True),
        ("'a' in topics || 'b' in topics && 'c' in topics", {"b"}, False),
        ("('a' in topics || 'b' in topics) && 'c' in topics", {"a"}, False),
        ("!('a' in topics) && \"b\" in topics", {"b"}, True),
        ("!!'a' in topics", {"a"}, True),
    ],
)
def test_conditions_follow_fcms_precedence(condition: str, topics: set[str], expected: bool) -> None:
    parsed = parse_condition(condition)

    assert parsed.matches(frozenset(topics)) is expected
    assert parsed.topics <= {"a", "b", "c"}


@pytest.mark.parametrize(
    "condition",
    ["", "'a' in topics &&", "('a' in topics", "'a' in topics 'b' in topics", "a in topics",
     " || ".join(f"'t{i}' in topics" for i in range(6))],
)
def test_malformed_conditions_are_refused(condition: str) -> None:
    with pytest.raises(ValueError):
        parse_condition(condition)
