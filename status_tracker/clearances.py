"""Tracking clearance items: who may see them (the parties the agency confirms), claiming one, listing, timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.db import escape_like, utcnow
from core.errors import Invalid, NotFound
from core.i18n import N_
from core.identifiers import CUSTOMS_OFFICE_RULE, InvalidIdentifier, is_customs_office, validate_uscc
from core.models import Company
from core.pagination import decode_cursor, encode_cursor
from status_tracker.agencies import AGENCIES, PollStyle
from status_tracker.kinds import InvalidReference, UnknownKind, get_kind
from status_tracker.models import AGENCY, PARTY_ROLES, ClearanceItem, ItemParty, Shipment, StatusEvent
from status_tracker.parties import confirmed_party, record_claim


@dataclass(frozen=True)
class PartyRef:
    """Another company's role in an item, named by its credit code: a claim, until the agency confirms it."""

    role: str
    uscc: str


@dataclass(frozen=True)
class ItemFilter:
    kind: str | None = None
    stage: str | None = None
    updated_since: datetime | None = None
    text: str | None = None


def is_party(company_id: int | None):  # type: ignore[no-untyped-def]
    """SQL condition: the agency confirms the company as a party to the ClearanceItem in the query (a claim
    is not enough: docs/parties.md)."""
    return confirmed_party(company_id)


def visible_items(company_id: int | None) -> Select[tuple[ClearanceItem]]:
    return select(ClearanceItem).where(is_party(company_id))


def get_visible_item(session: Session, company_id: int | None, item_id: int, *,
                     with_parties: bool = False) -> ClearanceItem:
    """The item if the company is a party to it; otherwise NotFound, exactly as for a missing item.
    `with_parties`: its parties come in the same statement (for an answer that shows them); otherwise they are
    not loaded unless read."""
    query = visible_items(company_id).where(ClearanceItem.id == item_id).options(
        joinedload(ClearanceItem.parties) if with_parties else lazyload(ClearanceItem.parties))
    item = session.execute(query).unique().scalar_one_or_none()
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
    now: datetime | None = None,
) -> tuple[ClearanceItem, ItemParty | None]:
    """Track an item by kind and reference. Returns (item, None) when the agency already confirms the company as
    a party: it sees the item. Otherwise (item, claim): the company's claim is recorded, the item created if we
    did not track it yet, and its agency asked soon; the caller must show nothing of the item but the claim,
    whether or not the item existed, so that a reference alone tells nobody who else tracks it.

    Parties named for other companies are claims too: they give those companies nothing (docs/parties.md).
    """
    now = now or utcnow()
    try:
        kind_def = get_kind(kind)
    except UnknownKind:
        raise Invalid("kind", "not one of the 14 kinds listed at /status-kinds") from None
    try:
        reference = kind_def.validate_reference(reference)
    except InvalidReference as exc:
        raise Invalid("reference", exc.reason) from None
    # Every check on the input comes before the lookup, so errors do not depend on whether the item exists.
    others = _other_parties(my_role, parties)
    if shipment_id is not None:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None or shipment.owner_company_id != company_id:
            raise Invalid("shipment_id", "no such shipment")
    written = kind_def.customs_office(reference)
    if customs_office is not None:
        if not is_customs_office(customs_office):
            raise Invalid("customs_office", CUSTOMS_OFFICE_RULE)
        if written is not None and written != customs_office:
            raise Invalid("customs_office", N_("the reference names customs office {office}").format(office=written))

    item = session.scalar(
        select(ClearanceItem).where(ClearanceItem.kind == kind, ClearanceItem.reference == reference)
    )
    if item is not None and session.scalar(select(is_party(company_id)).where(ClearanceItem.id == item.id)):
        return item, None
    asks = AGENCIES[kind_def.agency].style != PollStyle.CHANGE_FEED  # a feed agency tells us by itself
    if item is None:
        item = ClearanceItem(kind=kind, reference=reference, shipment_id=shipment_id, tracked_by_user_id=user_id,
                             customs_office=written or customs_office, created_at=now, updated_at=now)
        session.add(item)
        session.flush()
    # Shipment and office of an item someone else tracks stay as they are: a claim changes nothing of it.
    if asks:
        item.next_poll_at = now  # the agency's next answer confirms the claim or not (even for a finished item)
    companies = dict(session.execute(
        select(Company.uscc, Company.id).where(Company.uscc.in_([p.uscc for p in others]))
    ).all()) if others else {}
    mine = record_claim(session, item, claimant_id=company_id, user_id=user_id, role=my_role, company_id=company_id,
                        now=now)
    for party in others:
        record_claim(session, item, claimant_id=company_id, user_id=user_id, role=party.role,
                     company_id=companies.get(party.uscc), uscc=party.uscc, now=now)
    return item, mine


