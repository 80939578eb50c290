"""Periodic clean-up run by the scheduler: expired idempotency records, ended login sessions, stale devices,
rejected receipts nobody has seen again for long,
feed events past their retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from app.web.auth.models import LoginSession
from app.web.idempotency import IdempotencyRecord
from core.db import utcnow
from notifications.devices import prune_stale_devices
from notifications.webhooks import prune as prune_events
from status_tracker.quarantine import forget_rejected

IDEMPOTENCY_TTL = timedelta(hours=24)


def clean_up(session: Session, refresh_lifetime: timedelta, *,
             event_retention: timedelta = timedelta(days=35)) -> dict[str, int]:
    now = utcnow()
    keys = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - IDEMPOTENCY_TTL))
    sessions = session.execute(
        delete(LoginSession).where(
            or_(LoginSession.revoked_at < now - timedelta(days=1), LoginSession.created_at < now - refresh_lifetime)
        )
    )
    return {"idempotency_keys": keys.rowcount or 0, "login_sessions": sessions.rowcount or 0,
            "stale_devices": prune_stale_devices(session, now), "rejected_receipts": forget_rejected(session, now),
            "company_events": prune_events(session, older_than=now - event_retention)}
