"""Schemas and helpers shared by several resources."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from app.extensions import db
from app.smorest import MAX_ID

MAX_PAGE_SIZE = 100


class Schema(ma.Schema):
    """Base of every request and response schema."""

    @ma.pre_load
    def _refuse_nul_characters(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        # No database stores U+0000 in text (PostgreSQL refuses it): name the field instead of failing later.
        if isinstance(data, Mapping):  # a JSON object, or the query string's MultiDict
            bad = {key: ["must not contain NUL (U+0000) characters"] for key, value in data.items()
                   if isinstance(value, str) and "\x00" in value}
            if bad:
                raise ma.ValidationError(bad)
        return data


def object_id(*, minimum: int = 1, **kwargs: object) -> fields.Integer:
    """An id (or id cursor) in a query or body: within BIGINT, so an absurd one is a clear 422, not a
    database overflow."""
    return fields.Integer(validate=validate.Range(min=minimum, max=MAX_ID), **kwargs)  # type: ignore[arg-type]


class PageArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 0, 1, "yes" … are refused rather than guessed."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def strict_boolean(**kwargs: object) -> fields.Boolean:
    return StrictBoolean(**kwargs)  # type: ignore[arg-type]


def aware_datetime(**kwargs: object) -> fields.AwareDateTime:
    """A date-time; one without an offset is read as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)  # type: ignore[arg-type]


def commit() -> None:
    db.session.commit()
