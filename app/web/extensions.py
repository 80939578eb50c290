"""The Flask extensions shared by all apps of a process; create_app() initialises them."""

from __future__ import annotations

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.web.database import db

jwt = JWTManager()
# No default limits: only the routes that need one (login) declare it.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


__all__ = ["db", "jwt", "limiter"]
