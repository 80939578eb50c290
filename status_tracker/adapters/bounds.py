"""What a receipt may hold: every field bounded to what the tables store, checked by one function both parsers use.

An agency's value outside these bounds would otherwise fail only at the database (a varchar overflow, a BIGINT out of
range, an OverflowError converting year 9999 with a negative offset to UTC) and take the whole page down with it, on
every cycle. Here it becomes a `RejectedReceipt` problem instead: the poll cycle quarantines it and moves on.

The limits are read from the model columns, so a column that grows or shrinks moves its limit with it.

A note longer than NOTE_MAX_CHARS is *truncated*, not rejected: the note is the agency's free text beside the
status, while the code is what the trader waits for; refusing a release because its comment is long would hide the
release. The cut is marked with "…".
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.bounds import MAX_ID
from status_tracker.adapters.base import Receipt, RejectedReceipt
from status_tracker.adapters.problems import snippet
from status_tracker.models import ClearanceItem, StatusEvent

NOTE_MAX_CHARS = 2000
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # an agency time outside this window is a wrong clock or a wrong field
RAW_CHARS = 2000  # how much of a rejected receipt's text is kept for a person to read
REASON_CHARS = 500
# Unicode categories no identifier may hold: controls (NUL among them), lone surrogates, unassigned and private-use
# code points, line and paragraph separators.
_NOT_IN_IDENTIFIERS = {"Cc", "Cs", "Cn", "Co", "Zl", "Zp"}
_NOT_IN_NOTES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # controls but \t \n; surrogates


def _length(column: Any) -> int:
    return column.property.columns[0].type.length


@dataclass(frozen=True)
class Identifier:
    """Text of 1..max_chars characters, none of them a control character (NUL included), a lone surrogate, a
    private-use or unassigned code point, or a line or paragraph separator."""

    max_chars: int
    optional: bool = False  # None is fine (a field the agency need not send)

    def check(self, value: Any) -> str | None:
        if value is None and self.optional:
            return None
        if not isinstance(value, str) or not value:
            return "must be non-empty text"
        if len(value) > self.max_chars:
            return f"is {len(value)} characters, at most {self.max_chars} are stored"
        if not value.isprintable() and any(unicodedata.category(c) in _NOT_IN_IDENTIFIERS for c in value):
            return "holds control, unassigned or line-breaking characters"
        return None


@dataclass(frozen=True)
class Count:
    """An integer from 1 to what a BIGINT holds."""

    def check(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            return f"must be an integer from 1 to {MAX_ID}"
        return None


@dataclass(frozen=True)
class Moment:
    """An aware time whose local date lies in EARLIEST_YEAR..LATEST_YEAR (so converting it to UTC cannot overflow)."""

    def check(self, value: Any) -> str | None:
        if not isinstance(value, datetime) or value.tzinfo is None:
            return "must be a time with an offset"
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            return f"year {value.year} is outside {EARLIEST_YEAR}..{LATEST_YEAR}"
        return None


# Field of Receipt -> its bound. A field added to Receipt gets its line here (a test checks every field has one).
RECEIPT_FIELDS: dict[str, Identifier | Count | Moment | None] = {
    "reference": Identifier(_length(ClearanceItem.reference)),
    "code": Identifier(_length(StatusEvent.native_code)),
    "note": None,  # cleaned and truncated by `clean_note`, never a reason to reject
    "agency_time": Moment(),
    "event_id": Identifier(_length(StatusEvent.agency_event_id)),
    "version": Count(),
    "kind": Identifier(_length(ClearanceItem.kind), optional=True),  # only the GACC feed names the kind
    "parties": None,  # each one read and bounded by status_tracker.parties.read_party; a bad one is left out
}
ETAG = Identifier(_length(ClearanceItem.poll_etag))
_CHECKS = [(name, bound.check) for name, bound in RECEIPT_FIELDS.items() if bound is not None]


def bounded(receipt: Receipt, where: str, raw: Callable[[], str]) -> Receipt | RejectedReceipt:
    """`receipt` as it may be stored (its note cleaned), or why it may not, carrying what quarantine keeps
    (`raw` makes the receipt's text, only needed when it is rejected)."""
    reasons = [f"{name} {reason}" for name, check in _CHECKS if (reason := check(getattr(receipt, name)))]
    if reasons:
        reference = receipt.reference if RECEIPT_FIELDS["reference"].check(receipt.reference) is None else None
        return rejected(f"{where}: {'; '.join(reasons)}", raw(), reference)
    note = clean_note(receipt.note)
    return receipt if note == receipt.note else dataclasses.replace(receipt, note=note)


def rejected(message: str, raw: str, reference: str | None = None) -> RejectedReceipt:
    """A skipped receipt as a problem that carries what quarantine keeps: the reason, the reference when it is
    readable, the start of the receipt's text."""
    return RejectedReceipt(message[:REASON_CHARS], snippet(raw), reference=reference, raw=raw[:RAW_CHARS])


def clean_note(note: str | None) -> str | None:
    """The note without characters no database stores (NUL, lone surrogates) or a page shows (the other controls,
    except line feeds and tabs), cut to NOTE_MAX_CHARS."""
    if note is None:
        return None
    cut = len(note) > NOTE_MAX_CHARS
    kept = _NOT_IN_NOTES.sub("", note[: NOTE_MAX_CHARS * 2] if cut else note)
    return kept[: NOTE_MAX_CHARS - 1] + "…" if cut else kept


def bounded_etag(etag: str | None) -> str | None:
    """The ETag when it fits the column and is printable, else None: the item is then asked without one."""
    return etag if etag is not None and ETAG.check(etag) is None else None
