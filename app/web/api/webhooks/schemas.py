from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import MAX_PAGE_SIZE, Schema, aware_datetime, object_id, stored_text, strict_boolean
from notifications.webhooks import DELIVERY_STATES, WebhookEndpoint
from status_tracker.kinds import KINDS
from status_tracker.stages import Stage

_KINDS = fields.List(fields.String(validate=validate.OneOf(list(KINDS))), allow_none=True,
                     validate=validate.Length(min=1, max=len(KINDS)),
                     metadata={"description": "only these kinds; null or absent: every kind"})
_STAGES = fields.List(fields.String(validate=validate.OneOf([s.value for s in Stage])), allow_none=True,
                      validate=validate.Length(min=1, max=len(Stage)),
                      metadata={"description": "only changes to these stages; null or absent: every stage"})


class EndpointInSchema(Schema):
    url = stored_text(WebhookEndpoint.url, required=True, metadata={
        "description": "http(s) only; in production no loopback, link-local or private address"})
    description = stored_text(WebhookEndpoint.description, allow_none=True, min_length=0)
    kinds = _KINDS
    stages = _STAGES
    milestones_only = strict_boolean(load_default=False)


class EndpointUpdateSchema(Schema):
    url = stored_text(WebhookEndpoint.url)
    description = stored_text(WebhookEndpoint.description, allow_none=True, min_length=0)
    kinds = _KINDS
    stages = _STAGES
    milestones_only = strict_boolean()
    active = strict_boolean(metadata={"description": "true enables it again: what waited is sent"})


class EndpointSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    kinds = fields.List(fields.String(), allow_none=True, required=True)
    stages = fields.List(fields.String(), allow_none=True, required=True)
    milestones_only = fields.Boolean(required=True)
    active = fields.Boolean(required=True)
    disabled_reason = fields.String(allow_none=True, required=True)
    disabled_at = fields.DateTime(allow_none=True, required=True)
    failing_since = fields.DateTime(allow_none=True, required=True,
                                    metadata={"description": "since when every try failed; a day of it disables"})
    previous_until = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "after a rotation, the previous secret also signs until then"})
    created_at = fields.DateTime(required=True)


class EndpointSecretSchema(EndpointSchema):
    secret = fields.String(required=True, metadata={
        "description": "the signing secret (whsec_…), shown this once: verify webhook-signature with it"})


class RotateSchema(Schema):
    overlap_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0, max=168), metadata={
        "description": "how long the old secret keeps signing beside the new one"})


class DeliveryArgs(Schema):
    state = fields.String(validate=validate.OneOf(DELIVERY_STATES))
    before = object_id(metadata={"description": "older than this delivery id (the previous page's last)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class AttemptSchema(Schema):
    attempted_at = fields.DateTime(required=True)
    outcome = fields.String(required=True, metadata={"description": "delivered, retry, gone"})
    status_code = fields.Integer(allow_none=True, required=True)
    latency_ms = fields.Integer(required=True)
    error = fields.String(allow_none=True, required=True)
    response_snippet = fields.String(allow_none=True, required=True, metadata={
        "description": "the first 500 characters of the answer"})


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    message_id = fields.String(required=True, metadata={"description": "the webhook-id header"})
    event_type = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": ", ".join(DELIVERY_STATES)})
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True)
    last_status = fields.Integer(allow_none=True, required=True)
    last_error = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(allow_none=True, required=True)
    tries = fields.List(fields.Nested(AttemptSchema), required=True)


class DeliveryPageSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)


class ReplayArgs(Schema):
    since = aware_datetime(required=True, metadata={"description": "every delivery queued at or after this"})


class ReplayedSchema(Schema):
    replayed = fields.Integer(required=True)


class TestSentSchema(Schema):
    delivery_id = fields.Integer(required=True)
    message_id = fields.String(required=True)
