from __future__ import annotations

from marshmallow import fields

from app.web.api.common import Schema, stored_text, validate
from core.models import Company


class CompanyInSchema(Schema):
    name = stored_text(Company.name, required=True)
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=30),
                         metadata={"description": "18-character unified social credit code"})
    customs_code = fields.String(validate=validate.Length(min=1, max=20),
                                 metadata={"description": "10-character customs registration code"})


class CompanyUpdateSchema(Schema):
    name = stored_text(Company.name)
    customs_code = fields.String(allow_none=True, validate=validate.Length(min=1, max=20))


class CompanySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    customs_code = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
