"""Prometheus metrics: the scheduler's and the dispatcher's own counters, and agency health and the outbox read
from the database for /metrics."""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_smorest import abort
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app.web.extensions import db
from core.db import utcnow
from notifications.dispatcher import DispatchResult
from notifications.models import OUTBOX_STATES, OutboxMessage
from status_tracker.models import AgencyState, ClearanceItem
from status_tracker.polling import PollResult
from status_tracker.quarantine import rejected_counts

# Counted in the scheduler process (served on its own metrics port).
POLLS = Counter("swm_scheduler_polls_total", "Poll cycles run", ["agency", "outcome"])
EVENTS = Counter("swm_scheduler_events_total", "Status events ingested", ["agency"])
PROBLEMS = Counter("swm_scheduler_parse_problems_total", "Unreadable parts of agency payloads", ["agency"])
REJECTED = Counter("swm_scheduler_rejected_receipts_total", "Receipts quarantined by poll cycles", ["agency"])

# Counted in each dispatcher process (served on its own metrics port).
PUSHES_SENT = Counter("swm_dispatch_sent_total", "Pushes FCM accepted")
PUSHES_RETRIED = Counter("swm_dispatch_retried_total", "Pushes put back to be tried again later")
PUSHES_DEAD_LETTERED = Counter("swm_dispatch_dead_lettered_total", "Pushes given up on (outbox state dead)")
DEAD_TOKENS = Counter("swm_dispatch_dead_tokens_total", "Devices deactivated because FCM said their token is dead")
PUSH_ERRORS = Counter("swm_dispatch_errors_total", "FCM refusals by error code", ["code"])
PAUSES = Counter("swm_dispatch_pauses_total", "Times sending paused because FCM failed for a whole batch",
                 ["reason"])
AUTH_FAILURES = Counter("swm_dispatch_auth_failures_total",
                        "Times our FCM credential failed (token refused or unreachable, access token refused)")
READY = Gauge("swm_dispatch_ready", "1 while this dispatcher sends: its credential works and FCM is not paused")


def record_poll(result: PollResult) -> None:
    outcome = "skipped" if not result.polled else ("error" if result.error else "ok")
    POLLS.labels(result.agency, outcome).inc()
    EVENTS.labels(result.agency).inc(result.events)
    PROBLEMS.labels(result.agency).inc(len(result.problems))
    REJECTED.labels(result.agency).inc(result.rejected)


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
            "cursor_age": GaugeMetricFamily(
                "swm_agency_cursor_age_seconds",
                "Feed agencies: seconds since the cursor last moved or the feed was last read to its end",
                labels=["agency"]),
            "rejected": GaugeMetricFamily("swm_agency_rejected_receipts",
                                          "Receipts quarantined instead of applied (swm receipts rejected)",
                                          labels=["agency"]),
        }
        rejected = rejected_counts(db.session)
        for s in states:
            gauges["polls"].add_metric([s.agency], s.polls_total)
            gauges["errors"].add_metric([s.agency], s.errors_total)
            gauges["events"].add_metric([s.agency], s.events_total)
            if s.last_success_at:
                gauges["lag"].add_metric([s.agency], (now - s.last_success_at).total_seconds())
            gauges["backlog"].add_metric([s.agency], s.feed_backlog)
            gauges["breaker"].add_metric([s.agency], int(bool(s.breaker_open_until and s.breaker_open_until > now)))
            gauges["failures"].add_metric([s.agency], s.consecutive_failures)
            if s.cursor_moved_at:
                gauges["cursor_age"].add_metric([s.agency], (now - s.cursor_moved_at).total_seconds())
            gauges["rejected"].add_metric([s.agency], rejected.pop(s.agency, 0))
        for agency, count in rejected.items():  # an agency without a state row yet
            gauges["rejected"].add_metric([agency], count)
        yield from gauges.values()
        items = GaugeMetricFamily("swm_items_tracked", "Clearance items tracked", labels=["stage"])
        for stage, count in db.session.execute(select(ClearanceItem.stage, func.count()).group_by(ClearanceItem.stage)):
            items.add_metric([stage or "unknown"], count)
        yield items


def record_dispatch(result: DispatchResult) -> None:
    PUSHES_SENT.inc(result.sent)
    PUSHES_DEAD_LETTERED.inc(result.dead_lettered)
    DEAD_TOKENS.inc(result.dead_tokens)
    PUSHES_RETRIED.inc(result.retried)
    for code, n in result.error_codes.items():
        PUSH_ERRORS.labels(code).inc(n)
    AUTH_FAILURES.inc(result.auth_failures)
    if result.paused_for:
        PAUSES.labels(result.paused_for).inc()


Readiness = Callable[[], dict[str, Any]]  # {"ready": bool, …why not}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Probes every few seconds are not news."""


def watch_readiness(readiness: Readiness) -> None:
    """swm_dispatch_ready follows this process's dispatcher (a worker, or the scheduler's dispatch job)."""
    READY.set_function(lambda: float(bool(readiness()["ready"])))


def serve_dispatcher_http(port: int, readiness: Readiness, host: str = "127.0.0.1") -> Callable[[], None]:
    """A dispatcher's port: Prometheus' `/metrics`, and `/ready` (200 while it sends; 503 with the reason while
    its credential fails or FCM is paused, so a load balancer or an orchestrator holds off). Returns `stop()`."""
    metrics_app = make_wsgi_app(REGISTRY)
    watch_readiness(readiness)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/ready":
            state = readiness()
            body = json.dumps(state).encode()
            start_response("200 OK" if state["ready"] else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return metrics_app(environ, start_response)

    server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"dispatcher http :{port}", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


class OutboxCollector(Collector):
    """The outbox as operators watch it, whichever process dispatches: dead letters, backlog, its age."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = GaugeMetricFamily("swm_outbox_messages", "Outbox rows by state (dead: dead letters to look at)",
                                 labels=["state"])
        counts = dict(db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        for state in OUTBOX_STATES:
            rows.add_metric([state], counts.get(state, 0))
        yield rows
        now = utcnow()
        oldest = db.session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                                   .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now))
        lag = GaugeMetricFamily("swm_outbox_oldest_due_seconds", "How long the oldest due push has been waiting")
        lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield lag


blp = Blueprint("metrics", __name__)
_registry = CollectorRegistry()
_registry.register(AgencyHealthCollector())
_registry.register(OutboxCollector())

# Per request, labelled by the route's rule ("/clearances/<id:item_id>"), never the raw path: the label values
# are as many as the routes, whatever ids or garbage the clients send. Each API process counts its own.
HTTP_REQUESTS = Counter("swm_http_requests_total", "HTTP requests answered, by route, method and status",
                        ["endpoint", "method", "status"], registry=_registry)
HTTP_LATENCY = Histogram("swm_http_request_duration_seconds", "Time to answer an HTTP request, by route",
                         ["endpoint", "method"], registry=_registry,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _endpoint_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def init_request_metrics(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = _endpoint_label()
            method = request.method if request.method in KNOWN_METHODS else "other"
            HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
            HTTP_LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)
        return response


@blp.get("/metrics")
def metrics() -> Response:
    """For Prometheus. The gauges tell outsiders how busy the platform and each agency is: with
    SWM_METRICS_TOKEN set only its bearer gets them, and production without one does not serve them here."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        if current_app.config["SWM_ENV"] == "production":
            abort(404)
    elif not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        abort(401, message="/metrics needs the bearer token of SWM_METRICS_TOKEN",
              headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    # content_type, not mimetype: CONTENT_TYPE_LATEST names its charset already.
    return Response(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)
