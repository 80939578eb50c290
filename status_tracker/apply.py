"""Applying agency receipts to items: idempotent, and an item's current status only moves forward.

Works on a batch (a feed page, a batch answer) with a fixed number of statements whatever its size:
one read of the items, one INSERT … ON CONFLICT DO NOTHING RETURNING of the events (the unique key
(item, agency event id) is what makes a repeated receipt harmless), one bulk UPDATE of the items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from core.db import in_values, utcnow
from status_tracker.kinds import get_kind
from status_tracker.models import ClearanceItem, StatusEvent
from status_tracker.parties import AgencyParty, record_agency_parties, sync_item_updated_at

# Keeps each IN (...) list well under every database's limit on bound parameters.
_CHUNK = 1000


@dataclass(frozen=True)
class StatusUpdate:
    """One receipt for one item. `sequence` is the agency's own ordering of that item's receipts."""

    agency_event_id: str
    sequence: int
    code: str
    note: str | None
    agency_time: datetime
    # The item's parties as the agency gave them with this receipt; None when it did not say.
    parties: tuple[AgencyParty, ...] | None = None


@dataclass(frozen=True)
class Change:
    """An item whose current status moved: what notifications are about. Plain data, no session needed."""

    item_id: int
    kind: str
    reference: str
    shipment_id: int | None
    event_id: int
    code: str
    stage: str | None
    milestone: bool
    note: str | None
    agency_time: datetime


# The hook the composition root gives the poll cycle: called inside the transaction that records the
# changes, so whatever it writes (notifications' outbox) commits or rolls back with them.
ChangeHook = Callable[[Session, list[Change]], None]


@dataclass(frozen=True)
class Applied:
    new_events: int
    changes: list[Change]
    terminal_items: set[int]  # items that reached a terminal code: never polled again


_EVENT_COLUMNS = ("item_id", "item_created_at", "agency_event_id", "sequence", "native_code", "stage", "milestone",
                  "note", "agency_time", "received_at")
# PostgreSQL: the whole batch as one array per column, so the statement text never changes and psycopg
# parses it once (a multi-row VALUES list would be parsed anew for every batch).
_PG_INSERT_EVENTS = text(
    f"INSERT INTO status_events ({', '.join(_EVENT_COLUMNS)}) "
    "SELECT * FROM unnest(CAST(:item_id AS bigint[]), CAST(:item_created_at AS timestamptz[]), "
    "CAST(:agency_event_id AS varchar[]), "
    "CAST(:sequence AS bigint[]), CAST(:native_code AS varchar[]), CAST(:stage AS varchar[]), "
    "CAST(:milestone AS boolean[]), CAST(:note AS text[]), CAST(:agency_time AS timestamptz[]), "
    "CAST(:received_at AS timestamptz[])) "
    "ON CONFLICT (item_id, agency_event_id, item_created_at) DO NOTHING RETURNING id, item_id, agency_event_id"
)


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> Iterable[Row]:
    """Insert the events that are not recorded yet; returns (id, item_id, agency_event_id) of those."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(_PG_INSERT_EVENTS, {c: [row[c] for row in rows] for c in _EVENT_COLUMNS})
    statement = (
        sqlite.insert(StatusEvent)
        .on_conflict_do_nothing(index_elements=["item_id", "agency_event_id", "item_created_at"])
        .returning(StatusEvent.id, StatusEvent.item_id, StatusEvent.agency_event_id)
    )
    return session.execute(statement, rows)


