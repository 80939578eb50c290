"""Devices: the phones my pushes go to."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from app.web.api.common import commit
from app.web.api.devices.schemas import DeviceInSchema, DeviceSchema
from app.web.extensions import db
from app.web.smorest import Blueprint
from notifications.devices import list_devices, register_device, remove_device

blp = Blueprint("devices", __name__, url_prefix="/devices", description="Push devices")


@blp.route("")
class Devices(MethodView):
    @blp.login_required()
    @blp.response(200, DeviceSchema(many=True))
    def get(self):
        """List my active devices"""
        return list_devices(db.session, current_user.id)

    @blp.login_required()
    @blp.idempotent
    @blp.arguments(DeviceInSchema)
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="The token was known; refreshed and now mine")
    def post(self, data):
        """Register or refresh this phone's FCM token"""
        device, created = register_device(db.session, current_user.id, session_id=get_jwt()["sid"], **data)
        commit()
        return device, 201 if created else 200


@blp.route("/<id:device_id>")
class DeviceById(MethodView):
    @blp.login_required()
    @blp.response(204)
    def delete(self, device_id):
        """Remove one of my devices"""
        remove_device(db.session, current_user.id, device_id)
        commit()
