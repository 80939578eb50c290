"""The 14 kinds of clearance status, their agencies, reference formats and native codes."""

from __future__ import annotations

from flask.views import MethodView

from app.web.api.status_kinds.schemas import KindSchema
from app.web.language import response_language
from app.web.smorest import Blueprint
from status_tracker.kinds import KINDS, localized

blp = Blueprint("status-kinds", __name__, url_prefix="/status-kinds", description="The 14 kinds of status")

ACCEPT_LANGUAGE = {
    "in": "header",
    "name": "Accept-Language",
    "required": False,
    "description": "zh-CN (default) or en",
    "schema": {"type": "string"},
}


@blp.route("")
class StatusKinds(MethodView):
    @blp.doc(parameters=[ACCEPT_LANGUAGE])
    @blp.response(200, KindSchema(many=True))
    def get(self):
        """List the kinds with their native codes and normalized stages"""
        lang = response_language()
        return [localized(kind, lang) for kind in KINDS.values()]
