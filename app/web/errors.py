"""Domain and database errors become JSON HTTP errors in one place; nothing leaks a stack trace."""

from __future__ import annotations

import logging
from typing import Any

import flask_smorest
from flask import Flask, current_app, request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    ServiceUnavailable,
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
from app.web.language import response_language
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from core.i18n import N_, localize, localize_tree

log = logging.getLogger(__name__)


class Api(flask_smorest.Api):
    """flask-smorest's Api, subclassed once: error payloads that always say what went wrong."""

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        payload, code, headers = super().handle_http_exception(error)
        if "message" not in payload:
            if code == 400 and "errors" in payload:
                payload["message"] = N_("malformed request: see errors")
            elif code == 422:
                payload["message"] = N_("invalid request: see errors")
            else:
                # Werkzeug's own errors (unknown URL, wrong method …) carry their reason here.
                payload["message"] = error.description or error.name
        if code == 500:
            payload["message"] = N_("internal error; it has been logged")
        limit = getattr(getattr(error, "limit", None), "limit", None)
        if code == 429 and limit is not None:
            # flask-limiter says "5 per 1 minute": in words the reader's language has.
            payload["message"] = N_("too many attempts: at most {count} in {seconds} seconds; try again later").format(
                count=limit.amount, seconds=limit.get_expiry())
        lang = response_language()
        payload["message"] = localize(payload["message"], lang)
        if "errors" in payload:
            payload["errors"] = localize_tree(payload["errors"], lang)
        # Keep what the exception itself says in headers (Allow on 405, Retry-After on 429 …).
        own = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return payload, code, {**own, **(headers or {})}


def current_api() -> Api:
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


def http_error(exc_class: type[HTTPException], message: str, errors: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    error = exc_class()
    error.data = {"message": message, **({"errors": errors} if errors else {})}  # type: ignore[attr-defined]
    return current_api().handle_http_exception(error)


# SQLSTATEs of a server that is going away or not taking connections: admin / crash shutdown, cannot connect now.
SERVER_GOING_AWAY = {"57P01", "57P02", "57P03"}


def database_away(error: DBAPIError) -> bool:
    """Whether `error` says the database could not be reached, rather than that a statement was wrong."""
    if error.connection_invalidated:
        return True
    if not hasattr(error.orig, "sqlstate"):  # not psycopg: SQLite's errors are about the statement or the file
        return False
    sqlstate = error.orig.sqlstate  # None: no server answered (refused, timed out, closed under us)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in SERVER_GOING_AWAY


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if isinstance(error, Invalid):
            # Named where it came from: a query parameter (a cursor …) or a body field.
            location = "query" if error.field in request.args else "json"
            found = error.details if error.details is not None else [error.reason]
            return http_error(UnprocessableEntity, N_("invalid request"), {location: {error.field: found}})
        if isinstance(error, NotFound):
            return http_error(HTTPNotFound, error.message)
        if isinstance(error, Conflict):
            return http_error(HTTPConflict, error.message)
        if isinstance(error, Forbidden):
            return http_error(HTTPForbidden, error.message)
        return http_error(BadRequest, error.message)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        reason = N_("the request body may have at most {n} bytes").format(n=current_app.config["MAX_CONTENT_LENGTH"])
        return http_error(RequestEntityTooLarge, reason, {"body": [reason]})

    @app.errorhandler(DataError)
    def _data_error(error: DataError):  # type: ignore[no-untyped-def]
        # A value the database refuses (too long, out of range …) that the schemas let through: still bad input,
        # not a server failure, but a gap in the checks (app/web/api/common.py) to close, hence logged as an error.
        db.session.rollback()
        log.error("database refused a value the API accepted: %s", error.orig)
        reason = N_("a value is too long, out of range or not storable")
        location = "json" if request.is_json else "query"
        return http_error(UnprocessableEntity, N_("invalid request"), {location: [reason]})

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):  # type: ignore[no-untyped-def]
        # Two requests raced for the same unique row: the loser is told, the winner's data stands.
        db.session.rollback()
        log.info("integrity error answered with 409: %s", error.orig)
        return http_error(HTTPConflict, N_("this conflicts with data stored meanwhile; fetch it and try again"))

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError):  # type: ignore[no-untyped-def]
        # The database cannot be reached: a primary being replaced, a restart, a lost connection (connections are
        # not pinged before use, docs/read-path.md; the pool has been renewed). Not a fault of the request: the
        # client is told to try again in a moment. Any other database error (SQLite reports a missing table as an
        # OperationalError) is a bug like any other.
        if not database_away(error):
            return _unexpected(error)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
            log.debug("rollback after a database failure failed too", exc_info=True)
        log.warning("database unavailable; answered 503: %s", error.orig)
        payload, code, headers = http_error(ServiceUnavailable, N_("the database is unavailable; try again shortly"))
        return payload, code, {**(headers or {}), "Retry-After": "1"}

    # HTTPExceptions never get here: flask-smorest's handler for them is the more specific one.
    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.exception("unhandled error")
        return current_api().handle_http_exception(InternalServerError())
