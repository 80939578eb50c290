from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import Schema, object_id, strict_boolean
from notifications.models import SCOPES
from status_tracker.kinds import KINDS

_kinds = fields.List(
    fields.String(validate=validate.OneOf(list(KINDS))),
    allow_none=True,
    validate=validate.Length(min=1, max=len(KINDS)),
    metadata={"description": "only these kinds; null for all"},
)


class SubscriptionInSchema(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    target_id = object_id(required=True,
                               metadata={"description": "the item, shipment or company id, by scope"})
    kinds = _kinds
    milestones_only = strict_boolean(load_default=True)
    muted = strict_boolean(load_default=False, metadata={"description": "no pushes at all for this target"})


class SubscriptionUpdateSchema(Schema):
    kinds = _kinds
    milestones_only = strict_boolean()
    muted = strict_boolean()


class SubscriptionSchema(Schema):
    id = fields.Integer(required=True)
    scope = fields.String(required=True)
    target_id = fields.Integer(required=True)
    kinds = fields.List(fields.String(), allow_none=True, required=True)
    milestones_only = strict_boolean(required=True)
    muted = strict_boolean(required=True)
    created_at = fields.DateTime(required=True)
