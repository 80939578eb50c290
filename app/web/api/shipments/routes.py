"""Shipments: my company's consignments and the clearance items under each."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.common import PageArgs, commit
from app.web.api.shipments.schemas import ShipmentDetailSchema, ShipmentInSchema, ShipmentSchema
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.models import TRADING_ROLES
from status_tracker.shipments import create_shipment, get_shipment, list_shipments, shipment_items

blp = Blueprint("shipments", __name__, url_prefix="/shipments", description="Shipments")


@blp.route("")
class Shipments(MethodView):
    @blp.login_required()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ShipmentSchema(many=True))
    def get(self, page):
        """List my company's shipments, newest first"""
        return list_shipments(db.session, current_user.company_id, **page)

    @blp.login_required(*TRADING_ROLES)
    @blp.idempotent
    @blp.arguments(ShipmentInSchema)
    @blp.response(201, ShipmentSchema)
    @blp.alt_response(200, schema=ShipmentSchema, description="My company already has this shipment")
    def post(self, data):
        """Create a shipment by bill of lading or container number"""
        shipment, created = create_shipment(db.session, current_user.company_id, **data)
        commit()
        return shipment, 201 if created else 200


@blp.route("/<id:shipment_id>")
class ShipmentById(MethodView):
    @blp.login_required()
    @blp.response(200, ShipmentDetailSchema)
    def get(self, shipment_id):
        """Show a shipment with its clearance items"""
        shipment = get_shipment(db.session, current_user.company_id, shipment_id)
        fields = {name: getattr(shipment, name) for name in ShipmentSchema().fields}
        return {**fields, "items": shipment_items(db.session, current_user.company_id, shipment)}
