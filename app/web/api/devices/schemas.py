from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import Schema, stored_text, strict_boolean
from notifications.models import PLATFORMS, Device


class DeviceInSchema(Schema):
    token = stored_text(Device.token, required=True, metadata={"description": "the FCM registration token"})
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = stored_text(Device.app_version)


class DeviceSchema(Schema):
    id = fields.Integer(required=True)
    token = fields.String(required=True)
    platform = fields.String(required=True)
    app_version = fields.String(allow_none=True)
    active = strict_boolean(required=True)
    created_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)
