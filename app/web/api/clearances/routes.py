"""Clearance items: track one, list mine, see one and its timeline."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user
from marshmallow import ValidationError

from app.web.api.clearances.schemas import (
    BatchResultSchema,
    BatchSchema,
    ClaimListArgs,
    ClaimListSchema,
    ClaimSchema,
    ItemListArgs,
    ItemPageSchema,
    ItemSchema,
    TimelineSchema,
    TrackSchema,
    item_version,
    timeline_version,
)
from app.web.api.common import commit
from app.web.api.stats.schemas import EstimateSchema
from app.web.clearance_stats import cached_stats
from app.web.conditional import etag, headers, not_modified
from app.web.database import read_only
from app.web.extensions import db
from app.web.language import response_language
from app.web.smorest import Blueprint
from core.api_keys import SCOPE_READ, SCOPE_TRACK
from core.models import TRADING_ROLES
from status_tracker.clearance_times import expected_completion, goals_ahead
from status_tracker.clearances import (
    ItemFilter,
    PartyRef,
    TrackRequest,
    get_visible_item,
    list_items,
    timeline,
    track_item,
    track_many,
)
from status_tracker.parties import claim_view, my_claims

blp = Blueprint("clearances", __name__, url_prefix="/clearances", description="Clearance items")


@blp.route("")
class Clearances(MethodView):
    @read_only
    @blp.login_required(key_scope=SCOPE_READ)
    @blp.conditional
    @blp.arguments(ItemListArgs, location="query")
    @blp.response(200, ItemPageSchema)
    def get(self, args):
        """List the items my company is a party to, most recently updated first"""
        limit, cursor = args.pop("limit"), args.pop("cursor", None)
        items, next_cursor = list_items(
            db.session, current_user.company_id, ItemFilter(**args), limit=limit, cursor=cursor
        )
        tag = etag(response_language(), next_cursor, [item_version(item) for item in items])
        return not_modified(tag) or ({"items": items, "next_cursor": next_cursor}, headers(tag))

    @blp.login_required(*TRADING_ROLES, key_scope=SCOPE_TRACK)
    @blp.idempotent
    @blp.arguments(TrackSchema)
    @blp.response(200, ItemSchema, description="The agency confirms my company as a party: the item")
    @blp.alt_response(202, schema=ClaimSchema, description=(
        "My company's claim, recorded (or as it stands, if made before); the answer is the same whether or not "
        "anyone tracks the item. Its state is on GET /clearances/claims; once the agency names my company the "
        "item is in GET /clearances"))
    def post(self, data):
        """Track an item of a kind by its reference: see it if the agency names my company, else claim it"""
        item, claim = track_item(
            db.session,
            company_id=current_user.company_id,
            user_id=current_user.id,
            kind=data["kind"],
            reference=data["reference"],
            my_role=data["my_role"],
            parties=tuple(PartyRef(**party) for party in data["parties"]),
            shipment_id=data.get("shipment_id"),
            customs_office=data.get("customs_office"),
        )
        view = claim_view(db.session, claim) if claim is not None else None
        commit()
        if view is None:
            return item
        response = jsonify(ClaimSchema().dump(view))
        response.status_code = 202
        return response


@blp.route("/batch")
class Batch(MethodView):
    @blp.login_required(*TRADING_ROLES, key_scope=SCOPE_TRACK)
    @blp.idempotent
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchResultSchema)
    def post(self, data):
        """Track up to 1,000 items at once: an answer per entry (created, already tracked, or invalid and why);
        entries are independent, and the whole batch is one transaction"""
        outcomes = track_many(db.session, company_id=current_user.company_id, user_id=current_user.id,
                              requests=[_track_request(entry) for entry in data["entries"]])
        commit()
        results = [{"index": n, "status": o.status, "kind": o.kind, "reference": o.reference, "item_id": o.item_id,
                    "errors": o.errors} for n, o in enumerate(outcomes)]
        counts = {status: sum(1 for o in outcomes if o.status == status)
                  for status in ("created", "already_tracked", "invalid")}
        return {"results": results, **counts}


_TRACK = TrackSchema()


def _track_request(entry: dict) -> TrackRequest | dict[str, list[str]]:
    """An entry checked as POST /clearances checks its body: a request, or its errors."""
    try:
        data = _TRACK.load(entry)
    except ValidationError as exc:
        return {str(field): messages if isinstance(messages, list) else [str(messages)]
                for field, messages in exc.normalized_messages().items()}
    return TrackRequest(kind=data["kind"], reference=data["reference"], my_role=data["my_role"],
                        parties=tuple(PartyRef(**party) for party in data["parties"]),
                        shipment_id=data.get("shipment_id"), customs_office=data.get("customs_office"))


@blp.route("/claims")
class Claims(MethodView):
    @blp.login_required(key_scope=SCOPE_READ)
    @blp.arguments(ClaimListArgs, location="query")
    @blp.response(200, ClaimListSchema)
    def get(self, args):
        """My company's claims to be a party, newest first, with whether the agency confirms them"""
        if current_user.company_id is None:
            return {"claims": []}
        return {"claims": my_claims(db.session, current_user.company_id, state=args.get("state"),
                                    limit=args["limit"], offset=args["offset"])}


@blp.route("/<id:item_id>")
class ClearanceById(MethodView):
    @read_only
    @blp.login_required(key_scope=SCOPE_READ)
    @blp.conditional
    @blp.response(200, ItemSchema)
    def get(self, item_id):
        """Show one item I am a party to"""
        item = get_visible_item(db.session, current_user.company_id, item_id, with_parties=True)
        tag = etag(response_language(), item_version(item))
        return not_modified(tag) or (item, headers(tag))


@blp.route("/<id:item_id>/timeline")
class Timeline(MethodView):
    @read_only
    @blp.login_required(key_scope=SCOPE_READ)
    @blp.conditional
    @blp.response(200, TimelineSchema)
    def get(self, item_id):
        """The item's status receipts in the agency's order, with native codes and notes"""
        item = get_visible_item(db.session, current_user.company_id, item_id)
        events = timeline(db.session, item)
        tag = etag(response_language(), timeline_version(item, events))
        return not_modified(tag) or ({"item_id": item.id, "events": events}, headers(tag))


@blp.route("/<id:item_id>/estimate")
class Estimate(MethodView):
    @blp.login_required(key_scope=SCOPE_READ)
    @blp.response(200, EstimateSchema)
    def get(self, item_id):
        """When the item can expect to be released and completed, from the clearance times of its kind"""
        item = get_visible_item(db.session, current_user.company_id, item_id)
        expected = expected_completion(db.session, item, cached_stats(db.session))
        return {"item_id": item.id, "stage": item.stage, "awaiting": goals_ahead(item), "expected": expected}
