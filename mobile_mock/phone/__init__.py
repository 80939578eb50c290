"""The phone web app: static pages under /phone/ and the API base URL they talk to (/phone/config.json).

Plain HTML, JS modules and CSS, no build step. The page calls the REST API (another origin: the API must
allow this one through CORS, e.g. `SWM_CORS_ORIGINS=http://127.0.0.1:8102`) and this mock's own
`/devices` endpoints (same origin) for its device token and its push stream.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, redirect, request, send_from_directory
from flask.typing import ResponseReturnValue

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_API_URL = "http://127.0.0.1:8100"  # `make demo`'s API

bp = Blueprint("phone", __name__, url_prefix="/phone")


@bp.after_request
def no_stale_pages(response: Response) -> Response:
    # A demo tool: always the files as they are on disk, never a cached older module next to a newer one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("")
def slash() -> ResponseReturnValue:
    return redirect(request.path + "/", code=308)  # relative module paths need the trailing slash


@bp.get("/")
def index() -> ResponseReturnValue:
    return send_from_directory(STATIC, "index.html")


@bp.get("/config.json")
def config() -> ResponseReturnValue:
    """Where the page finds the API, and this mock (for device tokens and the push stream)."""
    api_url = (current_app.config.get("API_URL") or DEFAULT_API_URL).rstrip("/")
    return jsonify(api_url=api_url, push_url=request.host_url.rstrip("/"))


@bp.get("/<path:filename>")
def static_file(filename: str) -> ResponseReturnValue:
    return send_from_directory(STATIC, filename)
