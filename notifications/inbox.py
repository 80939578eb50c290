"""The in-app inbox: every notification a user was sent, read back after missed pushes, marked read."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.db import get_or_not_found, utcnow
from core.errors import Invalid
from notifications.models import Notification, NotificationSettings
from notifications.quiet_hours import parse_clock


def inbox(session: Session, user_id: int, *, after: int | None, before: int | None, limit: int) -> list[Notification]:
    """`after`: catch up, oldest first, on what came after the last one seen; otherwise newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if after is not None:
        return list(session.scalars(query.where(Notification.id > after).order_by(Notification.id).limit(limit)))
    if before is not None:
        query = query.where(Notification.id < before)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    notification = get_or_not_found(session, Notification, notification_id, "notification",
                                    lambda notification: notification.user_id == user_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
    session.flush()
    return notification


def mark_all_read(session: Session, user_id: int) -> int:
    result = session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


def get_settings(session: Session, user_id: int) -> NotificationSettings:
    return session.get(NotificationSettings, user_id) or NotificationSettings(user_id=user_id)


def set_quiet_hours(session: Session, user_id: int, start: str | None, end: str | None) -> NotificationSettings:
    if (start is None) != (end is None):
        raise Invalid("quiet_end" if end is None else "quiet_start", "give both ends of the quiet hours, or neither")
    for field, value in (("quiet_start", start), ("quiet_end", end)):
        if value is not None:
            try:
                parse_clock(value)
            except ValueError:
                raise Invalid(field, "a time of day as HH:MM, e.g. 22:00") from None
    settings = session.get(NotificationSettings, user_id)
    if settings is None:
        settings = NotificationSettings(user_id=user_id)
        session.add(settings)
    settings.quiet_start, settings.quiet_end = start, end
    session.flush()
    return settings
