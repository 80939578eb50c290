"""Changing the catalogues: an enterprise publishes its own, an administrator imports many at once.

Every change is a new fee version (the previous one is closed the day the new one starts), audited in the
same transaction, and a price change tells the item's followers (port_charges.follows) through the
notifications outbox. Publishing what is already in force changes nothing: a repeated publication or
import is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import Forbidden, Invalid
from core.models import Company, Role, User
from notifications.fanout import Notice, notify
from port_charges.follows import followers
from port_charges.messages import price_change_texts
from port_charges.models import (
    CURRENCIES,
    ENTERPRISE_KINDS,
    FEE_CATEGORIES,
    MAX_PRICE,
    PRICE_PLACES,
    UNITS,
    ChargeAudit,
    ChargingEnterprise,
    FeeVersion,
    Port,
    price_to_cents,
)

# A fee item's code names the same service at every enterprise, e.g. THC-40 (terminal handling, 40').
CODE = re.compile(r"^[A-Z0-9]{1,10}(-[A-Z0-9]{1,10}){0,3}$")
CODE_RULE = "capital letters and digits in up to 4 parts joined by '-', e.g. THC-40"
FEE_FIELDS = ("code", "name_zh", "name_en", "category", "unit", "price", "currency", "basis", "effective_from",
              "effective_to")


@dataclass(frozen=True)
class FeeEntry:
    """One fee item as published: the values of the version it becomes."""

    code: str
    name_zh: str
    name_en: str
    category: str
    unit: str
    price: Decimal
    currency: str
    effective_from: date
    basis: str | None = None
    effective_to: date | None = None


@dataclass
class PublishResult:
    created: list[FeeVersion] = field(default_factory=list)  # items the enterprise did not list before
    changed: list[FeeVersion] = field(default_factory=list)  # new versions of listed items
    unchanged: int = 0  # entries identical to the version in force or scheduled: nothing written
    pushes: int = 0  # outbox rows queued for followers


def _text(raw: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]], *,
          required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = ["required"]
        return None
    if not isinstance(value, str):
        errors[name] = ["a string"]
        return None
    value = value.strip()
    if len(value) > limit:
        errors[name] = [f"at most {limit} characters"]
    elif "\x00" in value or re.search("[\ud800-\udfff]", value):
        errors[name] = ["must not contain NUL or lone surrogates"]
    return value


def _date(raw: Mapping[str, Any], name: str, errors: dict[str, list[str]], *, required: bool) -> date | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["required"]
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None or not 1970 <= parsed.year < 2200:
        errors[name] = ["a date as YYYY-MM-DD, from 1970 to 2199"]
    return parsed


def _price(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    """A decimal with at most two places, given as a string or a number (a JSON number is read by its digits,
    never through binary floating point)."""
    if value is None or value == "":
        errors["price"] = ["required"]
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        errors["price"] = ["a decimal number, e.g. 850.00"]
        return None
    try:
        price = Decimal(value.strip() if isinstance(value, str) else repr(value) if isinstance(value, float)
                        else value)
    except InvalidOperation:
        errors["price"] = ["a decimal number, e.g. 850.00"]
        return None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        errors["price"] = [f"from 0 to {MAX_PRICE}"]
    elif price.as_tuple().exponent < -PRICE_PLACES and price != price.quantize(Decimal(1).scaleb(-PRICE_PLACES)):
        errors["price"] = [f"at most {PRICE_PLACES} decimal places"]
    return price


def _choice(raw: Mapping[str, Any], name: str, choices: Sequence[str], errors: dict[str, list[str]],
            default: str | None = None) -> str | None:
    value = raw.get(name, default)
    if value in (None, "") and default is not None:
        value = default
    if value not in choices:
        errors[name] = [f"one of {', '.join(choices)}"]
        return None
    return value


def check_entry(raw: Mapping[str, Any]) -> tuple[FeeEntry | None, dict[str, list[str]]]:
    """A fee entry from plain values (a JSON object, a CSV row), or the reason for each bad field."""
    errors: dict[str, list[str]] = {}
    code = _text(raw, "code", 20, errors)
    if code is not None and "code" not in errors and not CODE.fullmatch(code):
        errors["code"] = [CODE_RULE]
    name_zh = _text(raw, "name_zh", 100, errors)
    name_en = _text(raw, "name_en", 100, errors)
    category = _choice(raw, "category", FEE_CATEGORIES, errors)
    unit = _choice(raw, "unit", UNITS, errors)
    price = _price(raw.get("price"), errors)
    currency = _choice(raw, "currency", CURRENCIES, errors, default="CNY")
    basis = _text(raw, "basis", 500, errors, required=False)
    start = _date(raw, "effective_from", errors, required=True)
    end = _date(raw, "effective_to", errors, required=False)
    if start and end and "effective_to" not in errors and end <= start:
        errors["effective_to"] = ["after effective_from"]
    if errors:
        return None, errors
    return FeeEntry(code=code, name_zh=name_zh, name_en=name_en, category=category, unit=unit,  # type: ignore[arg-type]
                    price=price, currency=currency, effective_from=start, basis=basis,  # type: ignore[arg-type]
                    effective_to=end), {}


def may_publish(user: User, enterprise: ChargingEnterprise) -> bool:
    """An administrator may publish any catalogue; a port enterprise's user only its own enterprise's."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.PORT_ENTERPRISE and user.company_id is not None and \
        enterprise.company_id == user.company_id


