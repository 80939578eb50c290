from __future__ import annotations

from marshmallow import fields, validate

from app.web.api.common import Schema, stored_text
from core.api_keys import SCOPES, ApiKey


class ApiKeyInSchema(Schema):
    name = stored_text(ApiKey.name, required=True, metadata={"description": "what the key is for, e.g. our ERP"})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)),
                         metadata={"description": f"what the key may do: {', '.join(SCOPES)}"})


class ApiKeySchema(Schema):
    id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    hint = fields.String(required=True, metadata={"description": "the key's first characters, to tell keys apart"})
    active = fields.Boolean(required=True)
    created_by_user_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    rotated_at = fields.DateTime(allow_none=True, required=True)
    last_used_at = fields.DateTime(allow_none=True, required=True,
                                   metadata={"description": "to the minute: uses within a minute are not told apart"})
    revoked_at = fields.DateTime(allow_none=True, required=True)


class ApiKeySecretSchema(ApiKeySchema):
    key = fields.String(required=True, metadata={
        "description": "the key itself, shown this once (only its digest is stored): send it as "
                       "`Authorization: Bearer <key>`"})
