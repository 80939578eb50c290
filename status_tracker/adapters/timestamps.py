"""Agency timestamps: customs' `YYYY-MM-DD HH:MM:SS` in Beijing time without an offset, or ISO-8601."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")

# Checked before fromisoformat, which would also take a bare date or week dates: receipts carry a time.
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?", re.ASCII)


def parse_agency_time(text: str) -> datetime | None:
    """An aware datetime, or None when `text` is not a timestamp. A time without an offset is Beijing time."""
    text = text.strip()
    if not _SHAPE.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # the right shape but no such moment: month 13, offset +25:00, ...
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)
