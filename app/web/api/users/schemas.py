from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import Schema, object_id, stored_text, strict_boolean
from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from core.models import ROLES, Role, User


class UserInSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = stored_text(User.name, required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(load_default=Role.TRADER.value, validate=validate.OneOf(ROLES))
    company_id = object_id(allow_none=True)
    locale = fields.String(load_default=DEFAULT_LANGUAGE, validate=validate.OneOf(LANGUAGES))
    time_zone = stored_text(User.time_zone, load_default="Asia/Shanghai")


class UserUpdateSchema(Schema):
    name = stored_text(User.name)
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    company_id = object_id(allow_none=True)
    locale = fields.String(validate=validate.OneOf(LANGUAGES))
    time_zone = stored_text(User.time_zone)
    active = strict_boolean()
