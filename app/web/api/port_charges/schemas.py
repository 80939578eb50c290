from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from app.web.api.common import MAX_PAGE_SIZE, Schema, object_id, stored_text
from port_charges.models import (
    CURRENCIES,
    ENTERPRISE_KINDS,
    FEE_CATEGORIES,
    MAX_PRICE,
    PRICE_PLACES,
    UNITS,
    ChargingEnterprise,
    FeeVersion,
    Port,
)
from port_charges.publishing import CODE, CODE_RULE

_code = {"validate": validate.Regexp(CODE, error=CODE_RULE),
         "metadata": {"description": "the fee item's code, the same at every enterprise, e.g. THC-40"}}
_price_doc = {"description": f"a decimal from 0 to {MAX_PRICE} with at most {PRICE_PLACES} places, best sent as "
                            "a string",
              "example": "850.00"}


class _Date(fields.Date):
    """A calendar date from 1970 to 2199 (what a catalogue can hold)."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        day = super()._deserialize(value, attr, data, **kwargs)
        if not 1970 <= day.year < 2200:
            raise ma.ValidationError("a date from 1970 to 2199")
        return day


def _price(price: Decimal) -> None:
    # Not validate.Range: the OpenAPI document would carry its bounds as Decimals, which JSON cannot.
    if not 0 <= price <= MAX_PRICE:
        raise ma.ValidationError(f"from 0 to {MAX_PRICE}")
    if price != price.quantize(Decimal(1).scaleb(-PRICE_PLACES)):
        raise ma.ValidationError(f"at most {PRICE_PLACES} decimal places")


class PageArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = fields.String(validate=validate.Length(min=1, max=400),
                           metadata={"description": "next_cursor of the previous page"})


class OnArgs(PageArgs):
    on = _Date(metadata={"description": "the date the prices are asked for (YYYY-MM-DD); default today (UTC)"})


class CompareArgs(OnArgs):
    code = fields.String(required=True, **_code)


class HistoryArgs(PageArgs):
    code = fields.String(**_code)


class SearchArgs(OnArgs):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100),
                      metadata={"description": "part of a fee item's Chinese or English name (any case)"})
    port_id = object_id()


class PortInSchema(Schema):
    customs_office = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}$",
                                   error="a customs office code is 4 digits, e.g. 2248"))
    locode = fields.String(validate=validate.Regexp(r"^[A-Z]{2}[A-Z2-9]{3}$", error="a UN/LOCODE, e.g. CNSHA"))
    name_zh = stored_text(Port.name_zh, required=True)
    name_en = stored_text(Port.name_en, required=True)


class PortSchema(Schema):
    id = fields.Integer(required=True)
    customs_office = fields.String(required=True, metadata={"description": "关区代码"})
    locode = fields.String(required=True, allow_none=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


class PortPageSchema(Schema):
    items = fields.List(fields.Nested(PortSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class EnterpriseInSchema(Schema):
    name_zh = stored_text(ChargingEnterprise.name_zh, required=True)
    name_en = stored_text(ChargingEnterprise.name_en)
    kind = fields.String(load_default="terminal", validate=validate.OneOf(ENTERPRISE_KINDS))
    company_id = object_id(allow_none=True, metadata={
        "description": "the registered company whose port_enterprise users publish this catalogue"})


class EnterpriseSchema(Schema):
    id = fields.Integer(required=True)
    port_id = fields.Integer(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True)


class EnterprisePageSchema(Schema):
    items = fields.List(fields.Nested(EnterpriseSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class FeeItemSchema(Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    unit = fields.String(required=True)
    enterprises = fields.Integer(required=True, metadata={"description": "how many of the port's enterprises list it"})


class FeeItemPageSchema(Schema):
    items = fields.List(fields.Nested(FeeItemSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class FeeEntrySchema(Schema):
    code = fields.String(required=True, **_code)
    name_zh = stored_text(FeeVersion.name_zh, required=True)
    name_en = stored_text(FeeVersion.name_en, required=True)
    category = fields.String(required=True, validate=validate.OneOf(FEE_CATEGORIES))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    price = fields.Decimal(required=True, allow_nan=False, metadata=_price_doc,
                           validate=_price)
    currency = fields.String(load_default="CNY", validate=validate.OneOf(CURRENCIES))
    basis = stored_text(FeeVersion.basis, allow_none=True,
                        metadata={"description": "the rule or filing the price rests on"})
    effective_from = _Date(required=True)
    effective_to = _Date(allow_none=True, metadata={"description": "the first day it no longer applies"})


class PublishSchema(Schema):
    entries = fields.List(fields.Nested(FeeEntrySchema), required=True, validate=validate.Length(min=1, max=500),
                          metadata={"description": "the items that change; items not listed stay as they are"})


class FeeVersionSchema(Schema):
    id = fields.Integer(required=True)
    enterprise_id = fields.Integer(required=True)
    enterprise_name_zh = fields.String(required=True, attribute="enterprise.name_zh")
    enterprise_name_en = fields.String(required=True, allow_none=True, attribute="enterprise.name_en")
    port_id = fields.Integer(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    category = fields.String(required=True)
    unit = fields.String(required=True)
    price = fields.Decimal(required=True, as_string=True, places=PRICE_PLACES, metadata=_price_doc)
    currency = fields.String(required=True)
    basis = fields.String(required=True, allow_none=True)
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(required=True, allow_none=True,
                               metadata={"description": "the first day it no longer applies; null: until further "
                                                        "notice"})
    published_at = fields.DateTime(required=True)


class FeePageSchema(Schema):
    items = fields.List(fields.Nested(FeeVersionSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class CatalogueSchema(FeePageSchema):
    enterprise = fields.Nested(EnterpriseSchema, required=True)
    on = fields.Date(required=True)


class SpreadSchema(Schema):
    currency = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "enterprises quoting in this currency"})
    min = fields.Decimal(required=True, as_string=True, places=PRICE_PLACES)
    median = fields.Decimal(required=True, as_string=True, places=PRICE_PLACES)
    max = fields.Decimal(required=True, as_string=True, places=PRICE_PLACES)


class ComparisonSchema(FeePageSchema):
    port = fields.Nested(PortSchema, required=True)
    code = fields.String(required=True)
    on = fields.Date(required=True)
    spread = fields.List(fields.Nested(SpreadSchema), required=True,
                         metadata={"description": "over all the port's enterprises, per currency"})


class PublishResultSchema(Schema):
    created = fields.List(fields.Nested(FeeVersionSchema), required=True)
    changed = fields.List(fields.Nested(FeeVersionSchema), required=True)
    unchanged = fields.Integer(required=True, metadata={"description": "entries already so: nothing written"})
    pushes = fields.Integer(required=True, metadata={"description": "pushes queued for followers"})


class ImportSchema(Schema):
    csv = fields.String(validate=validate.Length(min=1), metadata={
        "description": "CSV text with a header line; columns port (customs office code), enterprise, "
                       "enterprise_en, enterprise_kind, code, name_zh, name_en, category, unit, price, currency, "
                       "basis, effective_from, effective_to"})
    rows = fields.List(fields.Dict(keys=fields.String()), validate=validate.Length(min=1), metadata={
        "description": "the same columns as JSON objects"})

    @ma.validates_schema
    def _one_of(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        if ("csv" in data) == ("rows" in data):
            raise ma.ValidationError("give either csv or rows", "csv" if "csv" not in data else "rows")


class ImportResultSchema(Schema):
    rows = fields.Integer(required=True)
    enterprises_created = fields.Integer(required=True)
    created = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    pushes = fields.Integer(required=True)


class FollowInSchema(Schema):
    enterprise_id = object_id(metadata={"description": "follow every item of this enterprise"})
    port_id = object_id(metadata={"description": "with code: follow this item at every enterprise of the port"})
    code = fields.String(**_code)

    @ma.validates_schema
    def _one_target(self, data, **_kwargs):  # type: ignore[no-untyped-def]
        if "enterprise_id" in data:
            if "port_id" in data or "code" in data:
                raise ma.ValidationError("give enterprise_id alone, or port_id and code", "enterprise_id")
        elif "port_id" not in data or "code" not in data:
            raise ma.ValidationError("give enterprise_id, or port_id and code",
                                     "code" if "port_id" in data else "port_id")


class FollowSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "enterprise or fee_item"})
    port_id = fields.Integer(required=True)
    enterprise_id = fields.Integer(required=True, allow_none=True)
    code = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)

