"""Quiet hours in the user's own time zone: when a routine push may go out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_clock(value: str) -> time:
    """"22:00" → time(22, 0); raises ValueError otherwise."""
    hours, minutes = value.split(":")
    if len(hours) != 2 or len(minutes) != 2:
        raise ValueError(value)
    return time(int(hours), int(minutes))


def quiet_until(start: str | None, end: str | None, time_zone: str, now: datetime) -> datetime | None:
    """When the quiet period containing `now` ends (UTC), or None if `now` is not quiet.

    The period may run over midnight (22:00–07:00). start == end means no quiet hours.
    """
    if not start or not end or start == end:
        return None
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    begin, finish = parse_clock(start), parse_clock(end)
    today = local.date()
    if begin < finish:
        if not begin <= local.time() < finish:
            return None
        ends = datetime.combine(today, finish, zone)
    elif local.time() >= begin:
        ends = datetime.combine(today + timedelta(days=1), finish, zone)
    elif local.time() < finish:
        ends = datetime.combine(today, finish, zone)
    else:
        return None
    return ends.astimezone(UTC)
