"""What the desk does, each step written to the audit log in the same transaction as its answer.

Plain functions over a session and the acting user (no Flask here): the API and the console both call
them, so a lookup is audited the same way whichever door it came through. Nothing here changes tracked
data: the desk reads, queues a push again, and writes its own notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_not_found
from core.errors import Invalid, NotFound
from core.i18n import N_
from core.models import User
from desk.models import AuditEntry, CaseNote
from desk.search import SearchResult, search
from notifications.delivery_log import (
    NotificationRecord,
    PartyUser,
    item_notifications,
    item_recipients,
    item_subscriptions,
    resend,
)
from notifications.models import LateAlert, OutboxMessage, Subscription
from status_tracker.clearance_times import Expectation, StatsSource, expected_completion
from status_tracker.clearances import timeline
from status_tracker.models import ClearanceItem, StatusEvent
from status_tracker.parties import ItemClaim, item_claims
from status_tracker.quarantine import Rejected, rejected_receipts

ACTIONS = ("search", "view_case", "resend", "add_note")
MAX_NOTE = 2000
MAX_REJECTED = 20  # the newest quarantined receipts shown on a case; `swm receipts rejected` lists them all


@dataclass
class Case:
    item: ClearanceItem
    events: list[StatusEvent]
    expected: list[Expectation]
    subscriptions: list[Subscription]
    notifications: list[NotificationRecord]
    recipients: list[PartyUser]
    notes: list[CaseNote] = field(default_factory=list)
    claims: list[ItemClaim] = field(default_factory=list)  # traders' claims to be parties, and their states
    rejected: list[Rejected] = field(default_factory=list)  # receipts about the item the tracker could not take
    late_alerts: list[LateAlert] = field(default_factory=list)  # "taking longer than usual", one per stage


def audit(session: Session, actor: User, action: str, *, target_type: str | None = None,
          target_id: int | None = None, query: str | None = None, reason: str | None = None,
          details: dict[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id, action=action, target_type=target_type, target_id=target_id,
                       query=query, reason=reason or None, details=details)
    session.add(entry)
    session.flush()
    return entry


def find(session: Session, actor: User, query: str, *, reason: str | None = None, limit: int = 20) -> SearchResult:
    result = search(session, query, limit=limit)
    audit(session, actor, "search", query=query[:200], reason=reason, details={
        "items": [i.id for i in result.items],
        "companies": [c.id for c in result.companies],
        "users": [u.id for u in result.users],
    })
    return result


def _item(session: Session, item_id: int) -> ClearanceItem:
    return get_or_not_found(session, ClearanceItem, item_id, "clearance item")


def open_case(session: Session, actor: User, item_id: int, stats: StatsSource, *,
              reason: str | None = None) -> Case:
    """The case, audited; a lookup of an item that does not exist is audited too (the caller commits the entry
    before answering 404): probing for ids is something the audit should show."""
    item = session.get(ClearanceItem, item_id)
    if item is None:
        audit(session, actor, "view_case", target_type="item", target_id=item_id, reason=reason,
              details={"found": False})
        raise NotFound("no such clearance item")
    case = Case(
        item=item,
        events=timeline(session, item),
        expected=expected_completion(session, item, stats),
        subscriptions=item_subscriptions(session, item),
        notifications=item_notifications(session, item),
        recipients=item_recipients(session, item),
        notes=list(session.scalars(select(CaseNote).where(CaseNote.item_id == item.id).order_by(CaseNote.id))),
        claims=item_claims(session, item),
        rejected=rejected_receipts(session, item_id=item.id, limit=MAX_REJECTED),
        late_alerts=list(session.scalars(select(LateAlert).where(LateAlert.item_id == item.id)
                                         .order_by(LateAlert.id))),
    )
    audit(session, actor, "view_case", target_type="item", target_id=item.id, reason=reason,
          details={"kind": item.kind, "reference": item.reference})
    return case


def resend_notification(session: Session, actor: User, notification_id: int, *,
                        reason: str | None = None, now: datetime | None = None) -> list[OutboxMessage]:
    queued = resend(session, notification_id, now=now)
    audit(session, actor, "resend", target_type="notification", target_id=notification_id, reason=reason,
          details={"outbox": [m.id for m in queued], "devices": [m.device_id for m in queued]})
    return queued


def add_note(session: Session, actor: User, item_id: int, body: str, *, reason: str | None = None) -> CaseNote:
    item = _item(session, item_id)
    body = body.strip()
    if not body:
        raise Invalid("body", "must not be empty")
    if len(body) > MAX_NOTE:
        raise Invalid("body", N_("at most {n} characters").format(n=MAX_NOTE))
    note = CaseNote(item_id=item.id, author_id=actor.id, body=body)
    session.add(note)
    session.flush()
    audit(session, actor, "add_note", target_type="item", target_id=item.id, reason=reason,
          details={"note": note.id})
    return note


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_entries(session: Session, filters: AuditFilter, *, limit: int,
                  before: int | None = None) -> list[AuditEntry]:
    """Newest first; `before` is the id the previous page ended at."""
    query = select(AuditEntry)
    for column, value in ((AuditEntry.actor_id, filters.actor_id), (AuditEntry.action, filters.action),
                          (AuditEntry.target_type, filters.target_type), (AuditEntry.target_id, filters.target_id)):
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
