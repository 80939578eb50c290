"""Who is a party to an item: what the agency says (confirmed) and what traders claim. See docs/parties.md.

The agency is the source of truth. Every receipt or answer carries the item's parties as the agency has them;
`record_agency_parties` makes the item's confirmed parties exactly that set. A trader's word at tracking time
is a claim (`record_claim`): it gives nobody anything, and shows its claimant whether the agency has confirmed
it yet (`claim_state`). Visibility and pushes use confirmed parties only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from core.db import in_values, utcnow
from core.identifiers import InvalidIdentifier, validate_customs_code, validate_uscc
from core.models import Company
from status_tracker.models import AGENCY, CLAIM, PARTY_ROLES, ClearanceItem, ItemParty

CLAIM_STATES = ("pending_confirmation", "confirmed", "not_confirmed")
MAX_PARTIES = 10  # per item and answer: a declaration names three enterprises, a manifest B/L three more


@dataclass(frozen=True)
class AgencyParty:
    """A party as an agency names it: a role and the enterprise's credit code and/or customs code."""

    role: str
    uscc: str | None = None
    customs_code: str | None = None


def read_party(role: object, uscc: object, customs_code: object) -> AgencyParty | None:
    """An agency's party from raw values, or None when it cannot be used: a role we do not know, or neither a
    valid credit code nor a customs code of the right shape. A malformed code is dropped, a good one kept."""
    if not isinstance(role, str) or role.strip().lower() not in PARTY_ROLES:
        return None
    good_uscc = _valid(validate_uscc, uscc)
    good_code = _valid(validate_customs_code, customs_code)
    if good_uscc is None and good_code is None:
        return None
    return AgencyParty(role.strip().lower(), good_uscc, good_code)


def _valid(validator, value: object) -> str | None:  # type: ignore[no-untyped-def]
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        return validator(value)
    except InvalidIdentifier:
        return None


def confirmed() -> ColumnElement[bool]:
    """SQL condition on ItemParty: the agency names this party and it is a company of ours (what visibility,
    pushes and statistics go by; a claim never is)."""
    return and_(ItemParty.source == AGENCY, ItemParty.company_id.is_not(None))


def confirmed_party(company_id: int | None) -> ColumnElement[bool]:
    """SQL condition: the agency names the company as a party to the ClearanceItem in the query."""
    return exists().where(ItemParty.item_id == ClearanceItem.id, ItemParty.source == AGENCY,
                          ItemParty.company_id == company_id)


def _companies(session: Session, parties: list[AgencyParty]) -> tuple[dict[str, int], dict[str, int]]:
    """Our companies by credit code and by customs code, for the codes these parties carry."""
    usccs = sorted({p.uscc for p in parties if p.uscc})
    codes = sorted({p.customs_code for p in parties if p.customs_code})
    by_uscc: dict[str, int] = {}
    by_code: dict[str, int] = {}
    conditions = []
    if usccs:
        conditions.append(in_values(session, Company.uscc, usccs))
    if codes:
        conditions.append(in_values(session, Company.customs_code, codes))
    if conditions:
        for company_id, uscc, code in session.execute(
            select(Company.id, Company.uscc, Company.customs_code).where(or_(*conditions))
        ):
            by_uscc[uscc] = company_id
            if code:
                by_code[code] = company_id
    return by_uscc, by_code


def match_company(party: AgencyParty, by_uscc: Mapping[str, int], by_code: Mapping[str, int]) -> int | None:
    """By credit code first; by customs code only where the agency gave no credit code."""
    if party.uscc:
        return by_uscc.get(party.uscc)
    return by_code.get(party.customs_code or "")