def apply_updates(
    session: Session, updates: Sequence[tuple[int, StatusUpdate]], *, now: datetime | None = None
) -> Applied:
    """Record new receipts on their items' timelines and move current statuses forward.

    A receipt already recorded (same item and agency event id) is ignored. A receipt that ranks below
    the item's current status joins the timeline but does not change the status. A code the kind does
    not list is kept with no stage and flagged, never guessed. Reaching a terminal code ends polling.

    The parties named by the newest receipt that names any become the item's confirmed parties, also when
    that receipt was recorded before (an answer repeats it, perhaps with amended parties); a receipt older than
    the item's current status (a stale answer) changes no parties. The change hook runs after this, so the
    pushes of a change reach the parties confirmed with it (docs/parties.md).
    """
    now = now or utcnow()
    if not updates:
        return Applied(0, [], set())
    items = {}
    item_ids = list({item_id for item_id, _ in updates})
    for start in range(0, len(item_ids), _CHUNK):
        rows = session.execute(
            select(ClearanceItem.id, ClearanceItem.kind, ClearanceItem.reference, ClearanceItem.shipment_id,
                   ClearanceItem.status_sequence, ClearanceItem.current_code, ClearanceItem.created_at,
                   ClearanceItem.stage, ClearanceItem.stage_entered_at)
            .where(in_values(session, ClearanceItem.id, item_ids[start : start + _CHUNK]))
        )
        items.update({row.id: row for row in rows})

    rows, wanted = [], set()
    for item_id, u in updates:
        if item_id not in items or (item_id, u.agency_event_id) in wanted:
            continue
        wanted.add((item_id, u.agency_event_id))
        native = get_kind(items[item_id].kind).code(u.code)
        rows.append({
            "item_id": item_id, "item_created_at": items[item_id].created_at, "agency_event_id": u.agency_event_id,
            "sequence": u.sequence, "native_code": u.code, "stage": str(native.stage) if native else None,
            "milestone": native.milestone if native else False, "note": u.note,
            "agency_time": u.agency_time, "received_at": now,
        })
    inserted: dict[tuple[int, str], int] = {}
    for start in range(0, len(rows), _CHUNK):
        result = _insert_ignoring_duplicates(session, rows[start : start + _CHUNK])
        inserted.update({(r.item_id, r.agency_event_id): r.id for r in result})

    new_by_item: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if (row["item_id"], row["agency_event_id"]) in inserted:
            new_by_item[row["item_id"]].append(row)
    changes: list[Change] = []
    item_updates: list[dict] = []
    terminal: set[int] = set()
    for item_id, new_rows in new_by_item.items():
        item = items[item_id]
        current = item.status_sequence
        latest = None
        stage, entered = item.stage, item.stage_entered_at
        # In the agency's order, so several steps in one answer each count once, in order.
        for row in sorted(new_rows, key=lambda r: r["sequence"]):
            if current is None or row["sequence"] > current:
                current, latest = row["sequence"], row
                if row["stage"] != stage or entered is None:  # the stage began with this receipt
                    stage, entered = row["stage"], row["agency_time"]
                changes.append(Change(
                    item_id=item_id, kind=item.kind, reference=item.reference, shipment_id=item.shipment_id,
                    event_id=inserted[(item_id, row["agency_event_id"])], code=row["native_code"],
                    stage=row["stage"], milestone=row["milestone"], note=row["note"],
                    agency_time=row["agency_time"],
                ))
        if latest is None:
            continue
        native = get_kind(item.kind).code(latest["native_code"])
        values = {
            "id": item_id, "current_code": latest["native_code"], "stage": latest["stage"], "stage_entered_at": entered,
            "unknown_code": native is None, "agency_note": latest["note"],
            "agency_updated_at": latest["agency_time"], "status_sequence": latest["sequence"], "updated_at": now,
        }
        if native is not None and native.terminal:
            values["next_poll_at"] = None
            terminal.add(item_id)
        item_updates.append(values)
    _record_parties(session, updates, items, item_updates, terminal, now)
    # Items that end polling and items that do not carry different columns: one bulk UPDATE each.
    for group in (
        [v for v in item_updates if "next_poll_at" in v],
        [v for v in item_updates if "next_poll_at" not in v],
    ):
        if group:
            session.execute(update(ClearanceItem), group)
    sync_item_updated_at(session, [v["id"] for v in item_updates])
    return Applied(new_events=len(inserted), changes=changes, terminal_items=terminal)


def _record_parties(session: Session, updates: Sequence[tuple[int, StatusUpdate]], items: dict,
                    item_updates: list[dict], terminal: set[int], now: datetime) -> None:
    """The agency's parties of each answered item; a finished item that was asked again stops being polled."""
    # Per item, the newest receipt that names parties, unless it is older than the status we already had.
    newest: dict[int, StatusUpdate] = {}
    for item_id, u in updates:
        if item_id in items and u.parties and (item_id not in newest or u.sequence >= newest[item_id].sequence):
            newest[item_id] = u
    parties = {
        item_id: u.parties for item_id, u in newest.items()
        if u.parties and (items[item_id].status_sequence is None or u.sequence >= items[item_id].status_sequence)
    }
    if parties:
        record_agency_parties(session, parties, now=now)
    moved = {v["id"] for v in item_updates}
    finished = []
    for item_id in {item_id for item_id, _ in updates if item_id in items} - moved:
        # A finished item asked again (a new claim wants its parties) goes back to not being polled.
        native = get_kind(items[item_id].kind).code(items[item_id].current_code or "")
        if native is not None and native.terminal:
            finished.append(item_id)
    if finished:
        session.execute(update(ClearanceItem).where(in_values(session, ClearanceItem.id, finished))
                        .values(next_poll_at=None))
        terminal.update(finished)


def apply_update(session: Session, item_id: int, update: StatusUpdate) -> Change | None:
    """Apply one receipt; the change if it moved the item's status, else None."""
    applied = apply_updates(session, [(item_id, update)])
    return applied.changes[0] if applied.changes else None
