from __future__ import annotations

from marshmallow import fields

from app.web.api.common import Schema, validate


class LoginSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokensSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String()
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds the access token lives"})
