"""The 14 kinds of clearance status, their agencies, reference formats and native codes."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from app.web.api.status_kinds.schemas import KindSchema
from app.web.conditional import PUBLIC_HOUR, etag, headers, not_modified
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
    @blp.conditional
    @blp.response(200, KindSchema(many=True))
    def get(self):
        """List the kinds with their native codes and normalized stages"""
        body, tag = _answer(response_language())
        return not_modified(tag, PUBLIC_HOUR) or Response(body, mimetype="application/json",
                                                          headers=headers(tag, PUBLIC_HOUR))


def _answer(lang: str) -> tuple[bytes, str]:
    """The kinds change only with a release: dumped through KindSchema (the contract) once per language and app."""
    kept = current_app.extensions.setdefault("swm_status_kinds", {})
    if lang not in kept:
        body = current_app.json.response(KindSchema(many=True).dump([localized(k, lang) for k in KINDS.values()]))
        kept[lang] = (body.get_data(), etag(body.get_data()))
    return kept[lang]
