"""flask-smorest, subclassed once: error payloads that always say what went wrong, and auth on blueprints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_smorest
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import abort
from werkzeug.exceptions import HTTPException


class Api(flask_smorest.Api):
    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        payload, code, headers = super().handle_http_exception(error)
        if "message" not in payload:
            if code == 400 and "errors" in payload:
                payload["message"] = "malformed request: see errors"
            elif code == 422:
                payload["message"] = "invalid request: see errors"
            else:
                # Werkzeug's own errors (unknown URL, wrong method …) carry their reason here.
                payload["message"] = error.description or error.name
        if code == 500:
            payload["message"] = "internal error; it has been logged"
        if code == 429 and error.get_response().headers.get("Retry-After"):
            headers = {**headers, "Retry-After": error.get_response().headers["Retry-After"]}
        return payload, code, headers


IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Repeat a POST safely: the same key and body give the first response again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


class Blueprint(flask_smorest.Blueprint):
    def login_required(self, *roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Require a valid access token (and one of `roles`, if given); documents 401/403 and the scheme."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                verify_jwt_in_request()
                if roles and current_user.role not in roles:
                    abort(403, message=f"this needs the role {' or '.join(roles)}")
                return func(*args, **kwargs)

            wrapper = self.doc(security=[{"bearerAuth": []}])(wrapper)
            wrapper = self.alt_response(401, description="Missing, invalid, expired or revoked token")(wrapper)
            if roles:
                wrapper = self.alt_response(403, description="The user's role may not do this")(wrapper)
            return wrapper

        return decorator

    def idempotent(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Honour an Idempotency-Key header on this POST (place it under login_required)."""
        from app.idempotency import idempotent  # late: that module needs the extensions built from this one

        return self.doc(parameters=[IDEMPOTENCY_HEADER])(idempotent(func))
