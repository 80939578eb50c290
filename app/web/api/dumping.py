"""Dumping through the schemas at plain-Python speed: a serializer compiled once from a schema's declared fields
gives exactly what marshmallow's dump() gives (tests/api/test_read_path.py compares them), at a fraction of the
cost. The schemas stay the contract, and the OpenAPI document is still made from them. Field types without a fast
path here are dumped by marshmallow's own field.serialize()."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

Getter = Callable[[Any], Any]

_PLAIN: dict[type, Callable[[Any], Any]] = {
    fields.String: str,
    fields.Integer: int,
    fields.Boolean: lambda value: value,  # marshmallow dumps a boolean as it finds it
}


def _read(obj: Any, attr: str) -> Any:
    return obj.get(attr, missing) if isinstance(obj, dict) else getattr(obj, attr, missing)


def _getter(field: fields.Field, attr: str) -> Getter:
    if field.dump_default is not missing:
        return lambda obj: field.serialize(attr, obj)
    if isinstance(field, fields.Function) and field.serialize_func is not None:
        function = field.serialize_func
        return function  # type: ignore[return-value]
    if isinstance(field, fields.Nested) and not field.many and not field.only and not field.exclude:
        inner = compiled(type(field.schema))

        def nested(obj: Any) -> Any:
            value = _read(obj, attr)
            return value if value is None or value is missing else inner(value)
        return nested
    if (isinstance(field, fields.List) and isinstance(field.inner, fields.Nested)
            and not field.inner.only and not field.inner.exclude):
        item = compiled(type(field.inner.schema))

        def listed(obj: Any) -> Any:
            value = _read(obj, attr)
            return value if value is None or value is missing else [item(v) for v in value]
        return listed
    convert = next((c for kind, c in _PLAIN.items() if isinstance(field, kind)), None)
    if isinstance(field, fields.DateTime) and (field.format or "iso") == "iso" and type(field).__name__ in (
            "DateTime", "AwareDateTime", "StorableDateTime"):
        convert = _isoformat
    if convert is not None and type(field)._serialize in (fields.String._serialize, fields.Integer._serialize,
                                                          fields.Boolean._serialize, fields.DateTime._serialize):
        def plain(obj: Any) -> Any:
            value = _read(obj, attr)
            return value if value is None or value is missing else convert(value)
        return plain
    return lambda obj: field.serialize(attr, obj)


def _isoformat(value: Any) -> str:
    return value.isoformat()


@cache
def compiled(schema_class: type[ma.Schema]) -> Callable[[Any], dict[str, Any]]:
    """One object through the schema class's declared fields, as its dump() would give it."""
    schema = schema_class()
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return schema.dump
    steps = [(field.data_key or name, _getter(field, field.attribute or name))
             for name, field in schema.dump_fields.items()]

    def dump(obj: Any) -> dict[str, Any]:
        out = {}
        for key, get in steps:
            value = get(obj)
            if value is not missing:
                out[key] = value
        return out
    return dump


class FastDump(ma.Schema):
    """A schema whose dump() runs its compiled serializer (same output, see above) when dumped whole."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if self.only or self.exclude:
            return super().dump(obj, many=many)
        dumper = compiled(type(self))
        return [dumper(o) for o in obj] if (self.many if many is None else many) else dumper(obj)
