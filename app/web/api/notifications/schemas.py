from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import MAX_PAGE_SIZE, Schema, object_id
from app.web.api.dumping import FastDump

_CLOCK = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="a time of day as HH:MM, e.g. 22:00")


class InboxArgs(Schema):
    after = object_id(minimum=0, metadata={"description": "catch up after this id"})
    before = object_id(metadata={"description": "older than this id"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class NotificationSchema(FastDump, Schema):
    id = fields.Integer(required=True, metadata={"description": "the inbox cursor"})
    notification_id = fields.String(required=True, attribute="public_id",
                                    metadata={"description": "the id the push carried"})
    item_id = fields.Integer(required=True, allow_none=True,
                             metadata={"description": "the item whose status changed; null for a notice (a port "
                                                      "charge's new price, a webhook disabled)"})
    topic = fields.String(required=True, allow_none=True,
                          metadata={"description": "what a notice is about (e.g. charge-12-THC-40); null for a "
                                                   "status change"})
    title = fields.String(required=True)
    body = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    data = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True, required=True)


class InboxSchema(FastDump, Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True)


class UnreadSchema(Schema):
    unread = fields.Integer(required=True)


class SettingsSchema(Schema):
    quiet_start = fields.String(allow_none=True, required=True, validate=_CLOCK)
    quiet_end = fields.String(allow_none=True, required=True, validate=_CLOCK)
