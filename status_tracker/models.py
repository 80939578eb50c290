"""The tracker's tables: shipments, clearance items, their parties and status events, each agency's polling state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from core.db import Base, BigId, UTCDateTime, utcnow
from core.models import Company

# Roles on a declaration (docs/parties.md): declarant = 申报单位, consignee / consignor = 境内收发货人,
# owner = 消费使用单位 / 生产销售单位, agent = the forwarder or broker acting for the trader, carrier = who moves it.
PARTY_ROLES = ("declarant", "consignee", "consignor", "agent", "owner", "carrier")
# Where a party row comes from (ItemParty.source): the agency's own data (confirmed) or a trader's word (a claim).
AGENCY, CLAIM = "agency", "claim"



class Shipment(Base):
    """A consignment grouping clearance items under a bill of lading or a container number."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("owner_company_id", "bill_of_lading"),
        UniqueConstraint("owner_company_id", "container_no"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    bill_of_lading: Mapped[str | None] = mapped_column(String(20), index=True)
    container_no: Mapped[str | None] = mapped_column(String(11), index=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClearanceItem(Base):
    """One thing an agency clears (a declaration, a licence, a tax bill …) and its current status."""

    __tablename__ = "clearance_items"
    __table_args__ = (
        UniqueConstraint("kind", "reference"),
        Index("ix_clearance_items_updated", "updated_at", "id"),
        Index("ix_clearance_items_due", "kind", "next_poll_at"),
        # The desk finds items by any reference or its beginning, whatever the kind: with the C collation one
        # btree serves both the prefix LIKE and the ORDER BY of the matches.
        Index("ix_clearance_items_reference", "reference"),
        Index("ix_clearance_items_office_kind", "customs_office", "kind"),
        # The late-alert job reads only the items that entered their stage before a threshold: a range on this
        # index per (kind, stage), so the on-time items cost nothing however many there are.
        Index("ix_clearance_items_stage_entered", "kind", "stage", "stage_entered_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Upper-case ASCII, compared byte by byte: the C collation on PostgreSQL (SQLite compares bytes anyway).
    reference: Mapped[str] = mapped_column(String(64).with_variant(String(64, collation="C"), "postgresql"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="SET NULL"), index=True)
    # The customs office (关区代码) handling it: read from the reference where it carries one, else as the
    # trader named it. Clearance-time statistics are filtered by it.
    customs_office: Mapped[str | None] = mapped_column(String(4))
    # Native code and note exactly as the agency sent them; stage is our normalized reading of the code
    # (None until the agency has answered, or when the code is one we do not know yet).
    current_code: Mapped[str | None] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(20))
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # agency time it entered `stage`
    agency_note: Mapped[str | None] = mapped_column(Text)
    agency_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The agency's own ordering of the current status (feed sequence or version): receipts that
    # arrive later but rank lower never move the status backwards.
    status_sequence: Mapped[int | None] = mapped_column(BigId)
    unknown_code: Mapped[bool] = mapped_column(Boolean, default=False)
    # Polling of per-item and batch agencies: when next, at which interval, with which ETag.
    # NULL next_poll_at: never (terminal, or its agency pushes a change feed).
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_interval: Mapped[int | None] = mapped_column(Integer)
    poll_etag: Mapped[str | None] = mapped_column(String(100))
    tracked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the agency last told us the item's parties: a claim made before then and not among them is not
    # confirmed; one made after waits for the next answer (docs/parties.md).
    parties_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The parties the agency confirms: who sees the item and is told when it moves.
    parties: Mapped[list[ItemParty]] = relationship(
        primaryjoin=lambda: and_(foreign(ItemParty.item_id) == ClearanceItem.id, ItemParty.source == AGENCY),
        viewonly=True, lazy="selectin", order_by=lambda: ItemParty.id,
    )


class ItemParty(Base):
    """Someone's role in an item, as the agency says it (source "agency": confirmed, this is what lets a
    company's users see the item and get its pushes) or as a trader claimed it (source "claim": nothing
    until the agency confirms it). See docs/parties.md.

    The party is a company of ours, or, until such a company is registered, the credit code and/or customs
    code the agency gave (status_tracker.parties.attach_company links them when it is).
    """

    __tablename__ = "item_parties"
    __table_args__ = (
        # A company claims each role of an item once (agency rows have no claimant: NULLs never collide).
        UniqueConstraint("item_id", "claimed_by_company_id", "role"),
        Index("ix_item_parties_company_item", "company_id", "item_id"),
        Index("ix_item_parties_item_source", "item_id", "source"),
        Index("ix_item_parties_claimant", "claimed_by_company_id", "id"),
        Index("ix_item_parties_uscc", "uscc"),
        Index("ix_item_parties_customs_code", "customs_code"),
        # A company's list, most recently updated first: one index serves visibility and order together, so a
        # page costs the same for a company with 100 items and one with 100,000 (docs/read-path.md).
        Index("ix_item_parties_company_updated", "company_id", "item_updated_at", "item_id",
              postgresql_where=text("source = 'agency'"), sqlite_where=text("source = 'agency'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("clearance_items.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    uscc: Mapped[str | None] = mapped_column(String(18))
    customs_code: Mapped[str | None] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(6))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # agency: since when it says so
    claimed_by_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    claimed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Agency rows: the item's updated_at, kept equal to it (status_tracker.parties.sync_item_updated_at), so the
    # company's list is read in order off ix_item_parties_company_updated. NULL on claims.
    item_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[ClearanceItem] = relationship(foreign_keys=[item_id])
    company: Mapped[Company | None] = relationship(foreign_keys=[company_id], lazy="joined")


class StatusEvent(Base):
    """One receipt from an agency: the item's timeline. Unique per (item, agency event id).

    On PostgreSQL partitioned by month of the item's creation (docs/partitions.md): the unique constraint and
    the primary key include it, and every query by item names it so that it reads one partition.
    """

    __tablename__ = "status_events"
    __table_args__ = (
        UniqueConstraint("item_id", "agency_event_id", "item_created_at"),
        Index("ix_status_events_item_time", "item_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("clearance_items.id", ondelete="CASCADE"))
    # The item's created_at, copied: the partition key (an item's created_at never changes).
    item_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agency_event_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigId)
    native_code: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(20))
    milestone: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    agency_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ClearanceItem] = relationship()


class AgencyState(Base):
    """Per agency: the feed cursor, the circuit breaker, and running totals the operators watch."""

    __tablename__ = "agency_state"

    agency: Mapped[str] = mapped_column(String(20), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigId, default=0)
    feed_id: Mapped[str | None] = mapped_column(String(64))
    feed_backlog: Mapped[int] = mapped_column(BigId, default=0)
    polls_total: Mapped[int] = mapped_column(BigId, default=0)
    errors_total: Mapped[int] = mapped_column(BigId, default=0)
    events_total: Mapped[int] = mapped_column(BigId, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    breaker_open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)  # honouring Retry-After
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_poll_by: Mapped[str | None] = mapped_column(String(100))
    # Feed agencies: when the cursor last moved or the feed was last read to its end; a stall shows as its age.
    cursor_moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Poll cycles in a row that failed for a reason other than the agency (a database error applying what it
    # sent); from 2 on, receipts are applied one at a time so that a poison one is quarantined.
    apply_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class QuarantinedReceipt(Base):
    """A receipt the tracker could not take (unreadable, out of bounds, or refused by the database): kept for a
    person to look at, so that it never holds up the receipts behind it. One row per agency and distinct text."""

    __tablename__ = "rejected_receipts"
    __table_args__ = (UniqueConstraint("agency", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(64))  # when it could be read
    item_id: Mapped[int | None] = mapped_column(ForeignKey("clearance_items.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)  # the start of the receipt as the agency sent it
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of reason and raw: the same receipt again
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
