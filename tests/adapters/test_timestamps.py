"""Agency timestamps: customs' own format is Beijing time; ISO-8601 keeps its offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from status_tracker.adapters.timestamps import parse_agency_time

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-06-03 08:15:00", datetime(2024, 6, 3, 8, 15, tzinfo=BEIJING)),
    (" 2024-06-03 08:15:00\n", datetime(2024, 6, 3, 8, 15, tzinfo=BEIJING)),
    ("2024-06-03T08:15:00+08:00", datetime(2024, 6, 3, 8, 15, tzinfo=BEIJING)),
    ("2024-06-03T08:15:00", datetime(2024, 6, 3, 8, 15, tzinfo=BEIJING)),
    ("2024-06-03T00:15:00Z", datetime(2024, 6, 3, 0, 15, tzinfo=UTC)),
    ("2024-06-03T08:15:00.250+0800", datetime(2024, 6, 3, 8, 15, 0, 250000, tzinfo=BEIJING)),
])
def test_a_timestamp_is_read_as_an_aware_datetime(text: str, expected: datetime) -> None:
    moment = parse_agency_time(text)
    assert moment == expected and moment is not None and moment.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", [
    "", "2024-06-03", "2024-13-03 08:15:00", "2024-06-03 25:00:00", "2024-06-03T08:15:00+24:00",
    "20240603T081500", "2024-W23-1 08:15:00", "yesterday", "2024-06-03 08:15",
])
def test_anything_else_is_not_a_timestamp(text: str) -> None:
    assert parse_agency_time(text) is None
