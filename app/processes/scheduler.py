"""The scheduler process (`swm scheduler`): waits to be leader, then runs one poll job per agency.

Never started inside web workers: APScheduler's job stores must not be shared between schedulers, so
exactly one process schedules, and a second one waits as a standby behind the leader lock.

A leader that loses its lock or its database connection steps down (its jobs stop, see app/processes/leader.py for the
fence that keeps its in-flight cycles from committing) and stands by again in the same process. The process
exits only when told to (SIGTERM, Ctrl-C: status 0), or with status 1 when the database stayed unreachable
longer than SCHEDULER_GIVE_UP_SECONDS or something unexpected broke, so a supervisor restarts it.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import start_http_server
from sqlalchemy.orm import sessionmaker

from app.metrics import record_poll
from app.processes.dispatch_worker import DispatchJob, worker_id
from app.processes.housekeeping import clean_up, maintain_history
from app.processes.leader import DatabaseUnreachable, Fence, LeaderLock, LeadershipLost, fence_sessions, leader_lock_for
from app.processes.webhook_worker import WebhookJob
from core.db import make_engine
from notifications.fanout import fan_out, release_held
from notifications.late_alerts import send_late_alerts
from status_tracker.adapters import build_clients
from status_tracker.agencies import AGENCIES
from status_tracker.apply import ChangeHook
from status_tracker.lateness import StatisticsCache
from status_tracker.polling import Poller, PollPolicy

log = logging.getLogger(__name__)

# coalesce: runs missed while a cycle was slow or the process paused collapse into one; a cycle
#   catches up on everything anyway, so running it N times back to back would only add load.
# max_instances=1: never two cycles of one agency at once (they would race on the feed cursor).
# misfire_grace_time=None: a late cycle still runs, however late; skipping it would only delay news.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}

RECONNECT_FIRST_SECONDS = 0.5  # the first wait before asking an unreachable database again; doubles …
RECONNECT_MAX_SECONDS = 10.0  # … up to this


def build_poller(config: dict[str, Any], on_change: ChangeHook | None = fan_out, *, fence: Fence | None = None,
                 stop: threading.Event | None = None) -> tuple[Poller, httpx.Client]:
    """The poll cycle, wired to notifications: every change fans out in the transaction that records it.

    `fence`: every transaction of the cycle passes it before committing (a leader's term). `stop`: agency
    requests in flight give up when it is set, where the adapters support it.
    """
    engine = make_engine(config["DATABASE_URL"])
    http = httpx.Client(timeout=config["AGENCY_TIMEOUT"])
    policy = PollPolicy(min_interval=config["POLL_MIN_INTERVAL"], max_interval=config["POLL_MAX_INTERVAL"])
    sessions = sessionmaker(engine, expire_on_commit=False)
    if fence is not None:
        fence_sessions(sessions, fence)
    poller = Poller(
        sessions,
        build_clients(config["AGENCY_URL"], http, timeout=config["AGENCY_TIMEOUT"],
                      max_bytes=config["AGENCY_MAX_BYTES"], stop=stop),
        on_change=on_change,
        policy=policy,
        poller_id=worker_id(),
    )
    return poller, http


class Backoff:
    """Waits between reconnection attempts: doubling up to a cap, each drawn at random from its upper half so that
    standbys that lost the database together do not come back in step."""

    def __init__(self, first: float = RECONNECT_FIRST_SECONDS, cap: float = RECONNECT_MAX_SECONDS) -> None:
        self.first, self.cap, self.attempts = first, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2**self.attempts)
        self.attempts += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempts = 0


class AbandonableExecutor(BaseExecutor):
    """Runs each job in a daemon thread of its own, so a job stuck on an agency can be left behind.

    APScheduler's ThreadPoolExecutor uses concurrent.futures, whose worker threads the interpreter joins at exit:
    a process asked to stop would wait for the slowest agency. A poll cycle holds no transaction while it waits
    for an agency, so abandoning it loses nothing; the next cycle redoes it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._running: dict[threading.Thread, str] = {}
        self._guard = threading.Lock()

    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        thread = threading.Thread(target=self._run, args=(job, run_times), name=f"job {job.id}", daemon=True)
        with self._guard:  # registered and started at once: wait() joins only started threads
            self._running[thread] = job.id
            thread.start()

    def _run(self, job: Any, run_times: list[Any]) -> None:
        try:
            events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException as exc:
            self._run_job_error(job.id, exc, exc.__traceback__)
        else:
            self._run_job_success(job.id, events)
        finally:
            with self._guard:
                self._running.pop(threading.current_thread(), None)

    def wait(self, timeout: float) -> list[str]:
        """Wait up to `timeout` seconds for the jobs in flight; the ids of those still running."""
        deadline = time.monotonic() + timeout
        with self._guard:
            threads = list(self._running)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._guard:
            return sorted(self._running.values())


def run_scheduler(config: dict[str, Any], on_change: ChangeHook | None = fan_out,
                  stop_event: threading.Event | None = None) -> int:
    """Stand by, lead, step down when leadership is lost, stand by again … until `stop_event` is set (by default:
    SIGTERM or Ctrl-C). The exit status: 0 when stopped, 1 when it gave up."""
    stop = stop_event or threading.Event()
    if stop_event is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())

    lock = leader_lock_for(config.get("LEADER_DATABASE_URL") or config["DATABASE_URL"])
    give_up = config["SCHEDULER_GIVE_UP_SECONDS"]
    reconnect = Backoff()
    unreachable_since: float | None = None
    metrics_started = False
    log.info("scheduler standing by for leadership", extra={"pid": os.getpid()})
    try:
        while not stop.is_set():
            try:
                leading = lock.acquire(cancel=stop)
            except DatabaseUnreachable as exc:
                now = time.monotonic()
                unreachable_since = unreachable_since or now
                down = now - unreachable_since
                if give_up and down >= give_up:
                    log.error("database unreachable: giving up", extra={"seconds": round(down, 1), "error": str(exc)})
                    return 1
                delay = reconnect.next()
                if give_up:
                    delay = min(delay, give_up - down)
                log.warning("database unreachable: standing by", extra={
                    "seconds": round(down, 1), "retry_in": round(delay, 2), "error": str(exc)})
                stop.wait(delay)
                continue
            unreachable_since = None
            reconnect.reset()
            if not leading:
                stop.wait(config["LEADER_CHECK_SECONDS"])
                continue

            log.info("scheduler is the leader", extra={"pid": os.getpid()})
            if config["WORKER_METRICS_PORT"] and not metrics_started:
                start_http_server(config["WORKER_METRICS_PORT"], addr="127.0.0.1")
                metrics_started = True
            _lead(config, lock, stop, on_change)
            if not stop.is_set():
                lock.release()
                log.warning("leader stepped down", extra={"pid": os.getpid()})
        return 0
    except Exception:
        log.exception("scheduler failed")
        return 1
    finally:
        lock.release()
        log.info("scheduler stopped", extra={"pid": os.getpid()})


