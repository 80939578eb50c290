from __future__ import annotations

from marshmallow import fields, validate

from app.api.common import Schema, strict_boolean
from status_tracker.models import LOCALES


class CompanyRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    customs_code = fields.String(allow_none=True)


class UserSchema(Schema):
    id = fields.Integer(required=True)
    phone = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    company = fields.Nested(CompanyRefSchema, allow_none=True)
    locale = fields.String(required=True)
    time_zone = fields.String(required=True)
    active = strict_boolean(required=True)
    created_at = fields.DateTime(required=True)


class ProfileUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    locale = fields.String(validate=validate.OneOf(LOCALES))
    time_zone = fields.String(validate=validate.Length(min=1, max=64))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
