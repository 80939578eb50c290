"""Port-charge catalogues (收费公示): ports, the enterprises that charge there, their fee items over time,
who follows what, and the log of every change.

A fee item is kept as versions: each row holds one price of one item of one enterprise for a date range
[effective_from, effective_to). A new price closes the previous row and adds one; nothing is overwritten,
so "what did this terminal charge on 1 March?" is a range lookup.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigId, JSONType, UTCDateTime, utcnow

# What enterprises charge for, as the ports' own 收费目录 group it.
ENTERPRISE_KINDS = ("terminal", "shipping_agency", "forwarder", "tally", "inspection", "warehouse", "other")
FEE_CATEGORIES = ("terminal_handling", "storage", "port_service", "documentation", "agency", "tally",
                  "inspection", "transport", "other")
# The units prices are quoted in.
UNITS = ("teu", "feu", "container", "ticket", "tonne", "cbm", "vessel_call", "day", "hour", "set")
CURRENCIES = ("CNY", "USD", "EUR", "HKD")
PRICE_PLACES = 2  # every currency we list has hundredths
MAX_PRICE = Decimal("1000000000")  # a billion per unit: anything above is a typo
FOLLOW_KINDS = ("enterprise", "fee_item")


class Port(Base):
    """A port, known by its customs office code (关区代码) and UN/LOCODE."""

    __tablename__ = "ports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customs_office: Mapped[str] = mapped_column(String(4), unique=True)
    locode: Mapped[str | None] = mapped_column(String(5))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChargingEnterprise(Base):
    """An enterprise that publishes a charge catalogue at one port. `company_id` links it to the registered
    company whose users (role port_enterprise) may publish it; NULL: only an administrator's import does."""

    __tablename__ = "charging_enterprises"
    __table_args__ = (
        UniqueConstraint("port_id", "name_zh"),
        Index("ix_charging_enterprises_port_id_id", "port_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="terminal")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    port: Mapped[Port] = relationship(lazy="joined")


class FeeVersion(Base):
    """One price of one fee item of one enterprise, valid from `effective_from` until the day before
    `effective_to` (NULL: until further notice). `code` names the item the same way at every enterprise
    (e.g. THC-40: terminal handling per 40' container), which is what a comparison lines up."""

    __tablename__ = "fee_versions"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "code", "effective_from"),
        CheckConstraint("price_cents >= 0", name="price"),
        CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="range"),
        # The comparison: one item at one port on one date, in price order. Covering: the spread and the order
        # are read from the index alone, without visiting the thousands of rows an item has at a big port.
        Index("ix_fee_versions_port_code", "port_id", "code", "effective_from", "effective_to", "currency",
              "price_cents", "enterprise_id", "id"),
        Index("ix_fee_versions_enterprise", "enterprise_id", "code", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("charging_enterprises.id", ondelete="CASCADE"))
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"))  # the enterprise's, copied
    code: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(12))
    # In hundredths of the currency unit (fen, cents): exact on every database, and compared as integers.
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str | None] = mapped_column(String(500))  # the rule or filing the price rests on
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    enterprise: Mapped[ChargingEnterprise] = relationship(lazy="joined")

    @property
    def price(self) -> Decimal:
        return cents_to_price(self.price_cents)


def cents_to_price(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-PRICE_PLACES)


def price_to_cents(price: Decimal) -> int:
    """Exactly; a price with more places than PRICE_PLACES is the caller's to refuse first."""
    return int(price.scaleb(PRICE_PLACES))


class ChargeFollow(Base):
    """A user who wants a push when a price changes: every item of an enterprise, or one item (by code) at
    every enterprise of a port."""

    __tablename__ = "charge_follows"
    __table_args__ = (
        # One follow per target: "enterprise/12" or "fee_item/3/THC-40" (the nullable columns cannot say it).
        UniqueConstraint("user_id", "target"),
        CheckConstraint("kind IN ('enterprise', 'fee_item')", name="kind"),
        CheckConstraint("(kind = 'enterprise' AND enterprise_id IS NOT NULL AND code IS NULL) OR "
                        "(kind = 'fee_item' AND enterprise_id IS NULL AND code IS NOT NULL)", name="target"),
        Index("ix_charge_follows_enterprise_id", "enterprise_id"),
        Index("ix_charge_follows_port_code", "port_id", "code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(60))
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("charging_enterprises.id", ondelete="CASCADE"))
    code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChargeAudit(Base):
    """Every change to a catalogue: who, when, how (publish, import), and the values before and after.
    Written in the transaction of the change; never updated or deleted here."""

    __tablename__ = "charge_audit"
    __table_args__ = (Index("ix_charge_audit_enterprise_id", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))  # publish, import, create_port, create_enterprise
    port_id: Mapped[int | None] = mapped_column(BigId)
    enterprise_id: Mapped[int | None] = mapped_column(BigId)
    code: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[dict | None] = mapped_column(JSONType)
