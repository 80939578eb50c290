from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import MAX_PAGE_SIZE, PageArgs, Schema, aware_datetime, object_id, stored_text, strict_boolean
from app.web.api.dumping import FastDump
from app.web.api.me.schemas import CompanyRefSchema
from app.web.language import response_language
from core.identifiers import CUSTOMS_OFFICE, CUSTOMS_OFFICE_RULE
from status_tracker import kinds, stages
from status_tracker.kinds import KINDS
from status_tracker.models import PARTY_ROLES, ClearanceItem
from status_tracker.parties import CLAIM_STATES
from status_tracker.stages import Stage


def stage_label(stage: str | None) -> str | None:
    return stages.stage_label(stage, response_language())


def code_label(kind: str, code: str | None) -> str | None:
    return kinds.code_label(kind, code, response_language())


def kind_name(kind: str) -> str:
    return kinds.kind_name(kind, response_language())


class PartyInSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(PARTY_ROLES))
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=30),
                         metadata={"description": "the company's unified social credit code"})


class TrackSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    reference = stored_text(ClearanceItem.reference, required=True)
    my_role = fields.String(load_default="declarant", validate=validate.OneOf(PARTY_ROLES),
                            metadata={"description": "the role my company claims; the agency's data decides"})
    parties = fields.List(fields.Nested(PartyInSchema), load_default=list, validate=validate.Length(max=3),
                          metadata={"description": "other companies' roles as I know them: claims that give "
                                                   "those companies nothing until the agency confirms them"})
    shipment_id = object_id(allow_none=True)
    customs_office = fields.String(
        validate=validate.Regexp(CUSTOMS_OFFICE, error=CUSTOMS_OFFICE_RULE),
        metadata={"description": "the customs office (关区) handling it; read from the reference where it carries one"},
    )


class PartySchema(Schema):
    """A party the agency confirms."""

    role = fields.String(required=True)
    company = fields.Nested(CompanyRefSchema, required=True, allow_none=True,
                            metadata={"description": "null while no company with its codes is registered with us"})
    uscc = fields.String(allow_none=True, metadata={"description": "credit code as the agency gave it"})
    customs_code = fields.String(allow_none=True, metadata={"description": "customs code as the agency gave it"})
    confirmed_at = fields.DateTime(allow_none=True, metadata={"description": "since when the agency names it"})


class ClaimSchema(Schema):
    """My company's claim to be a party to an item: nothing of the item's status until the agency confirms it."""

    state = fields.String(required=True, validate=validate.OneOf(CLAIM_STATES), metadata={"description": (
        "pending_confirmation: the agency has not reported the item's parties since the claim; confirmed: the "
        "agency names my company (item_id is then the item to read); not_confirmed: the agency's parties, "
        "reported since the claim, do not include my company (tracking again asks once more)")})
    kind = fields.String(required=True)
    reference = fields.String(required=True)
    role = fields.String(required=True, metadata={"description": "the role claimed"})
    claimed_at = fields.DateTime(required=True)
    item_id = fields.Integer(allow_none=True, required=True, metadata={"description": "null until confirmed"})


class ClaimListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(CLAIM_STATES))


class ClaimListSchema(Schema):
    claims = fields.List(fields.Nested(ClaimSchema), required=True)


class ItemSchema(FastDump, Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    kind_name = fields.Function(lambda item: kind_name(item.kind), metadata={"type": "string"})
    reference = fields.String(required=True)
    shipment_id = fields.Integer(allow_none=True)
    customs_office = fields.String(allow_none=True, metadata={"description": "customs office (关区) code"})
    current_code = fields.String(allow_none=True, metadata={"description": "native code as the agency sent it"})
    status_label = fields.Function(lambda item: code_label(item.kind, item.current_code),
                                   allow_none=True, metadata={"type": "string", "nullable": True})
    stage = fields.String(allow_none=True)
    stage_label = fields.Function(lambda item: stage_label(item.stage), allow_none=True,
                                  metadata={"type": "string", "nullable": True})
    unknown_code = strict_boolean(required=True, metadata={"description": "the agency sent a code we do not know"})
    agency_note = fields.String(allow_none=True)
    agency_updated_at = fields.DateTime(allow_none=True)
    parties = fields.List(fields.Nested(PartySchema), required=True,
                          metadata={"description": "the parties the agency confirms (claims are not shown)"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ItemListArgs(Schema):
    kind = fields.String(validate=validate.OneOf(list(KINDS)))
    stage = fields.String(validate=validate.OneOf([s.value for s in Stage]))
    updated_since = aware_datetime()
    text = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "part of the reference or of the agency's note"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "next_cursor of the previous page"})


class ItemPageSchema(FastDump, Schema):
    items = fields.List(fields.Nested(ItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "null on the last page"})


class EventSchema(FastDump, Schema):
    id = fields.Integer(required=True)
    native_code = fields.String(required=True)
    label = fields.Function(lambda event: code_label(event.item.kind, event.native_code), allow_none=True,
                            metadata={"type": "string", "nullable": True})
    stage = fields.String(allow_none=True)
    stage_label = fields.Function(lambda event: stage_label(event.stage), allow_none=True,
                                  metadata={"type": "string", "nullable": True})
    milestone = strict_boolean(required=True)
    note = fields.String(allow_none=True)
    agency_time = fields.DateTime(required=True)
    received_at = fields.DateTime(required=True)


class TimelineSchema(FastDump, Schema):
    item_id = fields.Integer(required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)


def _plain(schema: type[Schema]) -> tuple[str, ...]:
    """The schema's fields read straight off the object (the others are computed from these or nested)."""
    return tuple(name for name, field in schema._declared_fields.items()
                 if not isinstance(field, fields.Function | fields.Nested | fields.List))


_ITEM_FIELDS, _EVENT_FIELDS = _plain(ItemSchema), _plain(EventSchema)


def item_version(item: ClearanceItem) -> tuple:
    """Everything ItemSchema shows of the item, as plain values: its ETag (computed labels follow from these and
    the response language)."""
    return (
        tuple(getattr(item, name) for name in _ITEM_FIELDS),
        tuple((p.role, p.uscc, p.customs_code, p.confirmed_at,
               p.company and (p.company.id, p.company.name, p.company.uscc, p.company.customs_code))
              for p in item.parties),
    )


def timeline_version(item: ClearanceItem, events: list) -> tuple:
    return item.id, item.kind, tuple(tuple(getattr(e, name) for name in _EVENT_FIELDS) for e in events)


MAX_BATCH = 1000


class BatchSchema(Schema):
    entries = fields.List(
        # Any object (its fields are checked entry by entry, each answered on its own); not an object: 422.
        fields.Dict(metadata={"description": "as the body of POST /clearances"}),
        required=True, validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"up to {MAX_BATCH} items to track; each is checked on its own"})


class BatchOutcomeSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "the entry's position in the request"})
    status = fields.String(required=True, validate=validate.OneOf(("created", "already_tracked", "invalid")),
                           metadata={"description": (
                               "created: my company's claim is recorded now; already_tracked: my company sees "
                               "the item (item_id) or claimed it before; invalid: see errors")})
    kind = fields.String(allow_none=True, required=True)
    reference = fields.String(allow_none=True, required=True, metadata={"description": "as stored (normalised)"})
    item_id = fields.Integer(allow_none=True, required=True,
                             metadata={"description": "only when the agency names my company a party"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), allow_none=True, required=True)


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(BatchOutcomeSchema), required=True)
    created = fields.Integer(required=True)
    already_tracked = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