def _same(version: FeeVersion, entry: FeeEntry) -> bool:
    return (version.name_zh, version.name_en, version.category, version.unit, version.price_cents,
            version.currency, version.basis, version.effective_to) == (
        entry.name_zh, entry.name_en, entry.category, entry.unit, price_to_cents(entry.price), entry.currency,
        entry.basis, entry.effective_to)


def _latest(session: Session, enterprise_id: int, codes: list[str]) -> dict[str, FeeVersion]:
    """Each item's latest version (the one that starts last), by code; locked, so that two publications of
    the same item queue instead of both closing the same version."""
    if not codes:
        return {}
    latest: dict[str, FeeVersion] = {}
    for version in session.scalars(select(FeeVersion).where(FeeVersion.enterprise_id == enterprise_id,
                                                            FeeVersion.code.in_(codes))
                                   .order_by(FeeVersion.id).with_for_update(of=FeeVersion)):
        if version.code not in latest or version.effective_from > latest[version.code].effective_from:
            latest[version.code] = version
    return latest


def plan_entries(session: Session, enterprise: ChargingEnterprise,
          entries: Sequence[FeeEntry]) -> tuple[list[tuple[FeeEntry, FeeVersion | None]], dict[int, dict]]:
    """What each entry would do (entry, the version it follows or None), or the errors by entry index."""
    latest = _latest(session, enterprise.id, sorted({e.code for e in entries}))
    errors: dict[int, dict] = {}
    seen: dict[str, int] = {}
    plan = []
    for index, entry in enumerate(entries):
        if entry.code in seen:
            errors[index] = {"code": ["listed twice for this enterprise"]}
            continue
        seen[entry.code] = index
        before = latest.get(entry.code)
        if before is not None and _same(before, entry) and entry.effective_from >= before.effective_from:
            plan.append((entry, before))  # already so: nothing to do
        elif before is not None and entry.effective_from <= before.effective_from:
            errors[index] = {"effective_from": [
                f"after {before.effective_from:%Y-%m-%d}, when the latest version of {entry.code} starts "
                "(a published version is never rewritten)"]}
        else:
            plan.append((entry, before))
    return plan, errors


def _audit(session: Session, actor: User | None, action: str, enterprise: ChargingEnterprise, code: str | None,
           details: dict) -> None:
    session.add(ChargeAudit(actor_id=actor.id if actor else None, action=action, port_id=enterprise.port_id,
                            enterprise_id=enterprise.id, code=code, details=details))


def _version_values(version: FeeVersion | None) -> dict | None:
    if version is None:
        return None
    return {"id": version.id, "name_zh": version.name_zh, "name_en": version.name_en, "unit": version.unit,
            "price": str(version.price), "currency": version.currency,
            "effective_from": version.effective_from.isoformat(),
            "effective_to": version.effective_to.isoformat() if version.effective_to else None}


def apply_plan(session: Session, actor: User | None, enterprise: ChargingEnterprise,
           plan: list[tuple[FeeEntry, FeeVersion | None]], action: str) -> PublishResult:
    result = PublishResult()
    now = utcnow()
    for entry, before in plan:
        if before is not None and _same(before, entry) and entry.effective_from >= before.effective_from:
            result.unchanged += 1
            continue
        values = asdict(entry)
        values["price_cents"] = price_to_cents(values.pop("price"))
        version = FeeVersion(enterprise_id=enterprise.id, port_id=enterprise.port_id, published_at=now,
                             published_by=actor.id if actor else None, **values)
        if before is not None and (before.effective_to is None or before.effective_to > entry.effective_from):
            before.effective_to = entry.effective_from
        session.add(version)
        session.flush()
        _audit(session, actor, action, enterprise, entry.code,
               {"before": _version_values(before), "after": _version_values(version)})
        (result.changed if before is not None else result.created).append(version)
        if before is not None and (before.price_cents, before.currency) != (version.price_cents, version.currency):
            result.pushes += _tell_followers(session, enterprise, before, version)
    return result


