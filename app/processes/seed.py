"""Demo data: the companies and users of one transit story, and items of all 14 kinds; three ports' charge
catalogues (收费公示).

Their statuses come from the agencies (the demo registers the items with the agency mocks), not from here, and so
does who their parties are: the seed only claims them, as a trader tracking an item does, and the demo registers
each item with the agencies under its true parties (`agency_records`), which customs' answers then confirm.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from core.accounts import NewUser, create_user
from core.db import utcnow
from core.identifiers import uscc_check_char
from core.models import Company, User
from port_charges.follows import follow_fee_item
from port_charges.models import ChargingEnterprise, FeeVersion, Port
from port_charges.publishing import apply_plan, check_entry, create_enterprise, create_port, plan_entries, publish
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.clearances import PartyRef, track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS, Kind
from status_tracker.models import ClearanceItem, ItemParty
from status_tracker.parties import AgencyParty
from status_tracker.stages import Stage

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


def agency_records(session: Session, item_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The parties the agencies' records name for these demo items, as the agency mocks take them: the demo's
    traders claim only true parties, so an item's claims are exactly whom its declaration names."""
    named = aliased(Company)
    rows = session.execute(
        select(ItemParty.item_id, ItemParty.role, named.uscc, named.customs_code, named.name)
        .join(named, named.id == ItemParty.company_id)
        .where(ItemParty.item_id.in_(item_ids), ItemParty.source == "claim")
        .order_by(ItemParty.item_id, ItemParty.id)
    )
    records: dict[int, list[dict[str, str]]] = {item_id: [] for item_id in item_ids}
    for item_id, role, uscc, customs_code, name in rows:
        records[item_id].append({"role": role, "uscc": uscc, "name": name}
                                | ({"customs_code": customs_code} if customs_code else {}))
    return records


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


# A past quarter of finished items, so the clearance-time statistics and expected completion times have a
# history to draw on in the demo. They belong to companies of their own (the demo logins do not see them), several
# of them: a figure is published only when it aggregates items from at least SWM_STATS_MIN_COMPANIES companies.
HISTORY_COMPANIES = (
    DemoCompany("history", "浙江海港进出口有限公司", _uscc("91330200MA2H1T5R7"), "3301960005"),
    DemoCompany("history-2", "江苏长江国际贸易有限公司", _uscc("91320100MA1W8P3K2"), "3201960006"),
    DemoCompany("history-3", "山东青港供应链有限公司", _uscc("91370200MA3C5N7D4"), "3702960007"),
    DemoCompany("history-4", "福建闽海报关有限公司", _uscc("91350200MA2Y6Q8F1"), "3502960008"),
)
HISTORY_COMPANY = HISTORY_COMPANIES[0]  # its presence says the history is seeded
HISTORY_PER_KIND = 40
HISTORY_OFFICES = ("2233", "3101", "5316")  # 浦东海关, 上海海关 (quay), 黄埔海关 (as the reference carries it)
HISTORY_SEQUENCE = 10_000_000  # above any reference counter the live demo reaches


def _history_path(kind: Kind, rng: random.Random) -> list[str]:
    """Codes a finished item of the kind went through: its first code, a review, sometimes an inspection,
    then release and (where the kind has it) completion."""
    by_stage: dict[Stage, list[str]] = {}
    for code in kind.codes:
        by_stage.setdefault(code.stage, []).append(code.code)
    path = [kind.initial_code]
    for stage, chance in ((Stage.ACCEPTED, 1.0), (Stage.UNDER_REVIEW, 0.8), (Stage.INSPECTION, 0.2),
                          (Stage.RELEASED, 1.0), (Stage.COMPLETED, 1.0)):
        codes = [c for c in by_stage.get(stage, []) if c != kind.initial_code and kind.code(c).milestone] \
            or [c for c in by_stage.get(stage, []) if c != kind.initial_code]
        if codes and rng.random() < chance:
            path.append(codes[0])
    return path


