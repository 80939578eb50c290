"""Users' subscriptions: per item, per shipment or per company, with a kind filter and milestones-only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_not_found
from core.errors import Invalid, NotFound
from core.i18n import N_
from core.models import User
from notifications.models import SCOPES, Subscription
from status_tracker.clearances import get_visible_item
from status_tracker.kinds import KINDS
from status_tracker.shipments import get_shipment


@dataclass(frozen=True)
class SubscriptionSpec:
    scope: str
    target_id: int
    kinds: tuple[str, ...] | None = None
    milestones_only: bool = True
    muted: bool = False


def _check_target(session: Session, user: User, scope: str, target_id: int) -> None:
    """A user may subscribe only to what they may see."""
    if scope not in SCOPES:
        raise Invalid("scope", N_("one of {choices}").format(choices=", ".join(SCOPES)))
    try:
        if scope == "item":
            get_visible_item(session, user.company_id, target_id)
        elif scope == "shipment":
            get_shipment(session, user.company_id, target_id)
        elif target_id != user.company_id:
            raise NotFound("no such company")
    except NotFound:
        raise Invalid("target_id", N_("no such {what}").format(what=scope)) from None


def _check_kinds(kinds: tuple[str, ...] | None) -> list[str] | None:
    if kinds is None:
        return None
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise Invalid("kinds", N_("unknown kind {kind}; see /status-kinds").format(kind=repr(unknown[0])))
    return sorted(set(kinds))


def subscribe(session: Session, user: User, spec: SubscriptionSpec) -> tuple[Subscription, bool]:
    """Create the subscription, or update the user's existing one for the same target."""
    _check_target(session, user, spec.scope, spec.target_id)
    kinds = _check_kinds(spec.kinds)
    sub = session.scalar(
        select(Subscription).where(
            Subscription.user_id == user.id,
            Subscription.scope == spec.scope,
            Subscription.target_id == spec.target_id,
        )
    )
    created = sub is None
    if sub is None:
        sub = Subscription(user_id=user.id, scope=spec.scope, target_id=spec.target_id)
        session.add(sub)
    sub.kinds, sub.milestones_only, sub.muted = kinds, spec.milestones_only, spec.muted
    session.flush()
    return sub, created


def list_subscriptions(session: Session, user_id: int) -> list[Subscription]:
    query = select(Subscription).where(Subscription.user_id == user_id).order_by(Subscription.id)
    return list(session.scalars(query))


def get_subscription(session: Session, user_id: int, subscription_id: int) -> Subscription:
    return get_or_not_found(session, Subscription, subscription_id, "subscription",
                            lambda sub: sub.user_id == user_id)


def update_subscription(session: Session, sub: Subscription, **changes: object) -> Subscription:
    if "kinds" in changes:
        kinds = changes["kinds"]
        sub.kinds = _check_kinds(tuple(kinds) if kinds is not None else None)  # type: ignore[arg-type]
    for field in ("milestones_only", "muted"):
        if field in changes:
            setattr(sub, field, changes[field])
    session.flush()
    return sub


def unsubscribe(session: Session, sub: Subscription) -> None:
    session.delete(sub)
    session.flush()
