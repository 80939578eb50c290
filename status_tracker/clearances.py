"""Tracking clearance items: who may see them (the parties the agency confirms), claiming one, listing, timelines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.db import escape_like, in_values, utcnow
from core.errors import Invalid, NotFound
from core.i18n import N_
from core.identifiers import CUSTOMS_OFFICE_RULE, InvalidIdentifier, is_customs_office, validate_uscc
from core.models import Company
from core.pagination import decode_cursor, encode_cursor
from status_tracker.agencies import AGENCIES, PollStyle
from status_tracker.kinds import InvalidReference, Kind, UnknownKind, get_kind
from status_tracker.models import AGENCY, CLAIM, PARTY_ROLES, ClearanceItem, ItemParty, Shipment, StatusEvent
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
    # Every check on the input comes before the lookup, so errors do not depend on whether the item exists.
    kind_def, reference, others, written = _checked(
        TrackRequest(kind, reference, my_role, parties, shipment_id, customs_office),
        lambda sid: _owns_shipment(session, company_id, sid))

    item = session.scalar(
        select(ClearanceItem).where(ClearanceItem.kind == kind, ClearanceItem.reference == reference)
    )
    if item is not None and session.scalar(select(is_party(company_id)).where(ClearanceItem.id == item.id)):
        return item, None
    asks = _asks(kind_def)
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


@dataclass(frozen=True)
class TrackRequest:
    """One entry of a batch: what POST /clearances takes."""

    kind: str
    reference: str
    my_role: str = "declarant"
    parties: tuple[PartyRef, ...] = ()
    shipment_id: int | None = None
    customs_office: str | None = None


@dataclass(frozen=True)
class TrackOutcome:
    """created: my company's claim is recorded now; already_tracked: my company sees the item already, or had
    claimed it before (or the batch named it twice); invalid: `errors` says why. Whether anyone else tracks the
    item is never told, as for single tracking."""

    status: str
    kind: str | None = None
    reference: str | None = None
    item_id: int | None = None  # only when the agency confirms my company: then the item is mine to read
    errors: dict[str, list[str]] | None = None


def track_many(session: Session, *, company_id: int, user_id: int | None,
               requests: list[TrackRequest | dict[str, list[str]]], now: datetime | None = None) -> list[TrackOutcome]:
    """Track each entry as track_item does, in one transaction and a handful of statements whatever the count
    (a batch of 1,000 is one lookup of items, one of parties, one insert of items and one of claims, not
    thousands of round trips). An entry given as errors (it did not even parse) is answered invalid; entries are
    independent: an invalid one changes nothing for the others. An item named twice is tracked once."""
    now = now or utcnow()
    outcomes: list[TrackOutcome | None] = [None] * len(requests)
    valid: list[tuple[int, TrackRequest, Kind, str, list[PartyRef], str | None]] = []
    shipment_ids = {r.shipment_id for r in requests if isinstance(r, TrackRequest) and r.shipment_id is not None}
    owned = set(session.scalars(select(Shipment.id).where(
        in_values(session, Shipment.id, sorted(shipment_ids)), Shipment.owner_company_id == company_id))
    ) if shipment_ids else set()
    for index, request in enumerate(requests):
        if not isinstance(request, TrackRequest):
            outcomes[index] = TrackOutcome("invalid", errors=request)
            continue
        try:
            kind_def, reference, others, written = _checked(request, owned.__contains__)
        except Invalid as exc:
            outcomes[index] = TrackOutcome("invalid", request.kind, request.reference,
                                           errors={exc.field: [exc.reason]})
            continue
        valid.append((index, request, kind_def, reference, others, written))

    references = sorted({reference for _, _, _, reference, _, _ in valid})
    items: dict[tuple[str, str], int] = {}
    if references:
        for item_id, kind, reference in session.execute(select(ClearanceItem.id, ClearanceItem.kind,
                                                                 ClearanceItem.reference)
                                                          .where(in_values(session, ClearanceItem.reference,
                                                                           references))):
            items[(kind, reference)] = item_id
    ids = sorted(items.values())
    visible = set(session.scalars(select(ItemParty.item_id).where(
        in_values(session, ItemParty.item_id, ids), ItemParty.source == AGENCY,
        ItemParty.company_id == company_id))) if ids else set()
    claimed = {(item_id, role) for item_id, role in session.execute(select(ItemParty.item_id, ItemParty.role).where(
        in_values(session, ItemParty.item_id, ids), ItemParty.claimed_by_company_id == company_id))} if ids else set()

    # New items first (one insert), so that every claim below has its item's id.
    new_items: dict[tuple[str, str], dict] = {}
    for _, request, kind_def, reference, _, written in valid:
        key = (kind_def.key, reference)
        if key not in items and key not in new_items:
            new_items[key] = {"kind": kind_def.key, "reference": reference, "shipment_id": request.shipment_id,
                              "tracked_by_user_id": user_id, "customs_office": written or request.customs_office,
                              "unknown_code": False, "created_at": now, "updated_at": now,
                              "next_poll_at": now if _asks(kind_def) else None}
    if new_items:
        for item_id, kind, reference in session.execute(
                insert(ClearanceItem).returning(ClearanceItem.id, ClearanceItem.kind, ClearanceItem.reference,
                                                sort_by_parameter_order=True), list(new_items.values())):
            items[(kind, reference)] = item_id

    usccs = sorted({p.uscc for _, _, _, _, others, _ in valid for p in others})
    companies = dict(session.execute(select(Company.uscc, Company.id).where(Company.uscc.in_(usccs))).all()
                     ) if usccs else {}
    claims: list[dict] = []
    ask_again: set[int] = set()
    done: set[tuple[str, str]] = set()
    for index, request, kind_def, reference, others, _ in valid:
        key = (kind_def.key, reference)
        item_id = items[key]
        if key in done or item_id in visible:
            outcomes[index] = TrackOutcome("already_tracked", kind_def.key, reference,
                                           item_id=item_id if item_id in visible else None)
            continue
        done.add(key)
        if _asks(kind_def) and key not in new_items:
            ask_again.add(item_id)  # the agency's next answer confirms the claim or not
        fresh = (item_id, request.my_role) not in claimed
        for role, party_company, uscc in [(request.my_role, company_id, None),
                                          *((p.role, companies.get(p.uscc), p.uscc) for p in others)]:
            if (item_id, role) not in claimed:
                claimed.add((item_id, role))
                claims.append({"item_id": item_id, "company_id": party_company, "uscc": uscc, "role": role,
                               "source": CLAIM, "claimed_by_company_id": company_id, "claimed_by_user_id": user_id,
                               "claimed_at": now})
        outcomes[index] = TrackOutcome("created" if fresh else "already_tracked", kind_def.key, reference)
    if ask_again:
        session.execute(update(ClearanceItem).where(in_values(session, ClearanceItem.id, sorted(ask_again)))
                        .values(next_poll_at=now).execution_options(synchronize_session=False))
    if claims:
        session.execute(insert(ItemParty), claims)
    return [o for o in outcomes if o is not None]


def _asks(kind_def: Kind) -> bool:
    """Whether we ask the kind's agency (a change-feed agency tells us by itself)."""
    return AGENCIES[kind_def.agency].style != PollStyle.CHANGE_FEED


