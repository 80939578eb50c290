from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import Schema, stored_text, strict_boolean
from core.languages import LANGUAGES
from core.models import User


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
    name = stored_text(User.name)
    locale = fields.String(validate=validate.OneOf(LANGUAGES))
    time_zone = stored_text(User.time_zone)
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
