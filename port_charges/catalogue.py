"""Reading the catalogues: ports, their enterprises, a catalogue on a date, its history, the comparison of one
item across a port's enterprises, and the search by name. Open to every signed-in user: prices are public.

Lists are keyset pages (`cursor` from the previous page), so a page costs the same at any depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from core.db import escape_like, get_or_not_found
from port_charges import pages
from port_charges.models import ChargingEnterprise, FeeVersion, Port, cents_to_price

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The date prices are asked for when none is given: today in China (the catalogues' time zone)."""
    return datetime.now(CHINA).date()


def in_force(on: date) -> ColumnElement[bool]:
    """The fee versions in force on that date."""
    return and_(FeeVersion.effective_from <= on,
                or_(FeeVersion.effective_to.is_(None), FeeVersion.effective_to > on))


def list_ports(session: Session, *, cursor: str | None, limit: int) -> tuple[list[Port], str | None]:
    query = select(Port).order_by(Port.id).limit(limit + 1)
    if cursor:
        (after,) = pages.decode(cursor, int)
        query = query.where(Port.id > after)
    rows = list(session.scalars(query))
    return rows[:limit], pages.encode(rows[limit - 1].id) if len(rows) > limit else None


def get_port(session: Session, port_id: int) -> Port:
    return get_or_not_found(session, Port, port_id, "port")


def list_enterprises(session: Session, port_id: int, *, cursor: str | None,
                     limit: int) -> tuple[list[ChargingEnterprise], str | None]:
    get_port(session, port_id)
    query = (select(ChargingEnterprise).where(ChargingEnterprise.port_id == port_id)
             .order_by(ChargingEnterprise.id).limit(limit + 1))
    if cursor:
        (after,) = pages.decode(cursor, int)
        query = query.where(ChargingEnterprise.id > after)
    rows = list(session.scalars(query))
    return rows[:limit], pages.encode(rows[limit - 1].id) if len(rows) > limit else None


@dataclass(frozen=True)
class FeeItem:
    """A fee item as a port knows it: its code, a name, and how many enterprises list it."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    enterprises: int


def fee_items(session: Session, port_id: int, on: date, *, cursor: str | None,
              limit: int) -> tuple[list[FeeItem], str | None]:
    """The fee items the port's enterprises list on that date, by code (what a comparison can be asked for)."""
    get_port(session, port_id)
    query = (select(FeeVersion.code, func.min(FeeVersion.name_zh), func.min(FeeVersion.name_en),
                    func.min(FeeVersion.unit), func.count())
             .where(FeeVersion.port_id == port_id, in_force(on))
             .group_by(FeeVersion.code).order_by(FeeVersion.code).limit(limit + 1))
    if cursor:
        (after,) = pages.decode(cursor, str)
        query = query.where(FeeVersion.code > after)
    rows = [FeeItem(*row) for row in session.execute(query)]
    return rows[:limit], pages.encode(rows[limit - 1].code) if len(rows) > limit else None


def get_enterprise(session: Session, enterprise_id: int) -> ChargingEnterprise:
    return get_or_not_found(session, ChargingEnterprise, enterprise_id, "enterprise")


def catalogue(session: Session, enterprise_id: int, on: date, *, cursor: str | None,
              limit: int) -> tuple[list[FeeVersion], str | None]:
    """The enterprise's fee items in force on that date, by code."""
    get_enterprise(session, enterprise_id)
    query = (select(FeeVersion).where(FeeVersion.enterprise_id == enterprise_id, in_force(on))
             .order_by(FeeVersion.code).limit(limit + 1))
    if cursor:
        (after,) = pages.decode(cursor, str)
        query = query.where(FeeVersion.code > after)
    rows = list(session.scalars(query))
    return rows[:limit], pages.encode(rows[limit - 1].code) if len(rows) > limit else None


