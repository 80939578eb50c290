"""Follows: a user asks to be told when a price changes, for every item of one enterprise or for one item
(by code) at every enterprise of a port. Open to every signed-in user, like the catalogues themselves."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db import get_or_not_found
from core.errors import Invalid
from port_charges.models import ChargeFollow, ChargingEnterprise, FeeVersion, Port


def follow_enterprise(session: Session, user_id: int, enterprise_id: int) -> tuple[ChargeFollow, bool]:
    enterprise = session.get(ChargingEnterprise, enterprise_id)
    if enterprise is None:
        raise Invalid("enterprise_id", "no such enterprise")
    return _follow(session, ChargeFollow(user_id=user_id, kind="enterprise", target=f"enterprise/{enterprise.id}",
                                         port_id=enterprise.port_id, enterprise_id=enterprise.id))


def follow_fee_item(session: Session, user_id: int, port_id: int, code: str) -> tuple[ChargeFollow, bool]:
    if session.get(Port, port_id) is None:
        raise Invalid("port_id", "no such port")
    if session.scalar(select(FeeVersion.id).where(FeeVersion.port_id == port_id, FeeVersion.code == code)
                      .limit(1)) is None:
        raise Invalid("code", "no enterprise of this port lists this fee item")
    return _follow(session, ChargeFollow(user_id=user_id, kind="fee_item", target=f"fee_item/{port_id}/{code}",
                                         port_id=port_id, code=code))


def _follow(session: Session, wanted: ChargeFollow) -> tuple[ChargeFollow, bool]:
    """The follow, created or as it was (following twice is one follow)."""
    existing = session.scalar(select(ChargeFollow).where(ChargeFollow.user_id == wanted.user_id,
                                                         ChargeFollow.target == wanted.target))
    if existing is not None:
        return existing, False
    session.add(wanted)
    session.flush()
    return wanted, True


def list_follows(session: Session, user_id: int) -> list[ChargeFollow]:
    return list(session.scalars(select(ChargeFollow).where(ChargeFollow.user_id == user_id)
                                .order_by(ChargeFollow.id)))


def unfollow(session: Session, user_id: int, follow_id: int) -> None:
    follow = get_or_not_found(session, ChargeFollow, follow_id, "follow", lambda f: f.user_id == user_id)
    session.delete(follow)
    session.flush()


def followers(session: Session, port_id: int, enterprise_id: int, code: str) -> set[int]:
    """The users who follow this enterprise, or this item at its port."""
    return set(session.scalars(select(ChargeFollow.user_id).where(or_(
        ChargeFollow.enterprise_id == enterprise_id,
        (ChargeFollow.port_id == port_id) & (ChargeFollow.code == code),
    ))))
