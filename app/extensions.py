"""The Flask extensions shared by all apps of a process; create_app() initialises them."""

from __future__ import annotations

from flask import current_app
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.db import db
from app.smorest import Api

jwt = JWTManager()
# No default limits: only the routes that need one (login) declare it.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def current_api() -> Api:
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


__all__ = ["current_api", "db", "jwt", "limiter"]
