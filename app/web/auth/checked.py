"""Login sessions checked recently, per API process: a read may skip the token's lookup for a short, stated time.

Only reads (views marked read_only, app/web/database.py) use it, and only for a session found open with an
active user less than SWM_TOKEN_CHECK_SECONDS (default 1 s) ago. So an ended session or a disabled account is
refused by every request that writes at once, and by every read within that time at the latest; in the process
that ends a session (logout, a password change, disabling the user) at once, as close_session forgets it here.
0 turns this off: every request looks the session up. See docs/read-path.md."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import inspect

MAX_ENTRIES = 10_000  # a burst of distinct sessions beyond this empties the table rather than grow it


def _table() -> dict[str, tuple[float, Any]]:
    return current_app.extensions.setdefault("swm_checked_sessions", {})


def recent_user(session_id: str, user_id: int) -> Any | None:
    """The user of a session found open within the allowed time, else None."""
    seconds = current_app.config.get("TOKEN_CHECK_SECONDS", 0)
    if not seconds:
        return None
    entry = _table().get(session_id)
    if entry is None or time.monotonic() - entry[0] >= seconds or entry[1].id != user_id:
        return None
    return entry[1]


def remember(session_id: str, user: Any) -> None:
    if not current_app.config.get("TOKEN_CHECK_SECONDS", 0):
        return
    table = _table()
    if len(table) >= MAX_ENTRIES:
        table.clear()
    table[session_id] = (time.monotonic(), _copy(user))


def _copy(row: Any) -> Any:
    """A copy of the row outside any database session (with its eagerly loaded many-to-one rows): the
    original expires with its session, a copy keeps the values read."""
    mapper = inspect(row).mapper
    copy = mapper.class_(**{attr.key: getattr(row, attr.key) for attr in mapper.column_attrs})
    for relation in mapper.relationships:
        if not relation.uselist and relation.key in row.__dict__:
            related = row.__dict__[relation.key]
            setattr(copy, relation.key, _copy(related) if related is not None else None)
    return copy


def forget(session_id: str) -> None:
    _table().pop(session_id, None)
