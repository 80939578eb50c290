"""Keyset pagination cursors: opaque to clients, stable under inserts, cheap at any depth."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from core.bounds import MAX_ID, storable_moment
from core.errors import Invalid


def encode_cursor(updated_at: datetime, item_id: int) -> str:
    raw = f"{updated_at.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor holds; a forged one is refused unless it holds what the database could store."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, digits = raw.split("|")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError("naive")
        item_id = int(digits)
        if not 1 <= item_id <= MAX_ID:
            raise ValueError("beyond BIGINT")
        return storable_moment(moment), item_id
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Invalid("cursor", "not a cursor returned by this API") from None
