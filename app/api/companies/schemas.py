from __future__ import annotations

from marshmallow import fields

from app.api.common import Schema, validate


class CompanyInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=30),
                         metadata={"description": "18-character unified social credit code"})
    customs_code = fields.String(validate=validate.Length(min=1, max=20),
                                 metadata={"description": "10-character customs registration code"})


class CompanyUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    customs_code = fields.String(allow_none=True, validate=validate.Length(min=1, max=20))


class CompanySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    customs_code = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
