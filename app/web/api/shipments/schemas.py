from __future__ import annotations

from marshmallow import fields

from app.web.api.clearances.schemas import ItemSchema
from app.web.api.common import Schema, stored_text, validate
from status_tracker.models import Shipment


class ShipmentInSchema(Schema):
    bill_of_lading = fields.String(validate=validate.Length(min=1, max=30))
    container_no = fields.String(validate=validate.Length(min=1, max=20),
                                 metadata={"description": "ISO 6346, e.g. CSQU3054383"})
    label = stored_text(Shipment.label)


class ShipmentSchema(Schema):
    id = fields.Integer(required=True)
    bill_of_lading = fields.String(allow_none=True)
    container_no = fields.String(allow_none=True)
    label = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


class ShipmentDetailSchema(ShipmentSchema):
    items = fields.List(fields.Nested(ItemSchema), required=True)
