"""Applying an agency's status receipt to an item: idempotent, and the current status only moves forward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from status_tracker.db import utcnow
from status_tracker.kinds import get_kind
from status_tracker.models import ClearanceItem, StatusEvent


@dataclass(frozen=True)
class StatusUpdate:
    """One receipt as an adapter parsed it. `sequence` is the agency's own ordering of the item's receipts."""

    agency_event_id: str
    sequence: int
    code: str
    note: str | None
    agency_time: datetime


@dataclass(frozen=True)
class Applied:
    event: StatusEvent
    status_changed: bool  # the item's current status moved to this receipt


def apply_update(session: Session, item: ClearanceItem, update: StatusUpdate) -> Applied | None:
    """Record the receipt on the item's timeline; None when it was already recorded.

    A receipt older (by the agency's sequence) than the current status joins the timeline but does not
    change the current status. A code the kind does not list is kept, with no stage and flagged.
    """
    seen = session.scalar(
        select(StatusEvent.id).where(
            StatusEvent.item_id == item.id, StatusEvent.agency_event_id == update.agency_event_id
        )
    )
    if seen is not None:
        return None
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
        received_at=utcnow(),
    )
    session.add(event)
    changed = item.status_sequence is None or update.sequence > item.status_sequence
    if changed:
        item.current_code = update.code
        item.stage = event.stage
        item.unknown_code = native is None
        item.agency_note = update.note
        item.agency_updated_at = update.agency_time
        item.status_sequence = update.sequence
        item.updated_at = event.received_at
    session.flush()
    return Applied(event=event, status_changed=changed)
