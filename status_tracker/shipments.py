"""Shipments: a company's consignments, each grouping clearance items under a B/L or container number."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_not_found
from core.errors import Invalid
from core.identifiers import InvalidIdentifier, validate_bill_of_lading, validate_container_no
from status_tracker.clearances import is_party
from status_tracker.models import ClearanceItem, Shipment


def create_shipment(
    session: Session,
    company_id: int,
    *,
    bill_of_lading: str | None = None,
    container_no: str | None = None,
    label: str | None = None,
) -> tuple[Shipment, bool]:
    """Create the shipment, or return the company's existing one with the same B/L or container number."""
    if not bill_of_lading and not container_no:
        raise Invalid("bill_of_lading", "give a bill of lading number or a container number")
    try:
        bol = validate_bill_of_lading(bill_of_lading) if bill_of_lading else None
    except InvalidIdentifier as exc:
        raise Invalid("bill_of_lading", exc.reason) from None
    try:
        container = validate_container_no(container_no) if container_no else None
    except InvalidIdentifier as exc:
        raise Invalid("container_no", exc.reason) from None

    mine = select(Shipment).where(Shipment.owner_company_id == company_id)
    for column, value in ((Shipment.bill_of_lading, bol), (Shipment.container_no, container)):
        if value is not None:
            existing = session.scalar(mine.where(column == value))
            if existing is not None:
                return existing, False
    shipment = Shipment(owner_company_id=company_id, bill_of_lading=bol, container_no=container, label=label)
    session.add(shipment)
    session.flush()
    return shipment, True


def list_shipments(session: Session, company_id: int | None, *, limit: int, offset: int) -> list[Shipment]:
    query = (
        select(Shipment)
        .where(Shipment.owner_company_id == company_id)
        .order_by(Shipment.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def get_shipment(session: Session, company_id: int | None, shipment_id: int) -> Shipment:
    return get_or_not_found(session, Shipment, shipment_id, "shipment",
                            lambda shipment: shipment.owner_company_id == company_id)


def shipment_items(session: Session, company_id: int | None, shipment: Shipment) -> list[ClearanceItem]:
    """The shipment's items that the company is a party to."""
    query = (
        select(ClearanceItem)
        .where(ClearanceItem.shipment_id == shipment.id, is_party(company_id))
        .order_by(ClearanceItem.id)
    )
    return list(session.scalars(query))
