from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import MAX_PAGE_SIZE, Schema, aware_datetime, object_id
from app.web.api.me.schemas import UserSchema
from desk.service import ACTIONS


class AuditArgs(Schema):
    actor_id = object_id()
    action = fields.String(validate=validate.OneOf(ACTIONS))
    target_type = fields.String(validate=validate.OneOf(("item", "notification")))
    target_id = object_id()
    since = aware_datetime()
    until = aware_datetime()
    before = object_id(metadata={"description": "entries older than this id"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.Nested(UserSchema, required=True)
    action = fields.String(required=True)
    target_type = fields.String(allow_none=True, required=True)
    target_id = fields.Integer(allow_none=True, required=True)
    query = fields.String(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    details = fields.Dict(allow_none=True, required=True)
