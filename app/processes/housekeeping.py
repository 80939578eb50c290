"""Periodic clean-up run by the scheduler: expired idempotency records, ended login sessions, stale devices,
rejected receipts nobody has seen again for long, feed events past their retention; the history tables'
partitions ahead and their retention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from app.processes import partitions
from app.web.auth.models import LoginSession
from app.web.idempotency import IdempotencyRecord
from core.db import utcnow
from notifications.devices import prune_stale_devices
from notifications.dispatcher import DispatchPolicy, dead_letter_unclaimed
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


def maintain_history(session: Session, config: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Partitions for the coming SWM_PARTITIONS_AHEAD_DAYS, and history past its SWM_RETENTION_* age removed
    (docs/partitions.md). Returns the partitions made and, per table, what was removed."""
    now = now or utcnow()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Adding or dropping a partition locks its parent: rather give up this round than queue every reader
        # behind a long query holding it.
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
    made = partitions.create_ahead(conn, now, timedelta(days=config["PARTITIONS_AHEAD_DAYS"]))
    horizon = DispatchPolicy(retry_hours=config["PUSH_RETRY_HOURS"]).horizon
    unclaimed = dead_letter_unclaimed(session, now=now, horizon=horizon)
    removed = partitions.drop_expired(conn, now, partitions.retention_from(config))
    return {"partitions_made": made, "removed": removed, "unclaimed_dead_lettered": unclaimed}
