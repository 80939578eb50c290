"""API keys: a company's own systems (ERP, TMS) calling the API as that company, without a person's login.

A key is shown once, when created or rotated; only its SHA-256 digest is stored. A key carries 256 random bits,
so a fast digest is enough (a password hash exists to slow down guessing low-entropy secrets). Each key has
scopes: what it may do; it sees exactly what the company's users see (the parties the agency confirms).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, BigId, JSONType, UTCDateTime, get_or_not_found, utcnow
from core.errors import Invalid

PREFIX = "swk_"  # tells a key from a JWT at a glance (a JWT starts "eyJ")
SCOPE_READ = "clearances:read"  # list and read items, timelines, the event feed
SCOPE_TRACK = "tracking:write"  # track items (one or in batches)
SCOPE_WEBHOOKS = "webhooks:manage"  # register endpoints, read their delivery log, replay
SCOPES = (SCOPE_READ, SCOPE_TRACK, SCOPE_WEBHOOKS)
# last_used_at is written at most this often per key: a busy ERP must not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(BigId, ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    # The first characters of the key, kept readable so people can tell their keys apart in a list.
    hint: Mapped[str] = mapped_column(String(12))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def is_api_key(credential: str) -> bool:
    return credential.startswith(PREFIX)


def _new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _check_scopes(scopes: list[str]) -> list[str]:
    if not scopes:
        raise Invalid("scopes", f"give at least one of {', '.join(SCOPES)}")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Invalid("scopes", f"unknown scope {unknown[0]!r}: one of {', '.join(SCOPES)}")
    return sorted(set(scopes), key=SCOPES.index)


def create_key(session: Session, *, company_id: int, name: str, scopes: list[str],
               created_by: int) -> tuple[ApiKey, str]:
    """A new key; returns it and its secret (the only time the secret exists outside the caller's system)."""
    secret = _new_secret()
    key = ApiKey(company_id=company_id, name=name, scopes=_check_scopes(scopes), hint=secret[:12],
                 key_sha256=digest(secret), created_by_user_id=created_by, created_at=utcnow())
    session.add(key)
    session.flush()
    return key, secret


def company_keys(session: Session, company_id: int) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.id)))


def get_key(session: Session, company_id: int, key_id: int) -> ApiKey:
    return get_or_not_found(session, ApiKey, key_id, "API key", lambda key: key.company_id == company_id)


def rotate_key(session: Session, key: ApiKey) -> str:
    """A new secret for the key (same id, name and scopes); the old secret stops working at once."""
    if not key.active:
        raise Invalid("key", "a revoked key cannot be rotated; create a new one")
    secret = _new_secret()
    key.key_sha256, key.hint, key.rotated_at = digest(secret), secret[:12], utcnow()
    session.flush()
    return secret


def revoke_key(session: Session, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()
    return key


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> ApiKey | None:
    """The active key with this secret, its use noted; None for an unknown or revoked key."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_sha256 == digest(secret)))
    if key is None or not key.active:
        return None
    now = now or utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.commit()
    return key