def seed_history(session: Session, *, now: datetime | None = None, per_kind: int = HISTORY_PER_KIND,
                 seed: int = 2026) -> int:
    """Finished items of every kind with timelines over the past 60 days (once; again: nothing). Returns how
    many items it added."""
    company = session.scalar(select(Company).where(Company.uscc == HISTORY_COMPANY.uscc))
    if company is not None:
        return 0
    companies = [create_company(session, name=c.name, uscc=c.uscc, customs_code=c.customs_code)
                 for c in HISTORY_COMPANIES]
    now = now or utcnow()
    rng = random.Random(seed)
    updates: list[tuple[int, StatusUpdate]] = []
    for kind in KINDS.values():
        step_hours = rng.uniform(2, 30)  # each kind has its own pace
        for n in range(per_kind):
            reference = example_reference(kind.key, HISTORY_SEQUENCE + n)
            if kind.office_span:
                start, end = kind.office_span
                reference = reference[:start] + HISTORY_OFFICES[n % len(HISTORY_OFFICES)] + reference[end:]
            company = companies[n % len(companies)]  # every office's items come from all of them
            # Its receipts name the company, as customs' would: it is the confirmed party of its items.
            parties = (AgencyParty("declarant", company.uscc, company.customs_code),)
            item, _ = track_item(session, company_id=company.id, user_id=None, kind=kind.key, reference=reference)
            at = now - timedelta(days=rng.uniform(5, 60))
            for seq, code in enumerate(_history_path(kind, rng), start=1):
                updates.append((item.id, StatusUpdate(f"history-{seq}", seq, code, None, at, parties)))
                at += timedelta(hours=rng.lognormvariate(0, 0.5) * step_hours)
    apply_updates(session, [(item_id, u) for item_id, u in updates if u.agency_time < now], now=now)
    # Finished long ago: no agency is asked about them again.
    session.execute(update(ClearanceItem).where(ClearanceItem.id.in_({item_id for item_id, _ in updates}))
                    .values(next_poll_at=None))
    return per_kind * len(KINDS)


STUCK_SEQUENCE = 20_000_000  # the references of items seeded as stuck: apart from the live ones and the history
STUCK_EVENT = "stuck-1"  # the one receipt of each stuck item
STUCK_FOR = timedelta(days=4)  # longer than any seeded kind's usual step: each one is late


def seed_stuck(session: Session, count: int = 3, *, now: datetime | None = None) -> int:
    """A few open customs declarations of the demo consignee, received days ago at a history office and not moved
    since: the late-alert job finds them past the usual time (docs/late-alerts.md). Fresh ones on every call."""
    now = now or utcnow()
    kind = KINDS["customs_declaration"]
    consignee = next(c for c in COMPANIES if c.key == "consignee")
    company = session.scalar(select(Company).where(Company.uscc == consignee.uscc))
    parties = (AgencyParty("consignee", consignee.uscc, consignee.customs_code),)
    start, end = kind.office_span
    added, n = 0, 0
    while added < count:
        reference = example_reference(kind.key, STUCK_SEQUENCE + n)
        reference = reference[:start] + HISTORY_OFFICES[0] + reference[end:]
        n += 1
        if session.scalar(select(ClearanceItem.id).where(ClearanceItem.reference == reference)) is not None:
            continue
        item, _ = track_item(session, company_id=company.id, user_id=None, kind=kind.key, reference=reference)
        at = now - STUCK_FOR - timedelta(hours=added)
        # Its first receipt, and nothing since: the step every seeded history item made next is long overdue.
        apply_updates(session, [(item.id, StatusUpdate(STUCK_EVENT, 1, kind.initial_code, None, at, parties))],
                      now=now)
        added += 1
    return added
