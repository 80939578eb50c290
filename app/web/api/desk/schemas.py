from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.clearances.schemas import EventSchema, ItemSchema
from app.web.api.common import Schema, stored_text, strict_boolean
from app.web.api.me.schemas import CompanyRefSchema, UserSchema
from app.web.api.stats.schemas import ExpectationSchema
from app.web.api.subscriptions.schemas import SubscriptionSchema
from app.web.language import response_language
from core.i18n import localize
from desk.models import AuditEntry
from desk.service import MAX_NOTE
from notifications.delivery_log import mask_token
from status_tracker.parties import CLAIM_STATES

_reason = stored_text(AuditEntry.reason,
                      metadata={"description": "why: the hotline ticket or the caller's question (audited)"})


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=64),
                      metadata={"description": "any reference or its beginning (entry id, B/L, container, "
                                "transit no., tax bill …), a company's name, credit code or customs code, "
                                "or a user's phone"})
    reason = _reason


class ReasonArgs(Schema):
    reason = _reason


class ReasonBody(Schema):
    reason = _reason


class NoteInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NOTE))
    reason = _reason


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(ItemSchema), required=True)
    companies = fields.List(fields.Nested(CompanyRefSchema), required=True)
    users = fields.List(fields.Nested(UserSchema), required=True)
    hints = fields.Function(lambda result: [localize(hint, response_language()) for hint in result.hints],
                            required=True, metadata={
                                "type": "array", "items": {"type": "string"},
                                "description": "why the search may have found less than expected (e.g. a reference's "
                                               "beginning shorter than 6 characters matches only whole references)"})


class DeskDeviceSchema(Schema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    app_version = fields.String(allow_none=True)
    token = fields.Function(lambda d: mask_token(d.token), required=True,
                            metadata={"type": "string", "description": "masked"})
    active = strict_boolean(required=True)
    created_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)


class DeliveryAttemptSchema(Schema):
    attempted_at = fields.DateTime(required=True)
    outcome = fields.String(required=True, metadata={"description": "sent, retry, dead_token or failed"})
    error_code = fields.String(allow_none=True, metadata={"description": "FCM's error code"})
    fcm_message_id = fields.String(allow_none=True)


class DeskPushSchema(Schema):
    outbox_id = fields.Integer(required=True, attribute="message.id")
    device = fields.Nested(DeskDeviceSchema, required=True)
    state = fields.String(required=True, attribute="message.state",
                          metadata={"description": "pending, held, sent, dead, cancelled or superseded"})
    last_error = fields.String(allow_none=True, attribute="message.last_error")
    digest_count = fields.Integer(allow_none=True, attribute="message.digest_count")
    fcm_message_id = fields.String(allow_none=True, attribute="message.fcm_message_id")
    queued_at = fields.DateTime(required=True, attribute="message.created_at")
    sent_at = fields.DateTime(allow_none=True, attribute="message.sent_at")
    attempts = fields.List(fields.Nested(DeliveryAttemptSchema), required=True)


class DeskNotificationSchema(Schema):
    id = fields.Integer(required=True, attribute="notification.id")
    notification_id = fields.String(required=True, attribute="notification.public_id")
    user = fields.Nested(UserSchema, required=True)
    event_id = fields.Integer(required=True, attribute="notification.event_id")
    title = fields.String(required=True, attribute="notification.title")
    body = fields.String(required=True, attribute="notification.body")
    urgent = strict_boolean(required=True, attribute="notification.urgent")
    created_at = fields.DateTime(required=True, attribute="notification.created_at")
    read_at = fields.DateTime(allow_none=True, attribute="notification.read_at")
    pushes = fields.List(fields.Nested(DeskPushSchema), required=True)


class DeskSubscriptionSchema(SubscriptionSchema):
    user_id = fields.Integer(required=True)


class RecipientSchema(Schema):
    user = fields.Nested(UserSchema, required=True)
    devices = fields.List(fields.Nested(DeskDeviceSchema), required=True)


class CaseNoteSchema(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    author = fields.Nested(UserSchema, required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class DeskClaimSchema(Schema):
    """A trader's claim that a company is a party: it gives nobody anything until the agency confirms it."""

    role = fields.String(required=True, attribute="claim.role")
    company = fields.Nested(CompanyRefSchema, allow_none=True, required=True, attribute="claim.company",
                            metadata={"description": "the company claimed to be a party (null: not registered)"})
    uscc = fields.String(allow_none=True, attribute="claim.uscc")
    claimed_by = fields.Nested(CompanyRefSchema, allow_none=True, required=True, attribute="claimant")
    claimed_at = fields.DateTime(allow_none=True, attribute="claim.claimed_at")
    state = fields.String(required=True, validate=validate.OneOf(CLAIM_STATES))


class RejectedReceiptSchema(Schema):
    id = fields.Integer(required=True)
    agency = fields.String(required=True)
    reference = fields.String(allow_none=True)
    reason = fields.String(required=True, metadata={"description": "why the tracker could not take it"})
    raw = fields.String(required=True, metadata={"description": "the start of the receipt as the agency sent it"})
    first_seen_at = fields.DateTime(required=True)
    last_seen_at = fields.DateTime(required=True)
    times_seen = fields.Integer(required=True)


class LateAlertSchema(Schema):
    stage = fields.String(required=True, metadata={"description": "the stage the item sat in too long"})
    entered_at = fields.DateTime(required=True)
    next_stage = fields.String(required=True, metadata={"description": "the usual next stage it had not reached"})
    p50_seconds = fields.Float(required=True)
    p90_seconds = fields.Float(required=True)
    samples = fields.Integer(required=True)
    customs_office = fields.String(allow_none=True, required=True,
                                   metadata={"description": "whose history was compared; null: the whole kind's"})
    recipients = fields.Integer(required=True, metadata={"description": "users the alert was written for"})
    created_at = fields.DateTime(required=True)


class CaseSchema(Schema):
    item = fields.Nested(ItemSchema, required=True)
    timeline = fields.List(fields.Nested(EventSchema), required=True, attribute="events")
    expected = fields.List(fields.Nested(ExpectationSchema), required=True)
    subscriptions = fields.List(fields.Nested(DeskSubscriptionSchema), required=True)
    notifications = fields.List(fields.Nested(DeskNotificationSchema), required=True)
    recipients = fields.List(fields.Nested(RecipientSchema), required=True)
    notes = fields.List(fields.Nested(CaseNoteSchema), required=True)
    claims = fields.List(fields.Nested(DeskClaimSchema), required=True)
    rejected_receipts = fields.List(
        fields.Nested(RejectedReceiptSchema), required=True, attribute="rejected",
        metadata={"description": "receipts about this item the tracker quarantined (the newest 20): the status "
                  "shown may be missing what they said"})
    late_alerts = fields.List(fields.Nested(LateAlertSchema), required=True, metadata={
        "description": "the 'taking longer than usual' alerts sent about this item, one per stage at most"})


class QueuedSchema(Schema):
    outbox_id = fields.Integer(required=True, attribute="id")
    device_id = fields.Integer(required=True)
    state = fields.String(required=True)


class ResendSchema(Schema):
    notification_id = fields.Integer(required=True)
    queued = fields.List(fields.Nested(QueuedSchema), required=True)
