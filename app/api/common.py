"""Schemas and helpers shared by several resources."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from app.extensions import db

MAX_PAGE_SIZE = 100


class PageArgs(ma.Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


def aware_datetime(**kwargs: object) -> fields.AwareDateTime:
    """A date-time; one without an offset is read as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)  # type: ignore[arg-type]


def commit() -> None:
    db.session.commit()
