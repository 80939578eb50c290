"""Clearance-time statistics (时效评估): how long each step takes, per kind, office and period."""

from __future__ import annotations

from flask.views import MethodView

from app.web.api.stats.schemas import ClearanceTimesArgs, ClearanceTimesSchema
from app.web.clearance_stats import stats_minimum
from app.web.extensions import db
from app.web.smorest import Blueprint
from status_tracker.clearance_times import clearance_times, publishable

blp = Blueprint("stats", __name__, url_prefix="/stats", description="Clearance-time statistics")


@blp.route("/clearance-times")
class ClearanceTimes(MethodView):
    @blp.login_required()
    @blp.arguments(ClearanceTimesArgs, location="query")
    @blp.response(200, ClearanceTimesSchema)
    def get(self, args):
        """p50 and p90 durations per kind and stage transition, over the transitions that ended in the period

        A transition is shown only when it aggregates enough items from enough companies (the minimum is in the
        answer), so that no figure is one competitor's item. Nor is it said what was withheld: that a step was
        made at all, at an office in a period, is itself news about someone's item."""
        since, until, kind, office = args["since"], args["until"], args.get("kind"), args.get("customs_office")
        transitions = clearance_times(db.session, since=since, until=until, kind=kind, customs_office=office)
        minimum = stats_minimum()
        return {"since": since, "until": until, "kind": kind, "customs_office": office,
                "transitions": publishable(transitions, minimum), "minimum": minimum}
