"""Composition root: create_app() builds the web application from configuration."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request, send_from_directory
from flask_cors import CORS
from swagger_ui_bundle import swagger_ui_path

from app import config as app_config
from app.logs import configure_logging
from app.metrics import blp as metrics_blp
from app.metrics import init_request_metrics
from app.web.api import register_blueprints
from app.web.auth.tokens import init_jwt
from app.web.bodies import JSONProvider, Request
from app.web.console import bp as console_blp
from app.web.errors import Api, register_error_handlers
from app.web.extensions import db, limiter
from app.web.health import blp as health_blp
from app.web.proxies import TrustedProxyFix
from app.web.smorest import IdConverter, id_param_schema

API_TITLE = "Single Window Mobile API"
# Files of the installed bundles: the same for everyone, so a browser may keep them.
STATIC_ENDPOINTS = frozenset({"swagger_ui_static", "console.static", "static"})


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.request_class = Request
    app.config.update(app_config.from_environment())
    app.config.update(overrides or {})
    app_config.validate(app.config)
    if not logging.getLogger().handlers:  # e.g. under gunicorn: log as the other processes do, secrets masked
        configure_logging()
    networks = app_config.trusted_networks(app.config["TRUSTED_PROXIES"])
    if networks:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, networks)  # type: ignore[method-assign]
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Swagger UI's files come from the installed bundle, so /docs works without internet access.
        OPENAPI_SWAGGER_UI_URL="/docs/static/",
        JSON_SORT_KEYS=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    app.json = JSONProvider(app)

    db.init_app(app)
    # Bearer tokens, not cookies: browsers may call from the allowed origins without credentials.
    CORS(app, origins=app.config["CORS_ORIGINS"], expose_headers=["Retry-After", "Idempotent-Replayed", "ETag"])
    init_jwt(app)
    # Registered before the limiter, so it runs after the limiter has added its headers (Flask runs these last
    # registered first): Retry-After belongs to a refusal, not to a successful login.
    app.after_request(_retry_after_only_on_refusals)
    limiter.init_app(app)
    api = Api(app, spec_kwargs={"info": {"description": "Clearance status of the 14 kinds, for enterprises' phones."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, id_param_schema)
    register_blueprints(api)
    api.register_blueprint(health_blp)
    app.register_blueprint(metrics_blp)  # plain text for Prometheus, not part of the API document
    init_request_metrics(app)
    app.register_blueprint(console_blp)  # the desk's server-rendered pages, not part of the API document
    register_error_handlers(app)
    app.after_request(_security_headers)

    @app.get("/docs/static/<path:filename>")
    def swagger_ui_static(filename: str):  # type: ignore[no-untyped-def]
        return send_from_directory(swagger_ui_path, filename)

    return app


def _retry_after_only_on_refusals(response: Response) -> Response:
    if response.status_code < 400:
        response.headers.pop("Retry-After", None)
    return response


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.endpoint not in STATIC_ENDPOINTS:
        # Answers carry personal data (profiles, items, tokens): no browser or proxy cache keeps them.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
