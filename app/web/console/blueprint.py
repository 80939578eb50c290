"""The console's blueprint and its settings; session.py and views.py register on it."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from flask_wtf.csrf import CSRFProtect

# A desk shift: after it, the agent signs in again (and a form opened during it still posts).
SHIFT = timedelta(hours=12)

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
csrf = CSRFProtect()


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    app = state.app
    app.secret_key = app.config["JWT_SECRET_KEY"]  # production's check on that secret covers this one too
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in the console's before_request only (session.py)
        WTF_CSRF_TIME_LIMIT=int(SHIFT.total_seconds()),
        SESSION_COOKIE_NAME="swm_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("SWM_ENV") == "production",
    )
    csrf.init_app(app)