def _other_parties(my_role: str, parties: tuple[PartyRef, ...]) -> list[PartyRef]:
    """The other parties the claimant names, with checked roles and credit codes."""
    if my_role not in PARTY_ROLES:
        raise Invalid("my_role", N_("one of {choices}").format(choices=", ".join(PARTY_ROLES)))
    named: list[PartyRef] = []
    for index, party in enumerate(parties):
        field = f"parties.{index}"
        if party.role not in PARTY_ROLES:
            raise Invalid(f"{field}.role", N_("one of {choices}").format(choices=", ".join(PARTY_ROLES)))
        if party.role == my_role or any(p.role == party.role for p in named):
            raise Invalid(f"{field}.role", N_("the {role} is given twice").format(role=party.role))
        try:
            uscc = validate_uscc(party.uscc)
        except InvalidIdentifier as exc:
            raise Invalid(f"{field}.uscc", exc.reason) from None
        named.append(PartyRef(party.role, uscc))
    return named


def list_items(
    session: Session, company_id: int | None, filters: ItemFilter, *, limit: int, cursor: str | None = None
) -> tuple[list[ClearanceItem], str | None]:
    """A page of the company's items, most recently updated first, and the cursor of the next page.

    The page is found on the company's agency party rows, which carry the item's updated_at and are indexed in
    that order (ix_item_parties_company_updated): the first and the next pages cost the same however many
    items the company has. A company named in two roles has two rows per item: DISTINCT keeps one."""
    party = ItemParty
    page = (
        select(party.item_updated_at, party.item_id)
        .where(party.company_id == company_id, party.source == AGENCY)
        .distinct()
    )
    if filters.kind or filters.stage or filters.text:
        page = page.join(ClearanceItem, ClearanceItem.id == party.item_id)
    if filters.kind:
        page = page.where(ClearanceItem.kind == filters.kind)
    if filters.stage:
        page = page.where(ClearanceItem.stage == filters.stage)
    if filters.updated_since:
        page = page.where(party.item_updated_at >= filters.updated_since)
    if filters.text:
        pattern = f"%{escape_like(filters.text)}%"
        page = page.where(
            or_(
                ClearanceItem.reference.ilike(pattern, escape="\\"),
                ClearanceItem.agency_note.ilike(pattern, escape="\\"),
            )
        )
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        page = page.where(
            # The first condition bounds the index scan (a deep page starts where it should); the second is exact.
            party.item_updated_at <= after_time,
            or_(
                party.item_updated_at < after_time,
                and_(party.item_updated_at == after_time, party.item_id < after_id),
            ),
        )
    page = page.order_by(party.item_updated_at.desc(), party.item_id.desc()).limit(limit + 1).subquery()
    query = (
        select(ClearanceItem)
        .join(page, page.c.item_id == ClearanceItem.id)
        .order_by(page.c.item_updated_at.desc(), page.c.item_id.desc())
        .options(selectinload(ClearanceItem.parties))
    )
    rows = list(session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.updated_at, last.id)


def timeline(session: Session, item: ClearanceItem) -> list[StatusEvent]:
    events = list(
        session.scalars(
            select(StatusEvent)
            # The partition key too: one partition read, not one per month kept (docs/partitions.md).
            .where(StatusEvent.item_id == item.id, StatusEvent.item_created_at == item.created_at)
            .order_by(StatusEvent.sequence, StatusEvent.id)
            .options(lazyload(StatusEvent.item))
        )
    )
    # Each event's label reads its item's kind: hand them the item we have, rather than load it once more.
    for event in events:
        set_committed_value(event, "item", item)
    return events
