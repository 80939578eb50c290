"""My notifications inbox and my quiet hours."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.common import commit
from app.web.api.notifications.schemas import InboxArgs, InboxSchema, NotificationSchema, SettingsSchema, UnreadSchema
from app.web.database import read_only
from app.web.extensions import db
from app.web.smorest import Blueprint
from notifications.inbox import get_settings, inbox, mark_all_read, mark_read, set_quiet_hours, unread_count

blp = Blueprint("notifications", __name__, url_prefix="/me", description="My notifications and quiet hours")


@blp.route("/notifications")
class Inbox(MethodView):
    @read_only
    @blp.login_required()
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, InboxSchema)
    def get(self, args):
        """My notifications: newest first, or with `after` the ones I missed, oldest first"""
        items = inbox(db.session, current_user.id, after=args.get("after"), before=args.get("before"),
                      limit=args["limit"])
        return {"items": items, "unread": unread_count(db.session, current_user.id)}


@blp.route("/notifications/unread-count")
class Unread(MethodView):
    @read_only
    @blp.login_required()
    @blp.response(200, UnreadSchema)
    def get(self):
        """How many of my notifications are unread"""
        return {"unread": unread_count(db.session, current_user.id)}


@blp.route("/notifications/<id:notification_id>/read")
class Read(MethodView):
    @blp.login_required()
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one notification read"""
        notification = mark_read(db.session, current_user.id, notification_id)
        commit()
        return notification


@blp.route("/notifications/read-all")
class ReadAll(MethodView):
    @blp.login_required()
    @blp.response(200, UnreadSchema)
    def post(self):
        """Mark all my notifications read"""
        mark_all_read(db.session, current_user.id)
        commit()
        return {"unread": 0}


@blp.route("/notification-settings")
class Settings(MethodView):
    @blp.login_required()
    @blp.response(200, SettingsSchema)
    def get(self):
        """My quiet hours (in my time zone; null when none)"""
        return get_settings(db.session, current_user.id)

    @blp.login_required()
    @blp.arguments(SettingsSchema)
    @blp.response(200, SettingsSchema)
    def put(self, body):
        """Set my quiet hours: routine pushes wait until they end and come as one digest per item"""
        settings = set_quiet_hours(db.session, current_user.id, body["quiet_start"], body["quiet_end"])
        commit()
        return settings
