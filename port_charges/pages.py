"""Keyset cursors for the catalogue's lists: opaque to clients, the position as a small JSON array."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import Invalid


def encode(*position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, *types: type) -> tuple[Any, ...]:
    """The position, each value checked against its type (a forged cursor is a 422, never a database error)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("shape")
        out = []
        for value, kind in zip(values, types, strict=True):
            if kind is int and (type(value) is not int or not 1 <= value <= 2**63 - 1):
                raise ValueError("id")
            if kind is str and (not isinstance(value, str) or len(value) > 200 or "\x00" in value):
                raise ValueError("text")
            if kind is Decimal:
                if not isinstance(value, str) or len(value) > 40:
                    raise ValueError("price")
                value = Decimal(value)
                if not value.is_finite():
                    raise ValueError("price")
            out.append(value)
        return tuple(out)
    except (ValueError, InvalidOperation, UnicodeDecodeError, binascii.Error):
        raise Invalid("cursor", "not a cursor returned by this API") from None