def _tell_followers(session: Session, enterprise: ChargingEnterprise, before: FeeVersion,
                    after: FeeVersion) -> int:
    """One push per follower (of the enterprise, of the item at the port, or both: still one)."""
    port = session.get_one(Port, enterprise.port_id)
    notice = Notice(
        topic=f"charge-{enterprise.id}-{after.code}",
        texts=price_change_texts(port, enterprise, before, after),
        data={"deep_link": f"swm://port-charges/enterprises/{enterprise.id}", "port_id": str(port.id),
              "enterprise_id": str(enterprise.id), "fee_code": after.code, "old_price": str(before.price),
              "new_price": str(after.price), "currency": after.currency,
              "effective_from": after.effective_from.isoformat()},
    )
    return notify(session, notice, followers(session, enterprise.port_id, enterprise.id, after.code))


def publish(session: Session, actor: User, enterprise: ChargingEnterprise,
            raw_entries: Sequence[Mapping[str, Any]]) -> PublishResult:
    """The enterprise's own publication of some of its fee items (the others stay as they are). All
    entries are taken or none: the errors of every bad one are given at once, by index."""
    if not may_publish(actor, enterprise):
        raise Forbidden("a port enterprise may publish only its own catalogue")
    entries, errors = [], {}
    for index, raw in enumerate(raw_entries):
        entry, problems = check_entry(raw)
        if problems:
            errors[index] = problems
        else:
            entries.append((index, entry))
    plan, plan_errors = plan_entries(session, enterprise, [e for _, e in entries])
    errors.update({entries[i][0]: problems for i, problems in plan_errors.items()})
    if errors:
        raise Invalid("entries", "some entries cannot be published", details=dict(sorted(errors.items())))
    return apply_plan(session, actor, enterprise, plan, "publish")


# --- ports and enterprises ---------------------------------------------------------------------------------

OFFICE = re.compile(r"^[0-9]{4}$")
LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


def create_port(session: Session, actor: User | None, *, customs_office: str, name_zh: str, name_en: str,
                locode: str | None = None) -> Port:
    if not OFFICE.fullmatch(customs_office):
        raise Invalid("customs_office", "a customs office code is 4 digits, e.g. 2248")
    if locode is not None and not LOCODE.fullmatch(locode):
        raise Invalid("locode", "a UN/LOCODE is 5 capitals, e.g. CNSHA")
    if session.scalar(select(Port.id).where(Port.customs_office == customs_office)):
        raise Invalid("customs_office", "a port with this customs office code exists")
    port = Port(customs_office=customs_office, locode=locode, name_zh=name_zh, name_en=name_en)
    session.add(port)
    session.flush()
    session.add(ChargeAudit(actor_id=actor.id if actor else None, action="create_port", port_id=port.id,
                            details={"customs_office": customs_office, "name_zh": name_zh}))
    return port


def create_enterprise(session: Session, actor: User | None, port: Port, *, name_zh: str, name_en: str | None = None,
                      kind: str = "terminal", company_id: int | None = None) -> ChargingEnterprise:
    if kind not in ENTERPRISE_KINDS:
        raise Invalid("kind", f"one of {', '.join(ENTERPRISE_KINDS)}")
    if company_id is not None and session.get(Company, company_id) is None:
        raise Invalid("company_id", "no such company")
    if session.scalar(select(ChargingEnterprise.id).where(ChargingEnterprise.port_id == port.id,
                                                          ChargingEnterprise.name_zh == name_zh)):
        raise Invalid("name_zh", "an enterprise of this name is listed at this port")
    enterprise = ChargingEnterprise(port_id=port.id, name_zh=name_zh, name_en=name_en, kind=kind,
                                    company_id=company_id)
    session.add(enterprise)
    session.flush()
    _audit(session, actor, "create_enterprise", enterprise, None,
           {"name_zh": name_zh, "name_en": name_en, "kind": kind, "company_id": company_id})
    return enterprise