def _owns_shipment(session: Session, company_id: int, shipment_id: int) -> bool:
    shipment = session.get(Shipment, shipment_id)
    return shipment is not None and shipment.owner_company_id == company_id


def _checked(request: TrackRequest, owns_shipment: Callable[[int], bool]) -> tuple[Kind, str, list[PartyRef],
                                                                                    str | None]:
    """The request's kind, normalised reference, other parties and the office its reference names; Invalid
    for the first thing wrong, in the order of the fields."""
    try:
        kind_def = get_kind(request.kind)
    except UnknownKind:
        raise Invalid("kind", "not one of the 14 kinds listed at /status-kinds") from None
    try:
        reference = kind_def.validate_reference(request.reference)
    except InvalidReference as exc:
        raise Invalid("reference", exc.reason) from None
    others = _other_parties(request.my_role, request.parties)
    if request.shipment_id is not None and not owns_shipment(request.shipment_id):
        raise Invalid("shipment_id", "no such shipment")
    written = kind_def.customs_office(reference)
    if request.customs_office is not None:
        if not is_customs_office(request.customs_office):
            raise Invalid("customs_office", CUSTOMS_OFFICE_RULE)
        if written is not None and written != request.customs_office:
            raise Invalid("customs_office", N_("the reference names customs office {office}").format(office=written))
    return kind_def, reference, others, written


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
