"""Clearance-time statistics (时效评估): how long each step takes, per kind, office and period."""

from __future__ import annotations

from flask.views import MethodView

from app.api.stats.schemas import ClearanceTimesArgs, ClearanceTimesSchema
from app.extensions import db
from app.smorest import Blueprint
from status_tracker.clearance_times import clearance_times

blp = Blueprint("stats", __name__, url_prefix="/stats", description="Clearance-time statistics")


@blp.route("/clearance-times")
class ClearanceTimes(MethodView):
    @blp.login_required()
    @blp.arguments(ClearanceTimesArgs, location="query")
    @blp.response(200, ClearanceTimesSchema)
    def get(self, args):
        """p50 and p90 durations per kind and stage transition, over the transitions that ended in the period"""
        since, until, kind, office = args["since"], args["until"], args.get("kind"), args.get("customs_office")
        transitions = clearance_times(db.session, since=since, until=until, kind=kind, customs_office=office)
        return {"since": since, "until": until, "kind": kind, "customs_office": office, "transitions": transitions}
