"""Issuing and checking tokens with flask-jwt-extended; every failure is a JSON 401 in our error shape."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select
from werkzeug.exceptions import Unauthorized

from app.web.auth import checked
from app.web.auth.models import LoginSession
from app.web.errors import http_error
from app.web.extensions import db, jwt
from core.db import utcnow
from core.i18n import N_
from core.models import User
from notifications.devices import deactivate_session_devices


def start_session(user: User, user_agent: str | None) -> LoginSession:
    """A new login session for the user: what logout (API or console) revokes."""
    login = LoginSession(id=str(uuid.uuid4()), user_id=user.id, user_agent=(user_agent or "")[:300])
    db.session.add(login)
    db.session.flush()
    return login


def open_session(user: User, user_agent: str | None) -> dict[str, Any]:
    login = start_session(user, user_agent)
    refresh = create_refresh_token(identity=str(user.id), additional_claims={"sid": login.id})
    return {**refresh_access(user, login.id), "refresh_token": refresh}


def refresh_access(user: User, session_id: str) -> dict[str, Any]:
    return {
        "access_token": _access_token(user, session_id),
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def close_session(session_id: str) -> None:
    checked.forget(session_id)
    login = db.session.get(LoginSession, session_id)
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()
    deactivate_session_devices(db.session, session_id)


def end_sessions(user_id: int, *, keep: str | None = None) -> int:
    """End every open session of the user but `keep`: their tokens and console cookies stop working and
    their devices stop receiving pushes. Ended sessions stay ended whatever happens to the account later."""
    query = select(LoginSession.id).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    ended = list(db.session.scalars(query))
    for session_id in ended:
        close_session(session_id)
    return len(ended)


def end_sessions_after_change(user_id: int, changes: dict[str, Any], *, keep: str | None = None) -> None:
    """Disabling an account ends all its sessions; a new password ends all but `keep` (the session that
    changed its own password). Someone who knew the old password, or held a stolen token, is out for good."""
    if changes.get("active") is False:
        end_sessions(user_id)
    elif "password" in changes:
        end_sessions(user_id, keep=keep)


def live_login(session_id: object, *, max_age: timedelta | None = None) -> LoginSession | None:
    """The login session, while it is open (not revoked, and younger than `max_age` when given): the one check
    behind API tokens and console sign-ins, so ending a session ends both at once."""
    if not isinstance(session_id, str):
        return None
    login = db.session.get(LoginSession, session_id)
    if login is None or login.revoked_at is not None:
        return None
    if max_age is not None and utcnow() - login.created_at > max_age:
        return None
    return login


def active_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def _access_token(user: User, session_id: str) -> str:
    return create_access_token(identity=str(user.id), additional_claims={"sid": session_id, "role": user.role})


def init_jwt(app: Flask) -> None:
    jwt.init_app(app)

    # One statement checks the token's login session and loads its user (with the company): the blocklist
    # check runs first and hands the user on to the lookup. A read may take them from the sessions checked in
    # the last SWM_TOKEN_CHECK_SECONDS instead (app/web/auth/checked.py); a write always looks them up.
    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        session_id, user_id = str(payload.get("sid", "")), int(payload["sub"])
        reading = g.get("swm_read_only", False)
        user = checked.recent_user(session_id, user_id) if reading else None
        if user is not None:
            g.swm_token_user = user
            return False
        row = db.session.execute(
            select(User, LoginSession.revoked_at)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.id == session_id, User.id == user_id)
        ).first()
        g.swm_token_user = row[0] if row is not None else None
        revoked = row is None or row[1] is not None
        if not revoked and row[0].active:
            checked.remember(session_id, row[0])
        return revoked

    @jwt.user_lookup_loader
    def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        user = g.pop("swm_token_user", None)
        if user is None or user.id != int(payload["sub"]):
            user = db.session.get(User, int(payload["sub"]))
        return user if user is not None and user.active else None

    def unauthorized(message: str):  # type: ignore[no-untyped-def]
        return http_error(Unauthorized, message)

    jwt.unauthorized_loader(lambda reason: unauthorized(N_("log in first: {reason}").format(reason=reason)))
    jwt.invalid_token_loader(lambda reason: unauthorized(N_("invalid token: {reason}").format(reason=reason)))
    jwt.expired_token_loader(lambda _h, _p: unauthorized(N_("the token has expired; refresh it or log in again")))
    jwt.revoked_token_loader(lambda _h, _p: unauthorized(N_("this session has ended; log in again")))
    jwt.user_lookup_error_loader(lambda _h, _p: unauthorized(N_("this account no longer exists or is disabled")))
