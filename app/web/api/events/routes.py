"""The event feed: every status change the caller's company may see, oldest first, for systems that pull."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.events.schemas import FeedArgs, FeedPageSchema
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.api_keys import SCOPE_READ
from notifications.webhooks import feed

blp = Blueprint("events", __name__, url_prefix="/events", description="Event feed (pull)")


@blp.route("")
class Events(MethodView):
    @blp.login_required(key_scope=SCOPE_READ)
    @blp.arguments(FeedArgs, location="query")
    @blp.response(200, FeedPageSchema)
    def get(self, args):
        """Changes my company may see after the cursor, oldest first (kept at least 30 days; an empty page when
        caught up). The same events as webhooks, with the same ids"""
        if current_user.company_id is None:
            return {"events": [], "next_cursor": args.get("after") or ""}
        events, cursor = feed(db.session, current_user.company_id, after=args.get("after"), limit=args["limit"])
        return {"events": events, "next_cursor": cursor}
