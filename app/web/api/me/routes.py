"""The logged-in user's own profile."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from app.web.api.common import commit
from app.web.api.me.schemas import ProfileUpdateSchema, UserSchema
from app.web.auth.tokens import end_sessions_after_change
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.accounts import update_user

blp = Blueprint("me", __name__, url_prefix="/me", description="My profile")


@blp.route("")
class Me(MethodView):
    @blp.login_required()
    @blp.response(200, UserSchema)
    def get(self):
        """Show my profile"""
        return current_user

    @blp.login_required()
    @blp.arguments(ProfileUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes):
        """Change my name, language, time zone or password (a new password ends my other sessions)"""
        update_user(db.session, current_user, **changes)
        end_sessions_after_change(current_user.id, changes, keep=get_jwt()["sid"])
        commit()
        return current_user
