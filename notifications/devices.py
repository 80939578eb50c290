"""Registering, listing and removing the devices a user's pushes go to."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.db import get_or_not_found, utcnow
from core.errors import Invalid
from core.i18n import N_
from notifications.models import PLATFORMS, Device, token_digest


def register_device(
    session: Session,
    user_id: int,
    *,
    token: str,
    platform: str,
    app_version: str | None = None,
    session_id: str | None = None,
) -> tuple[Device, bool]:
    """Register a token or refresh it; a token last registered by another user moves to this one."""
    token = token.strip()
    if not token:
        raise Invalid("token", "must not be empty")
    if platform not in PLATFORMS:
        raise Invalid("platform", N_("one of {choices}").format(choices=", ".join(PLATFORMS)))
    device = session.scalar(select(Device).where(Device.token_sha256 == token_digest(token)))
    created = device is None
    if device is None:
        device = Device(token=token, user_id=user_id)
        session.add(device)
    # Re-registering by someone else means the phone changed hands (or accounts): the old owner stops here.
    device.user_id = user_id
    device.platform = platform
    device.app_version = app_version
    device.session_id = session_id
    device.active = True
    device.last_seen_at = utcnow()
    session.flush()
    return device, created


def list_devices(session: Session, user_id: int) -> list[Device]:
    query = select(Device).where(Device.user_id == user_id, Device.active.is_(True)).order_by(Device.id)
    return list(session.scalars(query))


def remove_device(session: Session, user_id: int, device_id: int) -> None:
    device = get_or_not_found(session, Device, device_id, "device",
                              lambda device: device.user_id == user_id and device.active)
    session.delete(device)
    session.flush()


def deactivate_session_devices(session: Session, session_id: str) -> int:
    """Logging out of a session silences the devices it registered."""
    result = session.execute(
        update(Device).where(Device.session_id == session_id, Device.active.is_(True)).values(active=False)
    )
    return result.rowcount or 0


STALE_AFTER = timedelta(days=270)  # Android expires a token unused for 270 days


def prune_stale_devices(session: Session, now: datetime | None = None) -> int:
    """Forget tokens not seen for 270 days: FCM would answer UNREGISTERED for them anyway."""
    cutoff = (now or utcnow()) - STALE_AFTER
    return session.execute(delete(Device).where(Device.last_seen_at < cutoff)).rowcount or 0
