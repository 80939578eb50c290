"""The desk's audit log (administrators only)."""

from __future__ import annotations

from flask.views import MethodView

from app.web.api.audit.schemas import AuditArgs, AuditEntrySchema
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.models import Role
from desk.service import AuditFilter, audit_entries

blp = Blueprint("audit", __name__, url_prefix="/audit", description="Audit log of the desk (admin)")


@blp.route("")
class Audit(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, args):
        """Who looked at or did what through the desk, newest first"""
        limit, before = args.pop("limit"), args.pop("before", None)
        return audit_entries(db.session, AuditFilter(**args), limit=limit, before=before)
