"""Domain and database errors become JSON HTTP errors in one place; nothing leaks a stack trace."""

from __future__ import annotations

import logging
from typing import Any

import flask_smorest
from flask import Flask, current_app, request
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    UnprocessableEntity,
)
from werkzeug.exceptions import (
    Conflict as HTTPConflict,
)
from werkzeug.exceptions import (
    Forbidden as HTTPForbidden,
)
from werkzeug.exceptions import (
    NotFound as HTTPNotFound,
)

from app.web.extensions import db
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

log = logging.getLogger(__name__)


class Api(flask_smorest.Api):
    """flask-smorest's Api, subclassed once: error payloads that always say what went wrong."""

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
        # Keep what the exception itself says in headers (Allow on 405, Retry-After on 429 …).
        own = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return payload, code, {**own, **(headers or {})}


def current_api() -> Api:
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


def http_error(exc_class: type[HTTPException], message: str, errors: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    error = exc_class()
    error.data = {"message": message, **({"errors": errors} if errors else {})}  # type: ignore[attr-defined]
    return current_api().handle_http_exception(error)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if isinstance(error, Invalid):
            # Named where it came from: a query parameter (a cursor …) or a body field.
            location = "query" if error.field in request.args else "json"
            found = error.details if error.details is not None else [error.reason]
            return http_error(UnprocessableEntity, "invalid request", {location: {error.field: found}})
        if isinstance(error, NotFound):
            return http_error(HTTPNotFound, error.message)
        if isinstance(error, Conflict):
            return http_error(HTTPConflict, error.message)
        if isinstance(error, Forbidden):
            return http_error(HTTPForbidden, error.message)
        return http_error(BadRequest, error.message)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        reason = f"the request body may have at most {current_app.config['MAX_CONTENT_LENGTH']} bytes"
        return http_error(RequestEntityTooLarge, reason, {"body": [reason]})

    @app.errorhandler(DataError)
    def _data_error(error: DataError):  # type: ignore[no-untyped-def]
        # A value the database refuses (too long, out of range …) that the schemas let through: still bad input,
        # not a server failure, but a gap in the checks (app/web/api/common.py) to close, hence logged as an error.
        db.session.rollback()
        log.error("database refused a value the API accepted: %s", error.orig)
        reason = "a value is too long, out of range or not storable"
        return http_error(UnprocessableEntity, "invalid request", {"json" if request.is_json else "query": [reason]})

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):  # type: ignore[no-untyped-def]
        # Two requests raced for the same unique row: the loser is told, the winner's data stands.
        db.session.rollback()
        log.info("integrity error answered with 409: %s", error.orig)
        return http_error(HTTPConflict, "this conflicts with data stored meanwhile; fetch it and try again")

    # HTTPExceptions never get here: flask-smorest's handler for them is the more specific one.
    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.exception("unhandled error")
        return current_api().handle_http_exception(InternalServerError())
