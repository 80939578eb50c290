from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import Schema
from status_tracker.kinds import KINDS
from status_tracker.stages import Stage

MAX_FEED_PAGE = 500


class FeedArgs(Schema):
    after = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "next_cursor of the previous page; without it, from the oldest event kept (30 days at least)"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_FEED_PAGE))


class ChangeDataSchema(Schema):
    event_id = fields.Integer(required=True, metadata={
        "description": "the change's id: the same in push data (event_id), the inbox and webhooks"})
    item_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    reference = fields.String(required=True)
    native_code = fields.String(required=True, metadata={"description": "the agency's code exactly as sent"})
    stage = fields.String(required=True, allow_none=True, validate=validate.OneOf([s.value for s in Stage]),
                          metadata={"description": "null when the agency sent a code not known yet"})
    milestone = fields.Boolean(required=True)
    note = fields.String(required=True, allow_none=True)
    agency_time = fields.String(required=True, metadata={"format": "date-time"})  # stored as sent in the webhook


class FeedEventSchema(Schema):
    id = fields.String(required=True, metadata={"description": "evt_<event_id>: the webhook-id of the same change"})
    type = fields.String(required=True, metadata={"description": "clearance.status_changed"})
    timestamp = fields.String(required=True, metadata={"format": "date-time",
                                                       "description": "when we recorded the change"})
    data = fields.Nested(ChangeDataSchema, required=True)


class FeedPageSchema(Schema):
    events = fields.List(fields.Nested(FeedEventSchema), required=True)
    next_cursor = fields.String(required=True, metadata={
        "description": "ask with after=<this> next; the same cursor comes back (with no events) when caught up"})
