from __future__ import annotations

from marshmallow import fields, validate

from app.api.common import Schema, strict_boolean
from notifications.models import MAX_TOKEN_LENGTH, PLATFORMS


class DeviceInSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TOKEN_LENGTH),
                          metadata={"description": "the FCM registration token"})
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.String(validate=validate.Length(min=1, max=40))


class DeviceSchema(Schema):
    id = fields.Integer(required=True)
    token = fields.String(required=True)
    platform = fields.String(required=True)
    app_version = fields.String(allow_none=True)
    active = strict_boolean(required=True)
    created_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)
