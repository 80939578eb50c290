from __future__ import annotations

from marshmallow import fields, validate

from app.api.common import Schema, object_id, strict_boolean
from status_tracker.models import LOCALES, ROLES


class UserInSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(load_default="trader", validate=validate.OneOf(ROLES))
    company_id = object_id(allow_none=True)
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(LOCALES))
    time_zone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(min=1, max=64))


class UserUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    company_id = object_id(allow_none=True)
    locale = fields.String(validate=validate.OneOf(LOCALES))
    time_zone = fields.String(validate=validate.Length(min=1, max=64))
    active = strict_boolean()
