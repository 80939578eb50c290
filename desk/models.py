"""The desk's own tables: the audit log of every lookup and action, and notes left on a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigId, JSONType, UTCDateTime, utcnow
from core.models import User


class AuditEntry(Base):
    """Who looked at or did what through the desk, when, and why (if they said). Written in the same
    transaction as the answer it records: no answer without its entry. Never updated or deleted here; on
    PostgreSQL partitioned by month of `at`, and whole months leave at retention (docs/partitions.md)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_id", "actor_id", "id"),
        Index("ix_audit_log_target", "target_type", "target_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))  # search, view_case, resend, add_note
    target_type: Mapped[str | None] = mapped_column(String(20))  # item, notification
    target_id: Mapped[int | None] = mapped_column(BigId)
    query: Mapped[str | None] = mapped_column(String(200))  # what was searched for
    reason: Mapped[str | None] = mapped_column(String(500))  # e.g. the hotline ticket, as the agent gave it
    details: Mapped[dict | None] = mapped_column(JSONType)  # what the answer held or the action did

    actor: Mapped[User] = relationship(lazy="joined")


class CaseNote(Base):
    """A desk agent's note on an item: what the caller asked, what was done (never shown to traders)."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_item_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("clearance_items.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
