"""What the databases can store, said once: the API's input checks and the cursor decoding both use it.

* text: no NUL (PostgreSQL refuses U+0000 in text) and no lone surrogates (U+D800-U+DFFF cannot be encoded
  as UTF-8: no driver can send them);
* ids: within BIGINT;
* moments: shifted to UTC without leaving years 1-9999, and inside a window wide enough for any real trade
  date and narrow enough that date arithmetic near it (a 30-day default period, a year of statistics)
  cannot overflow either.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from core.i18n import N_

MAX_ID = 2**63 - 1  # BIGINT

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why no database can store this text, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return N_("must not contain NUL (U+0000) characters")
    return N_("must not contain lone surrogates (U+D800-U+DFFF): they are not characters")


def storable_moment(moment: datetime) -> datetime:
    """The moment in UTC, or ValueError when it lies outside the window (or cannot even be shifted to UTC)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(_MOMENT_REASON) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(_MOMENT_REASON)
    return utc


_MOMENT_REASON = N_("must be from {earliest} to before {latest} (UTC)").format(
    earliest=f"{EARLIEST:%Y-%m-%d}", latest=f"{LATEST:%Y-%m-%d}")
