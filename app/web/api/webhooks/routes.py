"""Webhook endpoints of the caller's company: register, change, rotate the secret, test, read the delivery log,
replay. For company admins and for API keys with the scope webhooks:manage."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.common import commit
from app.web.api.webhooks.schemas import (
    DeliveryArgs,
    DeliveryPageSchema,
    EndpointInSchema,
    EndpointSchema,
    EndpointSecretSchema,
    EndpointUpdateSchema,
    ReplayArgs,
    ReplayedSchema,
    RotateSchema,
    TestSentSchema,
)
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.api_keys import SCOPE_WEBHOOKS
from core.models import Role
from notifications import webhooks

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks",
                description="Signed webhooks (Standard Webhooks) to my company's systems")

MANAGE = {"key_scope": SCOPE_WEBHOOKS}


def _allow_private() -> bool:
    # As app.config.webhook_allow_private reads it (unset: only outside production); app.web cannot import app.
    setting = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    return current_app.config["SWM_ENV"] != "production" if setting is None else bool(setting)


def _mine(endpoint_id: int) -> webhooks.WebhookEndpoint:
    return webhooks.get_endpoint(db.session, current_user.company_id, endpoint_id)


@blp.route("")
class Endpoints(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.response(200, EndpointSchema(many=True))
    def get(self):
        """My company's endpoints"""
        return webhooks.company_endpoints(db.session, current_user.company_id)

    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.idempotent
    @blp.arguments(EndpointInSchema)
    @blp.response(201, EndpointSecretSchema)
    def post(self, data):
        """Register an endpoint: every change my company may see that passes its filter is POSTed to it, signed
        with the secret this answer shows once"""
        endpoint = webhooks.create_endpoint(db.session, current_user.company_id, allow_private=_allow_private(),
                                            **data)
        commit()
        return endpoint


@blp.route("/<id:endpoint_id>")
class EndpointById(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.response(200, EndpointSchema)
    def get(self, endpoint_id):
        """One endpoint"""
        return _mine(endpoint_id)

    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.arguments(EndpointUpdateSchema)
    @blp.response(200, EndpointSchema)
    def patch(self, changes, endpoint_id):
        """Change the URL or filters; `active: true` enables a disabled endpoint (what waited is sent)"""
        endpoint = webhooks.update_endpoint(db.session, _mine(endpoint_id), changes, allow_private=_allow_private())
        commit()
        return endpoint

    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.response(204)
    def delete(self, endpoint_id):
        """Remove an endpoint and its delivery log"""
        db.session.delete(_mine(endpoint_id))
        commit()


@blp.route("/<id:endpoint_id>/rotate-secret")
class SecretRotation(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.arguments(RotateSchema)
    @blp.response(200, EndpointSecretSchema)
    def post(self, data, endpoint_id):
        """A new secret, shown once; the old one keeps signing beside it (two signatures) for the overlap"""
        endpoint = _mine(endpoint_id)
        webhooks.rotate_secret(db.session, endpoint, overlap=timedelta(hours=data["overlap_hours"]))
        commit()
        return endpoint


@blp.route("/<id:endpoint_id>/test")
class TestEvent(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.response(202, TestSentSchema)
    def post(self, endpoint_id):
        """Queue a signed test event (type webhook.test) to the endpoint; its outcome is in the delivery log"""
        delivery = webhooks.send_test(db.session, _mine(endpoint_id))
        commit()
        return {"delivery_id": delivery.id, "message_id": delivery.message_id}


@blp.route("/<id:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.arguments(DeliveryArgs, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args, endpoint_id):
        """The endpoint's delivery log, newest first: each delivery with its tries (status, latency, answer)"""
        rows = webhooks.deliveries(db.session, _mine(endpoint_id), state=args.get("state"), limit=args["limit"],
                                   before=args.get("before"))
        return {"deliveries": [_delivery(d, tries) for d, tries in rows]}


@blp.route("/<id:endpoint_id>/deliveries/<id:delivery_id>/replay")
class ReplayOne(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.response(202, ReplayedSchema)
    def post(self, endpoint_id, delivery_id):
        """Send one delivery again (same webhook-id and body, fresh signature)"""
        replayed = webhooks.replay(db.session, _mine(endpoint_id), delivery_id=delivery_id)
        commit()
        return {"replayed": replayed}


@blp.route("/<id:endpoint_id>/replay")
class ReplaySince(MethodView):
    @blp.login_required(Role.COMPANY_ADMIN, **MANAGE)
    @blp.arguments(ReplayArgs)
    @blp.response(202, ReplayedSchema)
    def post(self, data, endpoint_id):
        """Send again every delivery queued since a time"""
        replayed = webhooks.replay(db.session, _mine(endpoint_id), since=data["since"])
        commit()
        return {"replayed": replayed}


def _delivery(delivery: webhooks.WebhookDelivery, tries: list[webhooks.WebhookAttempt]) -> dict:
    return {**{name: getattr(delivery, name) for name in (
        "id", "message_id", "event_type", "state", "attempts", "next_attempt_at", "last_status", "last_error",
        "created_at", "delivered_at")}, "tries": tries}
