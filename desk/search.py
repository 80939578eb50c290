"""Finding any case across all companies, as the 95198 desk does: by a reference (of any kind, or its
beginning; a bill of lading or a container number), by a company (credit code, customs code or part of its
name) or by a user's phone. Callers decide who may search: this module does not filter by party.

Every lookup is an index lookup (reference prefix, B/L, container, codes, phone) or bounded by a limit, so
one search costs the same with a thousand items as with millions. The one scan is the company-name
match, over the companies table only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db import escape_like
from core.i18n import N_
from core.identifiers import normalize_identifier, stored_phone
from core.models import Company, User
from status_tracker.models import ClearanceItem, ItemParty, Shipment
from status_tracker.parties import confirmed

MIN_PREFIX = 6  # shorter beginnings of a reference match too much to be useful
MAX_QUERY = 64


@dataclass
class SearchResult:
    items: list[ClearanceItem] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    # Why the search may have found less than the reader expects, in words (English; shown translated).
    hints: list[str] = field(default_factory=list)


def search(session: Session, raw: str, *, limit: int = 20) -> SearchResult:
    """Items, companies and users matching the query; items that match by reference come first."""
    term = normalize_identifier(raw)  # as references are stored
    name = unicodedata.normalize("NFKC", raw).strip()
    result = SearchResult()
    if not term:
        return result

    items: dict[int, ClearanceItem] = {}

    def add(found: list[ClearanceItem]) -> None:
        for item in found:
            if len(items) < limit:
                items.setdefault(item.id, item)

    # 1. The reference itself, then references that begin with it (a B/L finds its manifest "B/L/voyage").
    add(list(session.scalars(select(ClearanceItem).where(ClearanceItem.reference == term).limit(limit))))
    if len(term) >= MIN_PREFIX and len(items) < limit:
        add(list(session.scalars(
            select(ClearanceItem)
            .where(ClearanceItem.reference.like(escape_like(term) + "%", escape="\\"), ClearanceItem.reference != term)
            .order_by(ClearanceItem.reference)
            .limit(limit)
        )))
    # 2. Items grouped under a shipment of that bill of lading or container.
    if len(items) < limit:
        shipments = select(Shipment.id).where(or_(Shipment.bill_of_lading == term, Shipment.container_no == term))
        add(list(session.scalars(
            select(ClearanceItem).where(ClearanceItem.shipment_id.in_(shipments))
            .order_by(ClearanceItem.id.desc()).limit(limit)
        )))

    # 3. Companies by their codes or name, and users by phone; then the latest items of those companies.
    company_match = [Company.uscc == term, Company.customs_code == term]
    if len(name) >= 2:
        pattern = f"%{escape_like(name)}%"
        # Chinese has no case: plain LIKE finds the same names at a fraction of ILIKE's cost.
        cased = name.lower() != name.upper()
        company_match.append(Company.name.ilike(pattern, escape="\\") if cased
                             else Company.name.like(pattern, escape="\\"))
    result.companies = list(session.scalars(
        select(Company).where(or_(*company_match)).order_by(Company.name, Company.id).limit(limit)
    ))
    phone = stored_phone(raw)  # "+86 139-1234-5678" finds 13912345678
    if phone:
        result.users = list(session.scalars(select(User).where(User.phone == phone)))
    company_ids = [c.id for c in result.companies] + [u.company_id for u in result.users if u.company_id]
    for company_id in dict.fromkeys(company_ids):
        if len(items) >= limit:
            break
        add(list(session.scalars(
            select(ClearanceItem)
            .join(ItemParty, ItemParty.item_id == ClearanceItem.id)
            .where(ItemParty.company_id == company_id, confirmed())
            .order_by(ItemParty.item_id.desc())
            .limit(limit - len(items))
        )))
    result.items = list(items.values())
    if not result.items and len(term) < MIN_PREFIX and term.isascii() and term.isalnum():
        # "3101" finds nothing although references begin so: say why rather than only "nothing matches".
        result.hints.append(N_("a reference is found by its beginning from {n} characters on; \"{q}\" has {length}: "
                               "type more of it, or the whole reference").format(n=MIN_PREFIX, q=term,
                                                                               length=len(term)))
    return result