def record_agency_parties(
    session: Session, parties_by_item: Mapping[int, Sequence[AgencyParty]], *, now: datetime | None = None
) -> None:
    """Make each item's confirmed parties exactly what its agency says, and note when it said so.

    A party the agency names again keeps its `confirmed_at`; one it no longer names is removed (and its users
    stop seeing the item); a code no company of ours has yet is kept unattached (see attach_company).
    Runs in the caller's transaction: the poll cycle's, with the events of the same answer.
    """
    if not parties_by_item:
        return
    now = now or utcnow()
    item_ids = list(parties_by_item)
    by_uscc, by_code = _companies(session, [p for ps in parties_by_item.values() for p in ps])
    existing: dict[int, dict[tuple, int]] = {item_id: {} for item_id in item_ids}
    for row in session.execute(
        select(ItemParty.id, ItemParty.item_id, ItemParty.role, ItemParty.company_id, ItemParty.uscc,
               ItemParty.customs_code)
        .where(in_values(session, ItemParty.item_id, item_ids), ItemParty.source == AGENCY)
    ):
        existing[row.item_id][_key(row.role, row.company_id, row.uscc, row.customs_code)] = row.id
    stale: list[int] = []
    new: list[dict] = []
    for item_id, parties in parties_by_item.items():
        wanted: dict[tuple, dict] = {}
        for party in parties[:MAX_PARTIES]:
            company_id = match_company(party, by_uscc, by_code)
            wanted.setdefault(_key(party.role, company_id, party.uscc, party.customs_code), {
                "item_id": item_id, "company_id": company_id, "uscc": party.uscc,
                "customs_code": party.customs_code, "role": party.role, "source": AGENCY, "confirmed_at": now,
            })
        stale += [row_id for key, row_id in existing[item_id].items() if key not in wanted]
        new += [row for key, row in wanted.items() if key not in existing[item_id]]
    if stale:
        session.execute(delete(ItemParty).where(in_values(session, ItemParty.id, stale)))
    if new:
        session.execute(insert(ItemParty), new)
        sync_item_updated_at(session, sorted({row["item_id"] for row in new}))
    session.execute(update(ClearanceItem).where(in_values(session, ClearanceItem.id, item_ids))
                    .values(parties_checked_at=now))


def sync_item_updated_at(session: Session, item_ids: Sequence[int]) -> None:
    """Copy each item's updated_at onto its agency party rows: whoever changes an item's updated_at, or adds
    agency parties, calls this in the same transaction (the company's list is read off that copy)."""
    if not item_ids:
        return
    session.execute(
        update(ItemParty)
        .where(in_values(session, ItemParty.item_id, list(item_ids)), ItemParty.source == AGENCY)
        .values(item_updated_at=select(ClearanceItem.updated_at).where(ClearanceItem.id == ItemParty.item_id)
                .scalar_subquery())
        .execution_options(synchronize_session=False)
    )


def _key(role: str, company_id: int | None, uscc: str | None, customs_code: str | None) -> tuple:
    # A matched party is the company in that role, however the agency spelled its codes.
    return (role, company_id) if company_id is not None else (role, None, uscc, customs_code)


def attach_company(session: Session, company: Company) -> int:
    """A company has just been registered (or given a customs code): the parties naming it become its, the
    agency's confirmations included. Returns how many party rows it attached."""
    named = ItemParty.uscc == company.uscc
    if company.customs_code:
        named = or_(named, and_(ItemParty.uscc.is_(None), ItemParty.customs_code == company.customs_code))
    result = session.execute(update(ItemParty).where(ItemParty.company_id.is_(None), named)
                             .values(company_id=company.id))
    return result.rowcount or 0


def record_claim(
    session: Session, item: ClearanceItem, *, claimant_id: int, user_id: int | None, role: str,
    company_id: int | None = None, uscc: str | None = None, now: datetime | None = None,
) -> ItemParty:
    """A trader's word that a company (itself, or another by credit code) has a role in the item. A claim the
    claimant made before for that role is kept as it was: claiming again changes nothing."""
    claim = session.scalar(select(ItemParty).where(
        ItemParty.item_id == item.id, ItemParty.claimed_by_company_id == claimant_id, ItemParty.role == role,
    ))
    if claim is None:
        claim = ItemParty(item_id=item.id, company_id=company_id, uscc=uscc, role=role, source=CLAIM,
                          claimed_by_company_id=claimant_id, claimed_by_user_id=user_id, claimed_at=now or utcnow())
        session.add(claim)
        session.flush()
    return claim


