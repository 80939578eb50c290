"""Tracking clearance items: who may see them, tracking one with its parties, listing and timelines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from status_tracker.agencies import AGENCIES, PollStyle
from status_tracker.db import escape_like, utcnow
from status_tracker.errors import Conflict, Invalid, NotFound
from status_tracker.identifiers import InvalidIdentifier, validate_uscc
from status_tracker.kinds import InvalidReference, UnknownKind, get_kind
from status_tracker.models import PARTY_ROLES, ClearanceItem, Company, ItemParty, Shipment, StatusEvent
from status_tracker.pagination import decode_cursor, encode_cursor

CUSTOMS_OFFICE = re.compile(r"\d{4}", re.ASCII)


@dataclass(frozen=True)
class PartyRef:
    """Another company's role in an item, named by its credit code (and its name if we do not know it)."""

    role: str
    uscc: str
    name: str | None = None


@dataclass(frozen=True)
class ItemFilter:
    kind: str | None = None
    stage: str | None = None
    updated_since: datetime | None = None
    text: str | None = None


def is_party(company_id: int | None):  # type: ignore[no-untyped-def]
    """SQL condition: the company is a party to the ClearanceItem in the query."""
    return exists().where(ItemParty.item_id == ClearanceItem.id, ItemParty.company_id == company_id)


def visible_items(company_id: int | None) -> Select[tuple[ClearanceItem]]:
    return select(ClearanceItem).where(is_party(company_id))


def get_visible_item(session: Session, company_id: int | None, item_id: int) -> ClearanceItem:
    """The item if the company is a party to it; otherwise NotFound, exactly as for a missing item."""
    item = session.scalar(visible_items(company_id).where(ClearanceItem.id == item_id))
    if item is None:
        raise NotFound("no such clearance item")
    return item


def track_item(
    session: Session,
    *,
    company_id: int,
    user_id: int | None,
    kind: str,
    reference: str,
    my_role: str = "declarant",
    parties: tuple[PartyRef, ...] = (),
    shipment_id: int | None = None,
    customs_office: str | None = None,
) -> tuple[ClearanceItem, bool]:
    """Start tracking an item; returns (item, created). Tracking it again returns the existing item."""
    try:
        kind_def = get_kind(kind)
    except UnknownKind:
        raise Invalid("kind", "not one of the 14 kinds listed at /status-kinds") from None
    try:
        reference = kind_def.validate_reference(reference)
    except InvalidReference as exc:
        raise Invalid("reference", exc.reason) from None

    existing = session.scalar(
        select(ClearanceItem).where(ClearanceItem.kind == kind, ClearanceItem.reference == reference)
    )
    if existing is not None:
        if any(p.company_id == company_id for p in existing.parties):
            return existing, False
        # Not a party: do not reveal the item, and do not let a reference alone make anyone a party.
        raise Conflict("this item is already tracked by its parties; ask its declarant to add your company")

    roles = _party_companies(session, company_id, my_role, parties)
    if shipment_id is not None:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None or shipment.owner_company_id != company_id:
            raise Invalid("shipment_id", "no such shipment")

    written = kind_def.customs_office(reference)
    if customs_office is not None:
        if not CUSTOMS_OFFICE.fullmatch(customs_office):
            raise Invalid("customs_office", "a customs office code is 4 digits, e.g. 2233")
        if written is not None and written != customs_office:
            raise Invalid("customs_office", f"the reference names customs office {written}")
    item = ClearanceItem(kind=kind, reference=reference, shipment_id=shipment_id, tracked_by_user_id=user_id,
                         customs_office=written or customs_office)
    if AGENCIES[kind_def.agency].style != PollStyle.CHANGE_FEED:
        item.next_poll_at = utcnow()  # ask its agency soon; a feed agency tells us by itself
    item.parties = [ItemParty(role=role, company_id=cid) for role, cid in roles.items()]
    session.add(item)
    session.flush()
    return item, True


def _party_companies(
    session: Session, company_id: int, my_role: str, parties: tuple[PartyRef, ...]
) -> dict[str, int]:
    if my_role not in PARTY_ROLES:
        raise Invalid("my_role", f"one of {', '.join(PARTY_ROLES)}")
    roles = {my_role: company_id}
    for index, party in enumerate(parties):
        field = f"parties.{index}"
        if party.role not in PARTY_ROLES:
            raise Invalid(f"{field}.role", f"one of {', '.join(PARTY_ROLES)}")
        if party.role in roles:
            raise Invalid(f"{field}.role", f"the {party.role} is given twice")
        try:
            uscc = validate_uscc(party.uscc)
        except InvalidIdentifier as exc:
            raise Invalid(f"{field}.uscc", exc.reason) from None
        company = session.scalar(select(Company).where(Company.uscc == uscc))
        if company is None:
            # A party that has not registered yet: keep it, so its users see the item once they do.
            if not party.name or not party.name.strip():
                raise Invalid(f"{field}.name", "required for a company that is not registered yet")
            company = Company(name=party.name.strip(), uscc=uscc)
            session.add(company)
            session.flush()
        roles[party.role] = company.id
    return roles


def list_items(
    session: Session, company_id: int | None, filters: ItemFilter, *, limit: int, cursor: str | None = None
) -> tuple[list[ClearanceItem], str | None]:
    """A page of the company's items, most recently updated first, and the cursor of the next page."""
    query = visible_items(company_id)
    if filters.kind:
        query = query.where(ClearanceItem.kind == filters.kind)
    if filters.stage:
        query = query.where(ClearanceItem.stage == filters.stage)
    if filters.updated_since:
        query = query.where(ClearanceItem.updated_at >= filters.updated_since)
    if filters.text:
        pattern = f"%{escape_like(filters.text)}%"
        query = query.where(
            or_(
                ClearanceItem.reference.ilike(pattern, escape="\\"),
                ClearanceItem.agency_note.ilike(pattern, escape="\\"),
            )
        )
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                ClearanceItem.updated_at < after_time,
                and_(ClearanceItem.updated_at == after_time, ClearanceItem.id < after_id),
            )
        )
    query = query.order_by(ClearanceItem.updated_at.desc(), ClearanceItem.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.updated_at, last.id)


def timeline(session: Session, item: ClearanceItem) -> list[StatusEvent]:
    return list(
        session.scalars(
            select(StatusEvent)
            .where(StatusEvent.item_id == item.id)
            .order_by(StatusEvent.sequence, StatusEvent.id)
        )
    )
