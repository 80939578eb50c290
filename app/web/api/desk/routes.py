"""The customer-service desk (95198): search any case, open it, resend a push, leave a note. Every call
is audited (desk/service.py); only the customer_service role gets in."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.web.api.common import commit
from app.web.api.desk.schemas import (
    CaseNoteSchema,
    CaseSchema,
    NoteInSchema,
    ReasonArgs,
    ReasonBody,
    ResendSchema,
    SearchArgs,
    SearchResultSchema,
)
from app.web.clearance_stats import cached_stats
from app.web.extensions import db
from app.web.smorest import Blueprint
from core.errors import NotFound
from core.models import Role
from desk import service

blp = Blueprint("desk", __name__, url_prefix="/desk", description="Customer-service desk (95198)")


@blp.route("/search")
class Search(MethodView):
    @blp.login_required(Role.CUSTOMER_SERVICE)
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchResultSchema)
    def get(self, args):
        """Find items, companies and users across all companies by any reference, company or phone"""
        result = service.find(db.session, current_user, args["q"], reason=args.get("reason"))
        commit()
        return result


@blp.route("/cases/<id:item_id>")
class CaseById(MethodView):
    @blp.login_required(Role.CUSTOMER_SERVICE)
    @blp.arguments(ReasonArgs, location="query")
    @blp.response(200, CaseSchema)
    def get(self, args, item_id):
        """An item with its parties, timeline, expectations, subscriptions, pushes with their delivery log,
        recipients' devices (tokens masked) and the desk's notes"""
        try:
            case = service.open_case(db.session, current_user, item_id, cached_stats(db.session),
                                     reason=args.get("reason"))
        except NotFound:
            commit()  # the audit entry of the lookup, then the 404
            raise
        commit()
        return case


@blp.route("/cases/<id:item_id>/notes")
class Notes(MethodView):
    @blp.login_required(Role.CUSTOMER_SERVICE)
    @blp.idempotent
    @blp.arguments(NoteInSchema)
    @blp.response(201, CaseNoteSchema)
    def post(self, data, item_id):
        """Leave a note on the case (seen by the desk only)"""
        note = service.add_note(db.session, current_user, item_id, data["body"], reason=data.get("reason"))
        commit()
        return note


@blp.route("/notifications/<id:notification_id>/resend")
class Resend(MethodView):
    @blp.login_required(Role.CUSTOMER_SERVICE)
    @blp.idempotent
    @blp.arguments(ReasonBody)
    @blp.response(202, ResendSchema)
    @blp.alt_response(409, description="The user has no active device")
    def post(self, data, notification_id):
        """Push a notification again, now, to each active device of its user"""
        queued = service.resend_notification(db.session, current_user, notification_id, reason=data.get("reason"))
        commit()
        return {"notification_id": notification_id, "queued": queued}
