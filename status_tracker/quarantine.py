"""Receipts the tracker could not take, kept for a person instead of holding up the feed behind them.

A receipt is rejected by its parser (unreadable, or outside what the tables store: adapters/bounds.py) or, when a
page keeps failing to apply, by the database itself (the poll cycle then applies receipt by receipt). Either way it
is stored here in the transaction that moves on past it. The same receipt sent again (a per-item agency answers
the item's whole history on every poll) is one row whose `times_seen` grows. Housekeeping forgets a row not seen
again for 90 days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import in_values, utcnow
from status_tracker.adapters.base import RejectedReceipt
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, QuarantinedReceipt

KEEP = timedelta(days=90)  # how long a rejected receipt not seen again is kept


@dataclass(frozen=True)
class Rejected:
    """A quarantined receipt as the desk and the operator see it."""

    id: int
    agency: str
    reference: str | None
    item_id: int | None
    reason: str
    raw: str
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int


def quarantine(session: Session, agency: str, problems: Sequence[RejectedReceipt], now: datetime | None = None) -> int:
    """Keep each rejected receipt (once per agency and text); returns how many were given."""
    if not problems:
        return 0
    now = now or utcnow()
    items = _items_named(session, agency, {p.reference for p in problems if p.reference})
    rows = {}
    for problem in problems:
        raw = problem.raw if problem.raw is not None else (problem.snippet or "")
        fingerprint = hashlib.sha256(f"{problem.message}\0{raw}".encode("utf-8", "replace")).hexdigest()
        rows[fingerprint] = {
            "agency": agency, "reference": problem.reference, "item_id": items.get(problem.reference or ""),
            "reason": problem.message, "raw": raw, "fingerprint": fingerprint,
            "first_seen_at": now, "last_seen_at": now, "times_seen": 1,
        }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(QuarantinedReceipt)
    # Sorted, so two schedulers upserting the same rows (a failover) take their locks in the same order.
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["agency", "fingerprint"],
            set_={"last_seen_at": statement.excluded.last_seen_at, "times_seen": QuarantinedReceipt.times_seen + 1},
        ),
        [rows[key] for key in sorted(rows)],
    )
    return len(problems)


def rejected_receipts(session: Session, *, agency: str | None = None, item_id: int | None = None,
                      limit: int = 100) -> list[Rejected]:
    """The most recently seen rejected receipts, of one agency or one item if asked."""
    query = (select(QuarantinedReceipt)
             .order_by(QuarantinedReceipt.last_seen_at.desc(), QuarantinedReceipt.id.desc()).limit(limit))
    if agency is not None:
        query = query.where(QuarantinedReceipt.agency == agency)
    if item_id is not None:
        query = query.where(QuarantinedReceipt.item_id == item_id)
    return [
        Rejected(id=r.id, agency=r.agency, reference=r.reference, item_id=r.item_id, reason=r.reason, raw=r.raw,
                 first_seen_at=r.first_seen_at, last_seen_at=r.last_seen_at, times_seen=r.times_seen)
        for r in session.scalars(query)
    ]


def rejected_counts(session: Session) -> dict[str, int]:
    """Rejected receipts per agency."""
    counts = select(QuarantinedReceipt.agency, func.count()).group_by(QuarantinedReceipt.agency)
    return dict(session.execute(counts).all())


def forget_rejected(session: Session, now: datetime | None = None, keep: timedelta = KEEP) -> int:
    """Delete rejected receipts not seen again for `keep`: by then a person has looked, or nobody will."""
    cutoff = (now or utcnow()) - keep
    return session.execute(delete(QuarantinedReceipt).where(QuarantinedReceipt.last_seen_at < cutoff)).rowcount or 0


def _items_named(session: Session, agency: str, references: set[str]) -> dict[str, int]:
    """The agency's tracked items among `references`, when a reference names exactly one of them."""
    if not references:
        return {}
    kinds = [kind.key for kind in KINDS.values() if kind.agency == agency]
    found: dict[str, list[int]] = {}
    for item_id, reference in session.execute(
        select(ClearanceItem.id, ClearanceItem.reference)
        .where(ClearanceItem.kind.in_(kinds), in_values(session, ClearanceItem.reference, sorted(references)))
    ):
        found.setdefault(reference, []).append(item_id)
    return {reference: ids[0] for reference, ids in found.items() if len(ids) == 1}
