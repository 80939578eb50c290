"""`create_app()`: defaults, then the caller's overrides, then the state and the blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask

from mobile_mock.api import BLUEPRINTS
from mobile_mock.phone import bp as phone_bp
from mobile_mock.state import EXTENSION, MockState

DEFAULTS: dict[str, Any] = {
    "SERVICE_ACCOUNTS": [],  # service-account dicts whose assertions /token accepts
    "SERVICE_ACCOUNT_FILES": [],  # paths of service-account JSON files, same purpose
    "STRICT_TOKENS": False,  # True: only tokens issued by POST /devices are deliverable
    "TOKEN_LIFETIME": 3600,  # seconds an access token lives (expires_in)
    "FAULT_SEED": 0,  # seed used when a fault plan names none
    "MAX_STORED_MESSAGES": 200_000,  # older deliveries are dropped beyond this
    "SSE_KEEPALIVE_SECONDS": 15.0,  # comment line sent on an idle stream; also how soon a gone client is seen
    "API_URL": "http://127.0.0.1:8100",  # the REST API the phone web app (/phone/) talks to
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if config:
        app.config.from_mapping(config)
    app.extensions[EXTENSION] = MockState.from_config(app.config)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(phone_bp)  # the phone web app at /phone/
    return app
