from __future__ import annotations

from marshmallow import fields

from app.web.api.common import Schema, strict_boolean


class CodeSchema(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    stage = fields.String(required=True)
    stage_label = fields.String(required=True)
    milestone = strict_boolean(required=True)
    terminal = strict_boolean(required=True)


class AgencySchema(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    style = fields.String(required=True)


class ReferenceFormatSchema(Schema):
    name = fields.String(required=True)
    pattern = fields.String(required=True)
    example = fields.String(required=True)


class KindSchema(Schema):
    key = fields.String(required=True)
    number = fields.Integer(required=True)
    name = fields.String(required=True)
    agency = fields.Nested(AgencySchema, required=True)
    reference = fields.Nested(ReferenceFormatSchema, required=True)
    modelled = strict_boolean(required=True, metadata={"description": "the code list is our model, not published"})
    codes = fields.List(fields.Nested(CodeSchema), required=True)
