from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError, fields, post_load, validate

from app.web.api.clearances.schemas import kind_name, stage_label
from app.web.api.common import Schema, aware_datetime
from core.db import utcnow
from core.i18n import N_
from core.identifiers import CUSTOMS_OFFICE, CUSTOMS_OFFICE_RULE
from status_tracker.kinds import KINDS

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD = timedelta(days=30)
OFFICE = validate.Regexp(CUSTOMS_OFFICE, error=CUSTOMS_OFFICE_RULE)


class ClearanceTimesArgs(Schema):
    kind = fields.String(validate=validate.OneOf(list(KINDS)))
    customs_office = fields.String(validate=OFFICE,
                                   metadata={"description": "customs office (关区) / port code, 4 digits"})
    since = aware_datetime(metadata={"description": "start of the period (default: 30 days before `until`)"})
    until = aware_datetime(metadata={"description": "end of the period, exclusive (default: now)"})

    @post_load
    def _period(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        until = data.get("until") or utcnow()
        since = data.get("since") or until - DEFAULT_PERIOD
        if since >= until:
            raise ValidationError("must be before until", "since")
        if until - since > timedelta(days=MAX_PERIOD_DAYS):
            raise ValidationError(N_("the period may span at most {n} days").format(n=MAX_PERIOD_DAYS), "since")
        return {**data, "since": since, "until": until}


class TransitionSchema(Schema):
    kind = fields.String(required=True)
    kind_name = fields.Function(lambda t: kind_name(t.kind), metadata={"type": "string"})
    from_stage = fields.String(required=True)
    from_stage_label = fields.Function(lambda t: stage_label(t.from_stage), metadata={"type": "string"})
    to_stage = fields.String(required=True)
    to_stage_label = fields.Function(lambda t: stage_label(t.to_stage), metadata={"type": "string"})
    samples = fields.Integer(required=True, metadata={"description": "items that made this step in the period"})
    p50_seconds = fields.Float(required=True)
    p90_seconds = fields.Float(required=True)


class MinimumSchema(Schema):
    items = fields.Integer(required=True, metadata={"description": "items a figure aggregates at least"})
    companies = fields.Integer(required=True, metadata={"description": "companies those items come from at least"})


class ClearanceTimesSchema(Schema):
    since = fields.DateTime(required=True)
    until = fields.DateTime(required=True)
    kind = fields.String(allow_none=True, required=True)
    customs_office = fields.String(allow_none=True, required=True)
    transitions = fields.List(fields.Nested(TransitionSchema), required=True)
    minimum = fields.Nested(MinimumSchema, required=True, metadata={
        "description": "only transitions that aggregate at least this much are shown"})


class ExpectationSchema(Schema):
    stage = fields.String(required=True, metadata={"description": "released or completed"})
    stage_label = fields.Function(lambda e: stage_label(e.stage), metadata={"type": "string"})
    from_stage = fields.String(required=True)
    entered_at = fields.DateTime(required=True, metadata={"description": "when the item entered from_stage"})
    p50_at = fields.DateTime(required=True, metadata={"description": "half of comparable items got there by"})
    p90_at = fields.DateTime(required=True, metadata={"description": "nine in ten got there by"})
    samples = fields.Integer(required=True)
    customs_office = fields.String(allow_none=True, required=True,
                                   metadata={"description": "statistics of this office; null: of the whole kind"})


class EstimateSchema(Schema):
    item_id = fields.Integer(required=True)
    stage = fields.String(allow_none=True, required=True)
    awaiting = fields.List(fields.String(), required=True,
                           metadata={"description": "the goals still ahead (released, completed); empty once over"})
    expected = fields.List(fields.Nested(ExpectationSchema), required=True,
                           metadata={"description": "per goal ahead, when there is enough history for it"})
