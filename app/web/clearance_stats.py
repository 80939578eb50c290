"""Clearance-time statistics for expectations, cached per application for a few minutes: every item page
asks for them, and the history they summarize moves slowly. Only figures that aggregate enough items from
enough companies (SWM_STATS_MIN_ITEMS, SWM_STATS_MIN_COMPANIES) are used."""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy.orm import Session

from core.db import utcnow
from status_tracker.clearance_times import (
    ESTIMATE_WINDOW,
    Minimum,
    StatsSource,
    TransitionTable,
    clearance_times,
    publishable,
    transition_table,
)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[tuple[str, str | None], tuple[float, TransitionTable]] = {}


def stats_minimum() -> Minimum:
    config = current_app.config
    return Minimum(items=config["STATS_MIN_ITEMS"], companies=config["STATS_MIN_COMPANIES"])


def cached_stats(session: Session) -> StatsSource:
    seconds = current_app.config["STATS_CACHE_SECONDS"]
    cache: _Cache = current_app.extensions.setdefault("swm_stats_cache", _Cache())
    minimum = stats_minimum()

    def stats(kind: str, customs_office: str | None) -> TransitionTable:
        key = (kind, customs_office)
        with cache.lock:
            hit = cache.entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        until = utcnow()
        table = transition_table(publishable(
            clearance_times(session, since=until - ESTIMATE_WINDOW, until=until, kind=kind,
                            customs_office=customs_office), minimum))
        with cache.lock:
            cache.entries[key] = (time.monotonic() + seconds, table)
        return table

    return stats
