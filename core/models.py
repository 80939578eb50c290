"""Companies and their users: who signs in, and for which enterprise."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigId, UTCDateTime, utcnow
from core.languages import DEFAULT_LANGUAGE


class Role(StrEnum):
    """A user's role; the values are what the API and the users table carry."""

    TRADER = "trader"
    # A trader who also manages the company's machine access: API keys and webhooks.
    COMPANY_ADMIN = "company_admin"
    CUSTOMER_SERVICE = "customer_service"  # the 95198 desk
    ADMIN = "admin"
    PORT_ENTERPRISE = "port_enterprise"  # publishes its own port-charge catalogue (收费公示)


ROLES = tuple(role.value for role in Role)
# Who works for a company on its items: both track, list and subscribe alike.
TRADING_ROLES = (Role.TRADER.value, Role.COMPANY_ADMIN.value)


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (
        # The desk's name search: trigrams find a fragment of 3 or more characters anywhere in a name on
        # PostgreSQL; (name, id) lets a fragment that matches most names stop at the first page, in order.
        Index("ix_companies_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        Index("ix_companies_name_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    customs_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.TRADER.value)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default=DEFAULT_LANGUAGE)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company | None] = relationship(lazy="joined")
