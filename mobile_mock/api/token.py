"""POST /token: Google's OAuth token endpoint for the jwt-bearer grant google-auth makes."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from mobile_mock.oauth import GrantError
from mobile_mock.state import get_state

bp = Blueprint("token", __name__)


@bp.post("/token")
def token() -> ResponseReturnValue:
    """Exchange a signed service-account assertion for an access token."""
    state = get_state()
    if state.faults.config.refuse_tokens:
        # What Google answers for an assertion signed with a deleted or disabled key.
        return jsonify(error="invalid_grant", error_description="Invalid JWT Signature."), 400
    try:
        grant = state.authority.grant(request.form.get("grant_type"), request.form.get("assertion"))
    except GrantError as error:
        return jsonify(error=error.error, error_description=error.description), 400
    return jsonify(grant), 200, {"Cache-Control": "no-store"}
