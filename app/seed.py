"""Demo data: the companies and users of one transit story, and items of all 14 kinds.

Their statuses come from the agencies (the demo registers the items with the agency mocks), not from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from status_tracker.accounts import NewUser, create_company, create_user
from status_tracker.clearances import PartyRef, track_item
from status_tracker.identifiers import uscc_check_char
from status_tracker.kinds import KINDS
from status_tracker.models import Company, User

DEMO_PASSWORD = "demo-pass-2026"


ITEMS_PER_KIND = 3


def example_reference(kind: str, n: int) -> str:
    """The n-th valid reference of the kind: its example with the last run of digits counted up by n
    (for a vessel that is the voyage number; the IMO number keeps its check digit)."""
    example = KINDS[kind].reference_example
    digits = re.search(r"(\d+)(?!.*\d)", example)
    assert digits is not None, kind
    number = str(int(digits.group(1)) + n).zfill(len(digits.group(1)))
    reference = example[: digits.start()] + number + example[digits.end() :]
    return KINDS[kind].validate_reference(reference)


def example_references(kind: str, count: int, start: int = 0) -> list[str]:
    return [example_reference(kind, n) for n in range(start, start + count)]


def _uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


@dataclass(frozen=True)
class DemoCompany:
    key: str
    name: str
    uscc: str
    customs_code: str


COMPANIES = (
    DemoCompany("declarant", "上海远航报关有限公司", _uscc("91310115MA1H7X2K3"), "3122960001"),
    DemoCompany("consignee", "苏州精工电子有限公司", _uscc("91320594MA1MB0KQ6"), "3205260002"),
    DemoCompany("agent", "宁波通达国际货运代理有限公司", _uscc("91330206MA2GQ1L58"), "3302980003"),
    DemoCompany("unrelated", "广州南方贸易有限公司", _uscc("91440101MA5CYB3N0"), "4401360004"),
)

# (phone, name, role, company key or None)
USERS = (
    ("13800000001", "王报关 (declarant)", "trader", "declarant"),
    ("13800000002", "李收货 (consignee)", "trader", "consignee"),
    ("13800000003", "张代理 (agent)", "trader", "agent"),
    ("13800000004", "陈无关 (unrelated trader)", "trader", "unrelated"),
    ("13800000005", "95198 客服 (customer service)", "customer_service", None),
    ("13800000006", "管理员 (admin)", "admin", None),
)


def track_demo_item(session: Session, kind: str, n: int) -> None:
    """One more item declared by the demo declarant for its consignee and agent (keeps the demo moving)."""
    companies = {c.key: session.scalar(select(Company).where(Company.uscc == c.uscc)) for c in COMPANIES}
    declarant = session.scalar(select(User).where(User.phone == USERS[0][0]))
    track_item(session, company_id=companies["declarant"].id, user_id=declarant.id, kind=kind,
               reference=example_reference(kind, n),
               parties=(PartyRef("consignee", companies["consignee"].uscc), PartyRef("agent", companies["agent"].uscc)))


def seed_demo(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo data once (again: nothing changes); returns (phone, password, who) per login."""
    if session.scalar(select(User.id).where(User.phone == USERS[0][0])) is not None:
        return [(phone, DEMO_PASSWORD, name) for phone, name, _role, _company in USERS]
    companies: dict[str, Company] = {
        c.key: create_company(session, name=c.name, uscc=c.uscc, customs_code=c.customs_code) for c in COMPANIES
    }
    users = {}
    for phone, name, role, company_key in USERS:
        company_id = companies[company_key].id if company_key else None
        users[phone] = create_user(
            session, NewUser(phone=phone, name=name, password=DEMO_PASSWORD, role=role, company_id=company_id)
        )
    declarant_user = users[USERS[0][0]]
    others = (
        PartyRef("consignee", companies["consignee"].uscc),
        PartyRef("agent", companies["agent"].uscc),
    )
    for kind in KINDS.values():
        for reference in example_references(kind.key, ITEMS_PER_KIND):
            track_item(
                session, company_id=companies["declarant"].id, user_id=declarant_user.id,
                kind=kind.key, reference=reference, parties=others,
            )
    return [(phone, DEMO_PASSWORD, name) for phone, name, _role, _company in USERS]
