"""Prometheus metrics: the scheduler's own counters, and agency health read from the database for /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app.extensions import db
from status_tracker.db import utcnow
from status_tracker.models import AgencyState, ClearanceItem, StatusEvent
from status_tracker.polling import PollResult

# Counted in the scheduler process (served on its own metrics port).
POLLS = Counter("swm_scheduler_polls_total", "Poll cycles run", ["agency", "outcome"])
EVENTS = Counter("swm_scheduler_events_total", "Status events ingested", ["agency"])
PROBLEMS = Counter("swm_scheduler_parse_problems_total", "Unreadable parts of agency payloads", ["agency"])


def record_poll(result: PollResult) -> None:
    outcome = "skipped" if not result.polled else ("error" if result.error else "ok")
    POLLS.labels(result.agency, outcome).inc()
    EVENTS.labels(result.agency).inc(result.events)
    PROBLEMS.labels(result.agency).inc(len(result.problems))


class AgencyHealthCollector(Collector):
    """What any API instance can report, whichever process is the scheduler: it reads the database."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        states = db.session.scalars(select(AgencyState)).all()
        gauges = {
            "polls": GaugeMetricFamily("swm_agency_polls", "Poll cycles run, all schedulers", labels=["agency"]),
            "errors": GaugeMetricFamily("swm_agency_poll_errors", "Failed poll cycles", labels=["agency"]),
            "events": GaugeMetricFamily("swm_agency_events_ingested", "Status events ingested", labels=["agency"]),
            "lag": GaugeMetricFamily("swm_agency_lag_seconds", "Seconds since the last successful poll",
                                     labels=["agency"]),
            "backlog": GaugeMetricFamily("swm_agency_feed_backlog", "Feed receipts not read yet", labels=["agency"]),
            "breaker": GaugeMetricFamily("swm_agency_breaker_open", "1 while the circuit breaker is open",
                                         labels=["agency"]),
            "failures": GaugeMetricFamily("swm_agency_consecutive_failures", "Failures in a row", labels=["agency"]),
        }
        for s in states:
            gauges["polls"].add_metric([s.agency], s.polls_total)
            gauges["errors"].add_metric([s.agency], s.errors_total)
            gauges["events"].add_metric([s.agency], s.events_total)
            if s.last_success_at:
                gauges["lag"].add_metric([s.agency], (now - s.last_success_at).total_seconds())
            gauges["backlog"].add_metric([s.agency], s.feed_backlog)
            gauges["breaker"].add_metric([s.agency], int(bool(s.breaker_open_until and s.breaker_open_until > now)))
            gauges["failures"].add_metric([s.agency], s.consecutive_failures)
        yield from gauges.values()
        items = GaugeMetricFamily("swm_items_tracked", "Clearance items tracked", labels=["stage"])
        for stage, count in db.session.execute(select(ClearanceItem.stage, func.count()).group_by(ClearanceItem.stage)):
            items.add_metric([stage or "unknown"], count)
        yield items
        events = GaugeMetricFamily("swm_status_events", "Status events stored")
        events.add_metric([], db.session.scalar(select(func.count()).select_from(StatusEvent)) or 0)
        yield events


blp = Blueprint("metrics", __name__)
_registry = CollectorRegistry()
_registry.register(AgencyHealthCollector())


@blp.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(_registry), mimetype=CONTENT_TYPE_LATEST)
