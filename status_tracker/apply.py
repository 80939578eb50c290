"""Applying agency receipts to items: idempotent, and an item's current status only moves forward.

Works on a batch (a feed page, a batch answer) with a fixed number of queries, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from status_tracker.db import utcnow
from status_tracker.kinds import get_kind
from status_tracker.models import ClearanceItem, StatusEvent

# Keeps each IN (...) list well under every database's limit on bound parameters.
_CHUNK = 500


@dataclass(frozen=True)
class StatusUpdate:
    """One receipt for one item. `sequence` is the agency's own ordering of that item's receipts."""

    agency_event_id: str
    sequence: int
    code: str
    note: str | None
    agency_time: datetime


@dataclass(frozen=True)
class Change:
    """An item whose current status moved to `event` (what notifications are about)."""

    item: ClearanceItem
    event: StatusEvent


# The hook the composition root gives the poll cycle: called inside the transaction that records the
# changes, so whatever it writes (notifications' outbox) commits or rolls back with them.
ChangeHook = Callable[[Session, list[Change]], None]


@dataclass(frozen=True)
class Applied:
    new_events: list[StatusEvent]
    changes: list[Change]


def _already_recorded(session: Session, pairs: Sequence[tuple[ClearanceItem, StatusUpdate]]) -> set[tuple[int, str]]:
    keys = list({(item.id, update.agency_event_id) for item, update in pairs})
    seen: set[tuple[int, str]] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = session.execute(
            select(StatusEvent.item_id, StatusEvent.agency_event_id).where(
                tuple_(StatusEvent.item_id, StatusEvent.agency_event_id).in_(chunk)
            )
        )
        seen.update((row.item_id, row.agency_event_id) for row in rows)
    return seen


def apply_updates(
    session: Session, pairs: Sequence[tuple[ClearanceItem, StatusUpdate]], *, now: datetime | None = None
) -> Applied:
    """Record new receipts on their items' timelines and move current statuses forward.

    A receipt already recorded (same item and agency event id) is ignored. A receipt that ranks below
    the item's current status joins the timeline but does not change the status. A code the kind does
    not list is kept with no stage and flagged, never guessed. Reaching a terminal code ends polling.
    """
    now = now or utcnow()
    seen = _already_recorded(session, pairs)
    new_events: list[StatusEvent] = []
    changes: list[Change] = []
    # Within an item, apply in the agency's order, so several steps in one answer each count once, in order.
    for item, update in sorted(pairs, key=lambda pair: (pair[0].id, pair[1].sequence)):
        key = (item.id, update.agency_event_id)
        if key in seen:
            continue
        seen.add(key)
        native = get_kind(item.kind).code(update.code)
        event = StatusEvent(
            item_id=item.id,
            agency_event_id=update.agency_event_id,
            sequence=update.sequence,
            native_code=update.code,
            stage=str(native.stage) if native else None,
            milestone=native.milestone if native else False,
            note=update.note,
            agency_time=update.agency_time,
            received_at=now,
        )
        event.item = item
        new_events.append(event)
        if item.status_sequence is None or update.sequence > item.status_sequence:
            item.current_code = update.code
            item.stage = event.stage
            item.unknown_code = native is None
            item.agency_note = update.note
            item.agency_updated_at = update.agency_time
            item.status_sequence = update.sequence
            item.updated_at = now
            if native is not None and native.terminal:
                item.next_poll_at = None
            changes.append(Change(item=item, event=event))
    session.add_all(new_events)
    session.flush()
    return Applied(new_events=new_events, changes=changes)


def apply_update(session: Session, item: ClearanceItem, update: StatusUpdate) -> Change | None:
    """Apply one receipt; the change if it moved the item's status, else None."""
    applied = apply_updates(session, [(item, update)])
    return applied.changes[0] if applied.changes else None
