"""Users: creation with validated identifiers, password hashing, authentication."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_not_found
from core.errors import Conflict, Invalid
from core.i18n import N_
from core.identifiers import InvalidIdentifier, checked, validate_mobile_phone
from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from core.models import ROLES, TRADING_ROLES, Company, Role, User

_hasher = PasswordHasher()
# Verified against when the phone is unknown, so a wrong phone costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing parameters (tests use argon2's cheapest profile to stay fast)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("not a real password")
MIN_PASSWORD_LENGTH = 8


def validate_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("time_zone", "not an IANA time zone name, e.g. Asia/Shanghai") from None
    if value not in available_timezones():
        raise Invalid("time_zone", "not an IANA time zone name, e.g. Asia/Shanghai")
    return value


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password", N_("a password has at least {n} characters").format(n=MIN_PASSWORD_LENGTH))
    return _hasher.hash(password)


@dataclass(frozen=True)
class NewUser:
    phone: str
    name: str
    password: str
    role: str = Role.TRADER
    company_id: int | None = None
    locale: str = DEFAULT_LANGUAGE
    time_zone: str = "Asia/Shanghai"


def create_user(session: Session, new: NewUser) -> User:
    phone = checked("phone", validate_mobile_phone, new.phone)
    _check_role_and_company(session, new.role, new.company_id)
    if new.locale not in LANGUAGES:
        raise Invalid("locale", N_("one of {choices}").format(choices=", ".join(LANGUAGES)))
    if session.scalar(select(User.id).where(User.phone == phone)):
        raise Conflict("a user with this phone number exists")
    user = User(
        phone=phone,
        name=new.name.strip(),
        password_hash=hash_password(new.password),
        role=new.role,
        company_id=new.company_id,
        locale=new.locale,
        time_zone=validate_time_zone(new.time_zone),
    )
    session.add(user)
    session.flush()
    return user


def _check_role_and_company(session: Session, role: str, company_id: int | None) -> None:
    if role not in ROLES:
        raise Invalid("role", N_("one of {choices}").format(choices=", ".join(ROLES)))
    if role in TRADING_ROLES and company_id is None:
        raise Invalid("company_id", N_("a trader belongs to a company") if role == Role.TRADER
                      else N_("a company admin belongs to a company"))
    if role == Role.PORT_ENTERPRISE and company_id is None:
        raise Invalid("company_id", "a port enterprise's user belongs to its company")
    if company_id is not None and session.get(Company, company_id) is None:
        raise Invalid("company_id", "no such company")


def update_user(session: Session, user: User, **changes: object) -> User:
    """Apply the given changes (already shape-checked by the caller); validates what needs the database."""
    role = str(changes.get("role", user.role))
    company_id = changes["company_id"] if "company_id" in changes else user.company_id
    _check_role_and_company(session, role, company_id)  # type: ignore[arg-type]
    user.role, user.company_id = role, company_id  # type: ignore[assignment]
    for field in ("name", "locale", "active"):
        if field in changes:
            setattr(user, field, changes[field])
    if "time_zone" in changes:
        user.time_zone = validate_time_zone(str(changes["time_zone"]))
    if "password" in changes:
        user.password_hash = hash_password(str(changes["password"]))
    session.flush()
    return user


def authenticate(session: Session, phone: str, password: str) -> User | None:
    """The active user with this phone and password, or None (without telling which part was wrong)."""
    try:
        phone = validate_mobile_phone(phone)
    except InvalidIdentifier:
        return None
    user = session.scalar(select(User).where(User.phone == phone))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def get_user(session: Session, user_id: int) -> User:
    return get_or_not_found(session, User, user_id, "user")
