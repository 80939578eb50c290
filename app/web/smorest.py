"""flask-smorest's Blueprint, subclassed once: strict arguments, auth and idempotency on routes.
Its Api subclass (the error payloads) lives in app/web/errors.py, below everything that raises them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_smorest
import marshmallow as ma
from flask import current_app, g, request
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import abort
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.flaskparser import abort as webargs_abort
from werkzeug.routing import IntegerConverter

from app.web import idempotency
from app.web.auth.api_keys import authenticate_key, presented_key
from app.web.bodies import TooDeep
from core.bounds import MAX_ID
from core.i18n import N_


class IdConverter(IntegerConverter):
    """Object ids in paths: positive and within BIGINT, so an absurd id is a 404, not a database error."""

    def __init__(self, url_map, *args: Any, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(url_map, min=1, max=MAX_ID)


def id_param_schema(_converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Repeat a POST safely: the same key and body give the first response again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


class StrictParser(FlaskParser):
    """Unknown query parameters are refused too: a mistyped filter must not silently return everything.
    Bodies are read by the app's JSON provider (app/web/bodies.py), which bounds their nesting."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def _raw_load_json(self, req):  # type: ignore[no-untyped-def]
        if not is_json_request(req):
            return missing
        try:
            return current_app.json.loads(req.get_data(cache=True))
        except TooDeep as exc:
            webargs_abort(400, exc=exc, messages={"json": [str(exc)]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any):  # type: ignore[no-untyped-def]
        """As flask-smorest's, but a JSON body must be present and be JSON (webargs would read none as {})."""
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorator

        def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
            inner = decorator(func)

            @wraps(inner)
            def wrapper(*args: Any, **kw: Any) -> Any:
                if not request.get_data(cache=True):
                    abort(400, message=N_("a JSON body is required"), errors={"json": [N_("a JSON body is required")]})
                if not request.is_json:
                    abort(415, message=N_("send the body as application/json"))
                return inner(*args, **kw)

            wrapper = self.alt_response(400, description="Malformed JSON, or nested too deep")(wrapper)
            return self.alt_response(413, description="Request body over the size limit")(wrapper)

        return wrap

    def login_required(self, *roles: str,
                       key_scope: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Require a valid access token (and one of `roles`, if given); documents 401/403 and the scheme.
        An API key is let in only where `key_scope` names what it must be allowed (app/web/auth/api_keys.py)."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                secret = presented_key()
                if secret is not None:
                    authenticate_key(secret, key_scope)
                    return func(*args, **kwargs)
                verify_jwt_in_request()
                if roles and current_user.role not in roles:
                    abort(403, message=N_("this needs the role {roles}").format(roles=" or ".join(roles)))
                g.actor = f"user:{current_user.id}"
                return func(*args, **kwargs)

            wrapper = self.doc(security=[{"bearerAuth": []}])(wrapper)
            wrapper = self.alt_response(401, description="Missing, invalid, expired or revoked token")(wrapper)
            if roles:
                wrapper = self.alt_response(403, description="The user's role may not do this")(wrapper)
            return wrapper

        return decorator

    def conditional(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Document a GET that answers an ETag and honours If-None-Match (app/web/conditional.py)."""
        return self.alt_response(304, description=(
            "Not modified: the request's If-None-Match holds this answer's ETag, which is still right (no body)"
        ))(func)

    def idempotent(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Honour an Idempotency-Key header on this POST (place it under login_required)."""
        return self.doc(parameters=[IDEMPOTENCY_HEADER])(idempotency.idempotent(func))
