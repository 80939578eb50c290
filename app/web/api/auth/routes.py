"""Log in with phone and password, refresh the access token, log out."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt, jwt_required
from flask_smorest import abort

from app.web.api.auth.schemas import LoginSchema, TokensSchema
from app.web.api.common import commit
from app.web.auth.tokens import close_session, open_session, refresh_access
from app.web.extensions import db, limiter
from app.web.smorest import Blueprint
from core.accounts import authenticate
from core.i18n import N_
from core.identifiers import stored_phone

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Log in and out")


def _login_phone() -> str:
    """The per-phone limit's key: the phone as stored, so no other spelling of it gets more guesses."""
    body = request.get_json(silent=True)
    # No account has an invalid phone: those share one key, and the per-address limit is what matters.
    return f"phone:{stored_phone(body.get('phone') if isinstance(body, dict) else None) or '?'}"


@blp.route("/login")
class Login(MethodView):
    decorators = [
        limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"]),
        limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_PHONE"], key_func=_login_phone),
    ]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, description="Wrong phone or password")
    @blp.alt_response(429, description="Too many attempts; see Retry-After")
    def post(self, credentials):
        """Log in with a phone number and password"""
        user = authenticate(db.session, credentials["phone"], credentials["password"])
        if user is None:
            abort(401, message=N_("wrong phone number or password"))
        tokens = open_session(user, request.headers.get("User-Agent"))
        commit()
        return tokens


@blp.route("/refresh")
class Refresh(MethodView):
    @jwt_required(refresh=True)
    @blp.doc(security=[{"bearerAuth": []}])
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, description="Missing, invalid, expired or revoked refresh token")
    def post(self):
        """Get a new access token with the refresh token"""
        return refresh_access(current_user, get_jwt()["sid"])


@blp.route("/logout")
class Logout(MethodView):
    @blp.login_required()
    @blp.response(204)
    def post(self):
        """End this session: its tokens stop working and its devices stop receiving pushes"""
        close_session(get_jwt()["sid"])
        commit()