def claim_state(confirmed: bool, claimed_at: datetime | None, checked_at: datetime | None) -> str:
    """confirmed: the agency names the claimed company (in whatever role); not_confirmed: the agency has told us
    the item's parties since the claim was made, without it; pending_confirmation: it has not told us yet."""
    if confirmed:
        return "confirmed"
    if checked_at is not None and claimed_at is not None and checked_at >= claimed_at:
        return "not_confirmed"
    return "pending_confirmation"


@dataclass(frozen=True)
class ClaimView:
    """What a claimant sees of its claim: nothing of the item's status unless the agency confirms it."""

    kind: str
    reference: str
    role: str
    claimed_at: datetime
    state: str
    item_id: int | None  # only once confirmed: then the item is visible


def _confirmed_claim() -> ColumnElement[bool]:
    agency = aliased(ItemParty)
    return exists().where(agency.item_id == ItemParty.item_id, agency.source == AGENCY,
                          agency.company_id == ItemParty.company_id)


def claim_view(session: Session, claim: ItemParty) -> ClaimView:
    item = session.get(ClearanceItem, claim.item_id)
    assert item is not None
    confirmed = bool(session.scalar(select(_confirmed_claim()).where(ItemParty.id == claim.id)))
    state = claim_state(confirmed, claim.claimed_at, item.parties_checked_at)
    return ClaimView(item.kind, item.reference, claim.role, claim.claimed_at or item.created_at, state,
                     item.id if confirmed else None)


def my_claims(session: Session, company_id: int, *, state: str | None = None, limit: int = 20,
              offset: int = 0) -> list[ClaimView]:
    """The company's claims to be a party itself, newest first, each with its state (or only those in `state`)."""
    confirmed = _confirmed_claim()
    answered = ClearanceItem.parties_checked_at >= ItemParty.claimed_at
    query = (
        select(ItemParty.role, ItemParty.claimed_at, ClearanceItem.id, ClearanceItem.kind, ClearanceItem.reference,
               ClearanceItem.parties_checked_at, confirmed.label("confirmed"))
        .join(ClearanceItem, ClearanceItem.id == ItemParty.item_id)
        .where(ItemParty.source == CLAIM, ItemParty.claimed_by_company_id == company_id,
               ItemParty.company_id == company_id)
    )
    if state == "confirmed":
        query = query.where(confirmed)
    elif state == "not_confirmed":
        query = query.where(~confirmed, answered)
    elif state == "pending_confirmation":
        query = query.where(~confirmed, or_(ClearanceItem.parties_checked_at.is_(None), ~answered))
    rows = session.execute(query.order_by(ItemParty.claimed_at.desc(), ItemParty.id.desc())
                           .limit(limit).offset(offset))
    return [ClaimView(row.kind, row.reference, row.role, row.claimed_at,
                      claim_state(row.confirmed, row.claimed_at, row.parties_checked_at),
                      row.id if row.confirmed else None) for row in rows]


@dataclass(frozen=True)
class ItemClaim:
    """A claim on an item as the desk sees it: who claimed which company in which role, and its state."""

    claim: ItemParty
    claimant: Company | None
    state: str


def item_claims(session: Session, item: ClearanceItem) -> list[ItemClaim]:
    """Every claim on the item, oldest first, each with its state (for the desk: "why can't I see it?")."""
    confirmed = _confirmed_claim().label("confirmed")
    claimant = aliased(Company)
    rows = session.execute(
        select(ItemParty, claimant, confirmed)
        .outerjoin(claimant, claimant.id == ItemParty.claimed_by_company_id)
        .where(ItemParty.item_id == item.id, ItemParty.source == CLAIM)
        .order_by(ItemParty.claimed_at, ItemParty.id)
    )
    return [ItemClaim(claim, company, claim_state(is_confirmed, claim.claimed_at, item.parties_checked_at))
            for claim, company, is_confirmed in rows]