# Port charges (收费公示): three ports, a handful of charging enterprises each, the fee items a trader meets
# there. Prices are plausible, not any enterprise's real tariff; each enterprise gets its own by a seeded draw.
# Customs office codes and UN/LOCODEs as the ports carry them (the Yantian office code is illustrative).
PORTS = (
    ("2248", "CNSHA", "上海洋山港", "Shanghai Yangshan", (
        ("上海盛东国际集装箱码头有限公司", "Shanghai Shengdong International Container Terminal", "terminal"),
        ("上海冠东国际集装箱码头有限公司", "Shanghai Guandong International Container Terminal", "terminal"),
        ("上海尚东集装箱码头有限公司", "Shanghai Shangdong Container Terminal", "terminal"),
        ("中国上海外轮代理有限公司", "Penavico Shanghai", "shipping_agency"),
        ("上海外轮理货有限公司", "Shanghai Ocean Shipping Tally", "tally"),
    )),
    ("3104", "CNNGB", "宁波舟山港（北仑）", "Ningbo-Zhoushan (Beilun)", (
        ("宁波北仑第三集装箱码头有限公司", "Ningbo Beilun Third Container Terminal", "terminal"),
        ("宁波梅山岛国际集装箱码头有限公司", "Ningbo Meishan Island International Container Terminal", "terminal"),
        ("宁波大榭招商国际码头有限公司", "Ningbo Daxie China Merchants International Terminal", "terminal"),
        ("中国宁波外轮代理有限公司", "Penavico Ningbo", "shipping_agency"),
        ("宁波外轮理货有限公司", "Ningbo Ocean Shipping Tally", "tally"),
    )),
    ("5320", "CNYTN", "深圳盐田港", "Shenzhen Yantian", (
        ("盐田国际集装箱码头有限公司", "Yantian International Container Terminals", "terminal"),
        ("深圳盐田西港区码头有限公司", "Shenzhen Yantian West Port Terminals", "terminal"),
        ("中国深圳外轮代理有限公司", "Penavico Shenzhen", "shipping_agency"),
        ("深圳外轮理货有限公司", "Shenzhen Ocean Shipping Tally", "tally"),
    )),
)
# (code, name_zh, name_en, category, unit, typical price in CNY, basis) by the kind of enterprise that charges it.
FEE_ITEMS = {
    "terminal": (
        ("THC-20", "码头作业费（20尺箱）", "Terminal handling charge, 20' container", "terminal_handling", "teu", 660,
         "《港口收费计费办法》交水规〔2019〕2号"),
        ("THC-40", "码头作业费（40尺箱）", "Terminal handling charge, 40' container", "terminal_handling", "feu",
         990, "《港口收费计费办法》交水规〔2019〕2号"),
        ("SEC-20", "港口设施保安费（20尺箱）", "Port facility security charge, 20' container", "port_service", "teu",
         10, "《港口收费计费办法》第十六条"),
        ("SEC-40", "港口设施保安费（40尺箱）", "Port facility security charge, 40' container", "port_service", "feu",
         15, "《港口收费计费办法》第十六条"),
        ("STOR-20", "堆存保管费（20尺箱，免费期后）", "Storage after free time, 20' container", "storage", "day", 12,
         "码头收费目录"),
        ("REEFER", "冷藏箱电费及监控费", "Reefer power and monitoring", "terminal_handling", "day", 180,
         "码头收费目录"),
    ),
    "shipping_agency": (
        ("DOC", "单证费", "Documentation fee", "documentation", "ticket", 450, "船公司授权收费"),
        ("EIR", "设备交接单费", "Equipment interchange receipt fee", "documentation", "ticket", 50, "船公司授权收费"),
        ("SEAL", "封志费", "Container seal fee", "agency", "set", 50, "船公司授权收费"),
        ("TELEX", "电放费", "Telex release fee", "documentation", "ticket", 300, "船公司授权收费"),
    ),
    "tally": (
        ("TALLY-20", "理货费（20尺箱）", "Tally fee, 20' container", "tally", "teu", 15, "《港口收费计费办法》附件"),
        ("TALLY-40", "理货费（40尺箱）", "Tally fee, 40' container", "tally", "feu", 25, "《港口收费计费办法》附件"),
    ),
}
CHARGES_COMPANY = DemoCompany("terminal", "上海盛东国际集装箱码头有限公司", _uscc("91310000MA1G8R2D5"), "2248960009")
CHARGES_USER = ("13800000007", "赵码头 (port enterprise: Shengdong terminal)", "port_enterprise")
CHARGES_SINCE = date(2026, 1, 1)  # this year's catalogues; the terminals' previous prices from mid-2025


