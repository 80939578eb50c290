from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate


class LoginSchema(ma.Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokensSchema(ma.Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String()
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds the access token lives"})
