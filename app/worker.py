"""The scheduler process (`swm scheduler`): waits to be leader, then runs one poll job per agency.

Never started inside web workers: APScheduler's job stores must not be shared between schedulers, so
exactly one process schedules, and a second one waits as a standby behind the leader lock.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

import httpx
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import start_http_server
from sqlalchemy.orm import sessionmaker

from app.dispatch_worker import DispatchJob
from app.housekeeping import clean_up
from app.leader import leader_lock_for
from app.metrics import record_poll
from notifications.fanout import fan_out, release_held
from status_tracker.adapters import build_clients
from status_tracker.agencies import AGENCIES
from status_tracker.apply import ChangeHook
from status_tracker.db import make_engine
from status_tracker.polling import Poller, PollPolicy

log = logging.getLogger(__name__)

# coalesce: runs missed while a cycle was slow or the process paused collapse into one; a cycle
#   catches up on everything anyway, so running it N times back to back would only add load.
# max_instances=1: never two cycles of one agency at once (they would race on the feed cursor).
# misfire_grace_time=None: a late cycle still runs, however late; skipping it would only delay news.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def build_poller(config: dict[str, Any], on_change: ChangeHook | None = fan_out) -> tuple[Poller, httpx.Client]:
    """The poll cycle, wired to notifications: every change fans out in the transaction that records it."""
    engine = make_engine(config["DATABASE_URL"])
    http = httpx.Client(timeout=config["AGENCY_TIMEOUT"])
    policy = PollPolicy(min_interval=config["POLL_MIN_INTERVAL"], max_interval=config["POLL_MAX_INTERVAL"])
    poller = Poller(
        sessionmaker(engine, expire_on_commit=False),
        build_clients(config["AGENCY_URL"], http,
                      timeout=config["AGENCY_TIMEOUT"], max_bytes=config["AGENCY_MAX_BYTES"]),
        on_change=on_change,
        policy=policy,
        poller_id=f"{socket.gethostname()}:{os.getpid()}",
    )
    return poller, http


def run_scheduler(config: dict[str, Any], on_change: ChangeHook | None = fan_out) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    lock = leader_lock_for(config["DATABASE_URL"])
    log.info("scheduler standing by for leadership", extra={"pid": os.getpid()})
    while not lock.acquire():
        if stop.wait(1.0):
            return
    log.info("scheduler is the leader", extra={"pid": os.getpid()})

    if config["WORKER_METRICS_PORT"]:
        start_http_server(config["WORKER_METRICS_PORT"], addr="127.0.0.1")
    poller, http = build_poller(config, on_change)
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(len(AGENCIES) + 2)}, job_defaults=JOB_DEFAULTS, timezone="UTC"
    )

    def poll(agency: str) -> None:
        record_poll(poller.poll(agency))

    for agency in AGENCIES:
        scheduler.add_job(poll, "interval", seconds=config["POLL_SECONDS"], args=[agency], id=f"poll:{agency}")
    scheduler.add_job(_release_held, "interval", seconds=30, args=[poller], id="quiet-hours")
    scheduler.add_job(_housekeeping, "interval", minutes=10, args=[poller, config], id="housekeeping")
    dispatch = DispatchJob(config) if config["DISPATCH_IN_SCHEDULER"] else None
    if dispatch is not None:
        scheduler.add_job(dispatch, "interval", seconds=1, id="dispatch")
    scheduler.start()
    try:
        while not stop.wait(1.0):
            if not lock.held():
                log.error("leadership lost; stopping so that a standby can take over")
                break
    finally:
        scheduler.shutdown(wait=True)
        if dispatch is not None:
            dispatch.close()
        http.close()
        lock.release()
        log.info("scheduler stopped", extra={"pid": os.getpid()})


def _release_held(poller: Poller) -> None:
    with poller.sessions.begin() as session:
        released = release_held(session)
    if released:
        log.info("quiet hours over: digests released", extra={"messages": released})


def _housekeeping(poller: Poller, config: dict[str, Any]) -> None:
    with poller.sessions.begin() as session:
        removed = clean_up(session, config["JWT_REFRESH_TOKEN_EXPIRES"])
    log.info("housekeeping", extra=removed)