def seed_port_charges(session: Session, *, seed: int = 2026) -> list[tuple[str, str, str]]:
    """The ports, enterprises and catalogues (once; again: nothing), a port-enterprise user who publishes the
    Shengdong terminal's catalogue, and the demo consignee following THC-40 at Yangshan. Returns the login."""
    login = [(CHARGES_USER[0], DEMO_PASSWORD, CHARGES_USER[1])]
    if session.scalar(select(Port.id).where(Port.customs_office == PORTS[0][0])) is not None:
        return login
    rng = random.Random(seed)
    company = create_company(session, name=CHARGES_COMPANY.name, uscc=CHARGES_COMPANY.uscc,
                             customs_code=CHARGES_COMPANY.customs_code)
    create_user(session, NewUser(phone=CHARGES_USER[0], name=CHARGES_USER[1], password=DEMO_PASSWORD,
                                 role=CHARGES_USER[2], company_id=company.id))
    for office, locode, name_zh, name_en, enterprises in PORTS:
        port = create_port(session, None, customs_office=office, locode=locode, name_zh=name_zh, name_en=name_en)
        for zh, en, kind in enterprises:
            enterprise = create_enterprise(session, None, port, name_zh=zh, name_en=en, kind=kind,
                                           company_id=company.id if zh == CHARGES_COMPANY.name else None)
            items = FEE_ITEMS[kind]
            if kind == "terminal":  # last year's prices, so the history has something to show
                publish_as_seed(session, enterprise, items, rng, date(2025, 7, 1), 0.93)
            publish_as_seed(session, enterprise, items, rng, CHARGES_SINCE, 1.0)
    consignee = session.scalar(select(User).where(User.phone == USERS[1][0]))
    yangshan = session.scalar(select(Port).where(Port.customs_office == PORTS[0][0]))
    if consignee is not None and yangshan is not None:
        follow_fee_item(session, consignee.id, yangshan.id, "THC-40")
    return login


def publish_as_seed(session: Session, enterprise: ChargingEnterprise, items: tuple, rng: random.Random,
                    start: date, level: float) -> None:
    entries = []
    for code, zh, en, category, unit, typical, basis in items:
        price = Decimal(typical * level * rng.uniform(0.85, 1.15)).quantize(Decimal("1" if typical >= 100 else "0.5"))
        entries.append({"code": code, "name_zh": zh, "name_en": en, "category": category, "unit": unit,
                        "price": str(price), "currency": "CNY", "basis": basis, "effective_from": start})
    plan, errors = plan_entries(session, enterprise, [check_entry(e)[0] for e in entries])  # type: ignore[misc]
    assert not errors, errors
    apply_plan(session, None, enterprise, plan, "import")


def change_a_price(session: Session, rng: random.Random, *, today: date) -> str | None:
    """The demo's news from the ports: one terminal's THC-40 at Yangshan moves by a few per cent (followers
    are told). Returns what changed, for the progress line."""
    versions = list(session.scalars(
        select(FeeVersion).join(Port, Port.id == FeeVersion.port_id)
        .where(Port.customs_office == PORTS[0][0], FeeVersion.code == "THC-40", FeeVersion.effective_to.is_(None))
        .order_by(FeeVersion.id)))
    if not versions:
        return None
    current = rng.choice(versions)
    price = (current.price * Decimal(str(1 + rng.choice((-1, 1)) * rng.uniform(0.02, 0.06)))).quantize(Decimal(1))
    start = max(today, current.effective_from + timedelta(days=1))
    entry = {"code": current.code, "name_zh": current.name_zh, "name_en": current.name_en,
             "category": current.category, "unit": current.unit, "price": str(price), "currency": current.currency,
             "basis": current.basis, "effective_from": start}
    publish(session, session.get_one(User, _admin_id(session)), current.enterprise, [entry])
    return f"{current.enterprise.name_zh} THC-40 {current.price} → {price}"


def _admin_id(session: Session) -> int:
    return session.scalar(select(User.id).where(User.phone == USERS[5][0]))
