"""Schemas and helpers shared by several resources."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from app.web.extensions import db
from app.web.smorest import MAX_ID
from core.bounds import EARLIEST, LATEST, storable_moment, text_problem
from core.i18n import N_

MAX_PAGE_SIZE = 100


class Schema(ma.Schema):
    """Base of every request and response schema.

    Whatever the fields, no string that a database cannot store gets past loading: NUL, or a lone
    surrogate (JSON can carry "\\ud800"; UTF-8 cannot), anywhere in the input, in values and in keys.
    """

    @ma.pre_load
    def _refuse_unstorable_text(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        errors = _unstorable(data)
        if errors:
            raise ma.ValidationError(errors)
        return data


def _unstorable(value: Any) -> Any:
    """The errors of the strings in `value` no database can store, shaped as marshmallow shapes errors."""
    if isinstance(value, str):
        problem = text_problem(value)
        return [problem] if problem else None
    if isinstance(value, Mapping):  # a JSON object, or the query string's MultiDict
        errors: dict[Any, Any] = {}
        for key in value:
            if isinstance(key, str) and text_problem(key):
                # The key itself cannot be echoed: name it escaped.
                reason = N_("field name {problem}").format(problem=text_problem(key))
                errors[key.encode("utf-8", "backslashreplace").decode()] = [reason]
            elif found := _unstorable(value[key]):
                errors[key] = found
        return errors or None
    if isinstance(value, list):
        errors = {index: found for index, item in enumerate(value) if (found := _unstorable(item))}
        return errors or None
    return None


def stored_text(column: Any, *, min_length: int = 1, **kwargs: Any) -> fields.String:
    """A string stored as is in `column`: never longer than the column holds (its length is read from the
    model, so the two cannot drift apart)."""
    return fields.String(validate=validate.Length(min=min_length, max=column.type.length), **kwargs)


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


class StorableDateTime(fields.AwareDateTime):
    """A date-time, loaded in UTC; a moment that cannot be shifted to UTC or lies outside the window the
    database and the date arithmetic can hold (core/bounds.py) is refused."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return storable_moment(moment)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


def aware_datetime(**kwargs: Any) -> fields.AwareDateTime:
    """A date-time; one without an offset is read as UTC."""
    metadata = {"description": f"from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d}; without an offset, UTC",
                **kwargs.pop("metadata", {})}
    return StorableDateTime(default_timezone=UTC, metadata=metadata, **kwargs)


def commit() -> None:
    db.session.commit()