def _lead(config: dict[str, Any], lock: LeaderLock, stop: threading.Event, on_change: ChangeHook | None) -> None:
    """One term of leadership: poll until asked to stop or until the lock can no longer be confirmed."""
    term_over = threading.Event()
    poller, http = build_poller(config, on_change, fence=lock.fence(), stop=term_over)
    executor = AbandonableExecutor()
    scheduler = BackgroundScheduler(executors={"default": executor}, job_defaults=JOB_DEFAULTS, timezone="UTC")

    @_as_leader
    def poll(agency: str) -> None:
        record_poll(poller.poll(agency))

    for agency in AGENCIES:
        scheduler.add_job(poll, "interval", seconds=config["POLL_SECONDS"], args=[agency], id=f"poll:{agency}")
    scheduler.add_job(_as_leader(_release_held), "interval", seconds=30, args=[poller], id="quiet-hours")
    scheduler.add_job(_as_leader(_housekeeping), "interval", minutes=10, args=[poller, config], id="housekeeping")
    scheduler.add_job(_as_leader(_late_alerts), "interval", seconds=config["LATE_ALERT_SECONDS"],
                      args=[poller, StatisticsCache()], id="late-alerts")
    dispatch = DispatchJob(config) if config["DISPATCH_IN_SCHEDULER"] else None
    if dispatch is not None:
        scheduler.add_job(dispatch, "interval", seconds=1, id="dispatch")
    webhooks = WebhookJob(config) if config.get("WEBHOOKS_IN_SCHEDULER") else None
    if webhooks is not None:
        scheduler.add_job(webhooks, "interval", seconds=1, id="webhooks")
    scheduler.start()
    try:
        while not stop.wait(config["LEADER_CHECK_SECONDS"]):
            if not lock.held():
                log.error("leadership lost: stopping polling", extra={"pid": os.getpid()})
                break
    finally:
        term_over.set()
        scheduler.shutdown(wait=False)
        abandoned = executor.wait(config["SCHEDULER_STOP_GRACE_SECONDS"])
        if abandoned:
            # Safe to leave: they commit nothing once the term is over (the fence), and are redone next time.
            log.warning("jobs in flight abandoned", extra={"jobs": abandoned})
        if dispatch is not None and "dispatch" not in abandoned:
            dispatch.close()
        if webhooks is not None and "webhooks" not in abandoned:
            webhooks.close()
        http.close()
        poller.sessions.kw["bind"].dispose()


def _as_leader(job: Callable[..., None]) -> Callable[..., None]:
    """`job`, with a commit refused by the fence logged as what it is rather than as a failure."""

    @functools.wraps(job)
    def run(*args: Any) -> None:
        try:
            job(*args)
        except LeadershipLost as exc:
            log.warning("job not committed: no longer the leader", extra={"job": job.__name__, "args": [
                a for a in args if isinstance(a, str)], "error": str(exc)})

    return run


def _release_held(poller: Poller) -> None:
    with poller.sessions.begin() as session:
        released = release_held(session)
    if released:
        log.info("quiet hours over: digests released", extra={"messages": released})


def _late_alerts(poller: Poller, statistics: StatisticsCache) -> None:
    with poller.sessions.begin() as session:
        sent = send_late_alerts(session, cache=statistics)
    if sent:
        log.info("late alerts sent", extra={"alerts": sent})


def _housekeeping(poller: Poller, config: dict[str, Any]) -> None:
    with poller.sessions.begin() as session:
        removed = clean_up(session, config["JWT_REFRESH_TOKEN_EXPIRES"],
                           event_retention=timedelta(days=config.get("EVENT_RETENTION_DAYS", 35)))
    log.info("housekeeping", extra=removed)
    with poller.sessions.begin() as session:
        history = maintain_history(session, config)
    log.info("history partitions and retention", extra=history)
