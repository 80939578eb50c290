"""Late alerts: what one run of the job costs as the number of open items that are ON TIME grows (1 k → 100 k),
with the same 20 late ones and the same finished history. Side by side in the same run:

* ours — `status_tracker.lateness.overdue_items`: index ranges on (kind, stage, stage_entered_at) below each
  threshold, so on-time items are not read;
* scan — the baseline a plain implementation would be: read every open item's stage and entry time and compare
  each with its threshold in Python (the same statistics, the same answer).

The statistics (clearance_times over the last 90 days) are computed once per run by both, and are timed on their
own: they read the items that moved in the window, as the desk's statistics do, so they are not free either. The
on-time items here entered their stage before the window (they moved 100 days ago), so the figures isolate the
item selection. Each figure is the median of 5 runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bench.common import backends, engine_for, fresh_database, print_table
from core.db import utcnow
from core.models import Company
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.clearance_times import ESTIMATE_WINDOW, clearance_times
from status_tracker.clearances import track_item
from status_tracker.lateness import StatisticsCache, _by_kind, overdue_items, usual_step
from status_tracker.models import ClearanceItem
from status_tracker.parties import AgencyParty
from status_tracker.stages import Stage

RUNS = 5
LATE = 20
HISTORY = 40


def _setup(url: str, on_time: int) -> None:
    engine = engine_for(url)
    now = utcnow()
    with Session(engine) as session:
        company = Company(name="基准企业", uscc="91310000MA1BENCH0X", created_at=now)
        session.add(company)
        session.flush()
        parties = (AgencyParty("declarant", company.uscc),)
        updates = []
        for n in range(HISTORY):  # accepted → released in 1 … 40 hours, in the last month
            item, _ = track_item(session, company_id=company.id, user_id=None, kind="customs_declaration",
                                 reference=f"22332026300{n:07d}")
            start = now - timedelta(days=20, hours=n)
            updates += [(item.id, StatusUpdate("h1", 1, "L", None, start, parties)),
                        (item.id, StatusUpdate("h2", 2, "P", None, start + timedelta(hours=1 + n), parties))]
        apply_updates(session, updates, now=now)
        session.commit()
    rows = [{"kind": "customs_declaration", "reference": f"22332026400{n:07d}", "customs_office": "2233",
             "stage": "accepted", "current_code": "L", "unknown_code": False,
             # Late ones entered 10 days ago; on-time ones an hour ago, but moved (updated) 100 days ago, outside
             # the statistics' window: what is measured is the item selection.
             "stage_entered_at": now - (timedelta(days=10) if n < LATE else timedelta(hours=1)),
             "created_at": now - timedelta(days=100), "updated_at": now - timedelta(days=100)}
            for n in range(LATE + on_time)]
    with engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(ClearanceItem), rows[start:start + 20_000])
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def _scan(session: Session, now) -> list[int]:  # type: ignore[no-untyped-def]
    """The baseline: every open item read, compared in Python against the same thresholds."""
    kinds = _by_kind(clearance_times(session, since=now - ESTIMATE_WINDOW, until=now))
    late = []
    for item_id, kind, stage, entered in session.execute(
            select(ClearanceItem.id, ClearanceItem.kind, ClearanceItem.stage, ClearanceItem.stage_entered_at)
            .where(ClearanceItem.stage.is_not(None))):
        step = usual_step(kinds.get(kind, {}), Stage(stage))
        if step is not None and entered is not None and (now - entered).total_seconds() > step.p90_seconds:
            late.append(item_id)
    return late


def _median_ms(job) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        job()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.late_alerts", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000", help="on-time open items, comma-separated")
    args = parser.parse_args(argv)
    rows = []
    for backend in backends():
        for size in (int(s) for s in args.sizes.split(",")):
            with fresh_database(backend, "swm_bench_late") as url:
                _setup(url, size)
                engine = engine_for(url)
                with Session(engine) as session:
                    now = utcnow()
                    ours = sorted(o.item_id for o in overdue_items(session, now=now))
                    assert ours == sorted(_scan(session, now)) and len(ours) == LATE, (len(ours), LATE)
                    stats_ms = _median_ms(lambda s=session, t=now: clearance_times(s, since=t - ESTIMATE_WINDOW,
                                                                                   until=t))
                    ours_ms = _median_ms(lambda s=session, t=now: overdue_items(s, now=t))
                    # As the scheduler runs it: the statistics kept from an earlier run within the hour.
                    cache = StatisticsCache()
                    overdue_items(session, now=now, cache=cache)
                    kept_ms = _median_ms(lambda s=session, t=now, c=cache: overdue_items(s, now=t, cache=c))
                    scan_ms = _median_ms(lambda s=session, t=now: _scan(s, t))
                engine.dispose()
            rows.append([backend, f"{size:,}", f"{stats_ms:.1f}", f"{ours_ms:.1f}", f"{kept_ms:.1f}",
                         f"{scan_ms:.1f}", f"{scan_ms / ours_ms:.1f}x"])
    print_table(f"late alerts: one run with {LATE} late items (ms, median of {RUNS})",
                ["backend", "on-time items", "statistics", "ours (whole run)", "ours, statistics kept",
                 "scan (whole run)", "scan / ours"], rows)


if __name__ == "__main__":
    main()
