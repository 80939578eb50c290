"""Companies: registered with validated identifiers; a new company (or a new customs code) takes over the
parties the agencies already named it by, so its items become visible at once (docs/parties.md)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_not_found
from core.errors import Conflict
from core.identifiers import checked, validate_customs_code, validate_uscc
from core.models import Company
from status_tracker.parties import attach_company


def create_company(session: Session, *, name: str, uscc: str, customs_code: str | None = None) -> Company:
    company = Company(
        name=name.strip(),
        uscc=checked("uscc", validate_uscc, uscc),
        customs_code=checked("customs_code", validate_customs_code, customs_code) if customs_code else None,
    )
    if session.scalar(select(Company.id).where(Company.uscc == company.uscc)):
        raise Conflict("a company with this unified social credit code exists")
    if company.customs_code and session.scalar(
        select(Company.id).where(Company.customs_code == company.customs_code)
    ):
        raise Conflict("a company with this customs code exists")
    session.add(company)
    session.flush()
    attach_company(session, company)  # items whose agency already names it become visible to it
    return company


def update_company(session: Session, company: Company, **changes: str | None) -> Company:
    if "name" in changes and changes["name"]:
        company.name = changes["name"].strip()
    if "customs_code" in changes:
        code = changes["customs_code"]
        company.customs_code = checked("customs_code", validate_customs_code, code) if code else None
    session.flush()
    attach_company(session, company)
    return company


def get_company(session: Session, company_id: int) -> Company:
    return get_or_not_found(session, Company, company_id, "company")
