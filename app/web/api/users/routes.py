"""Users (administrators only)."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from app.web.api.common import PageArgs, commit
from app.web.api.me.schemas import UserSchema
from app.web.api.users.schemas import UserInSchema, UserUpdateSchema
from app.web.auth.tokens import end_sessions_after_change
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.accounts import NewUser, create_user, get_user, update_user
from core.models import Role, User

blp = Blueprint("users", __name__, url_prefix="/users", description="Users (admin)")


@blp.route("")
class Users(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, page):
        """List users"""
        return db.session.scalars(select(User).order_by(User.id).limit(page["limit"]).offset(page["offset"]))

    @blp.login_required(Role.ADMIN)
    @blp.idempotent
    @blp.arguments(UserInSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="A user with this phone exists")
    def post(self, data):
        """Create a user"""
        user = create_user(db.session, NewUser(**data))
        commit()
        return user


@blp.route("/<id:user_id>")
class UserById(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Show a user"""
        return get_user(db.session, user_id)

    @blp.login_required(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        """Change a user's name, role, company, language, time zone, password or active flag (a new password
        or disabling ends all of the user's sessions)"""
        user = update_user(db.session, get_user(db.session, user_id), **changes)
        end_sessions_after_change(user.id, changes)
        commit()
        return user
