"""Subscriptions: what I want pushed, per item, shipment or company."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.common import commit
from app.web.api.subscriptions.schemas import SubscriptionInSchema, SubscriptionSchema, SubscriptionUpdateSchema
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.models import TRADING_ROLES
from notifications.subscriptions import (
    SubscriptionSpec,
    get_subscription,
    list_subscriptions,
    subscribe,
    unsubscribe,
    update_subscription,
)

blp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions", description="Push subscriptions")


@blp.route("")
class Subscriptions(MethodView):
    @blp.login_required()
    @blp.response(200, SubscriptionSchema(many=True))
    def get(self):
        """List my subscriptions"""
        return list_subscriptions(db.session, current_user.id)

    @blp.login_required(*TRADING_ROLES)
    @blp.idempotent
    @blp.arguments(SubscriptionInSchema)
    @blp.response(201, SubscriptionSchema)
    @blp.alt_response(200, schema=SubscriptionSchema, description="Updated my existing subscription")
    def post(self, data):
        """Subscribe to an item, a shipment or my company's items"""
        kinds = data.pop("kinds", None)
        spec = SubscriptionSpec(kinds=tuple(kinds) if kinds is not None else None, **data)
        sub, created = subscribe(db.session, current_user, spec)
        commit()
        return sub, 201 if created else 200


@blp.route("/<id:subscription_id>")
class SubscriptionById(MethodView):
    @blp.login_required()
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id):
        """Show one of my subscriptions"""
        return get_subscription(db.session, current_user.id, subscription_id)

    @blp.login_required()
    @blp.arguments(SubscriptionUpdateSchema)
    @blp.response(200, SubscriptionSchema)
    def patch(self, changes, subscription_id):
        """Change the kinds, milestones-only or muted"""
        sub = update_subscription(db.session, get_subscription(db.session, current_user.id, subscription_id),
                                  **changes)
        commit()
        return sub

    @blp.login_required()
    @blp.response(204)
    def delete(self, subscription_id):
        """Remove one of my subscriptions"""
        unsubscribe(db.session, get_subscription(db.session, current_user.id, subscription_id))
        commit()
