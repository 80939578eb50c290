"""Liveness and readiness for operators and load balancers."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import text

from app.web.extensions import db
from app.web.smorest import Blueprint
from core.i18n import N_

blp = Blueprint("operations", __name__, description="Health of the service")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200)
    def get(self):
        """The process is up"""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.response(200)
    @blp.alt_response(503, description="The database cannot be reached")
    def get(self):
        """The service can reach its database"""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
            abort(503, message=N_("database unavailable: {error}").format(error=type(exc).__name__))
        return {"status": "ready"}