def history(session: Session, enterprise_id: int, *, code: str | None, cursor: str | None,
            limit: int) -> tuple[list[FeeVersion], str | None]:
    """Every version the enterprise published (of one item, if `code`), the latest published first."""
    get_enterprise(session, enterprise_id)
    query = select(FeeVersion).where(FeeVersion.enterprise_id == enterprise_id)
    if code is not None:
        query = query.where(FeeVersion.code == code)
    if cursor:
        (before,) = pages.decode(cursor, int)
        query = query.where(FeeVersion.id < before)
    rows = list(session.scalars(query.order_by(FeeVersion.id.desc()).limit(limit + 1)))
    return rows[:limit], pages.encode(rows[limit - 1].id) if len(rows) > limit else None


@dataclass(frozen=True)
class Spread:
    currency: str
    count: int
    min: Decimal
    median: Decimal
    max: Decimal


@dataclass(frozen=True)
class Comparison:
    port: Port
    code: str
    on: date
    spread: list[Spread]  # per currency (a port's enterprises nearly always quote one)
    items: list[FeeVersion]  # this page, cheapest first
    next_cursor: str | None


def _median(cents: list[int]) -> Decimal:
    middle = len(cents) // 2
    if len(cents) % 2:
        return cents_to_price(cents[middle])
    return (cents_to_price(cents[middle - 1] + cents[middle]) / 2).quantize(Decimal("0.01"), ROUND_HALF_UP)


def compare(session: Session, port_id: int, code: str, on: date, *, cursor: str | None,
            limit: int) -> Comparison:
    """One item (by code) across the port's enterprises on that date: cheapest first, with the spread
    (min, median, max) over all of them.

    Everything is read from a covering index (no row visited but the page's) and summed up in the database: a
    big port's item has 10,000 entries, and carrying them to Python cost more than the rest together.
    """
    port = get_port(session, port_id)
    where = (FeeVersion.port_id == port_id, FeeVersion.code == code, in_force(on))
    spreads = []
    for currency, count, low, high in session.execute(
            select(FeeVersion.currency, func.count(), func.min(FeeVersion.price_cents),
                   func.max(FeeVersion.price_cents))
            .where(*where).group_by(FeeVersion.currency).order_by(FeeVersion.currency)):
        middle = list(session.scalars(select(FeeVersion.price_cents).where(*where, FeeVersion.currency == currency)
                                      .order_by(FeeVersion.price_cents).offset((count - 1) // 2)
                                      .limit(2 - count % 2)))
        spreads.append(Spread(currency, count, cents_to_price(low), _median(middle), cents_to_price(high)))
    order = (FeeVersion.currency, FeeVersion.price_cents, FeeVersion.enterprise_id)
    query = select(*order, FeeVersion.id).where(*where).order_by(*order).limit(limit + 1)
    if cursor:
        after = pages.decode(cursor, str, int, int)
        query = query.where(tuple_(*order) > tuple_(*after))
    rows = [tuple(row) for row in session.execute(query)]
    page = rows[:limit]
    found = {v.id: v for v in session.scalars(select(FeeVersion).where(FeeVersion.id.in_([r[3] for r in page])))}
    next_cursor = pages.encode(*page[-1][:3]) if len(rows) > limit else None
    return Comparison(port, code, on, spreads, [found[r[3]] for r in page], next_cursor)


def search(session: Session, text: str, on: date, *, port_id: int | None, cursor: str | None,
           limit: int) -> tuple[list[FeeVersion], str | None]:
    """Fee items in force on that date whose Chinese or English name holds `text` (any case)."""
    pattern = f"%{escape_like(text.strip().lower())}%"
    query = select(FeeVersion).where(
        in_force(on),
        or_(FeeVersion.name_zh.like(pattern, escape="\\"), func.lower(FeeVersion.name_en).like(pattern, escape="\\")),
    )
    if port_id is not None:
        query = query.where(FeeVersion.port_id == port_id)
    if cursor:
        (after,) = pages.decode(cursor, int)
        query = query.where(FeeVersion.id > after)
    rows = list(session.scalars(query.order_by(FeeVersion.id).limit(limit + 1)))
    return rows[:limit], pages.encode(rows[limit - 1].id) if len(rows) > limit else None
