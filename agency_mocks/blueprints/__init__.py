"""The app's blueprints: one per agency, in its polling style, plus the app-wide root routes."""

from __future__ import annotations

from flask import Flask

from agency_mocks.blueprints import gacc, msa, root
from agency_mocks.blueprints.batch import batch_blueprint
from agency_mocks.blueprints.throttled import throttled_blueprint

RATE_LIMITED_AGENCIES = ("sta", "bank")


def register_blueprints(app: Flask) -> None:
    for blueprint in (
        root.blueprint,
        gacc.blueprint,
        batch_blueprint("mofcom"),
        batch_blueprint("ccpit"),
        msa.blueprint,
        *(throttled_blueprint(agency) for agency in RATE_LIMITED_AGENCIES),
    ):
        app.register_blueprint(blueprint)
