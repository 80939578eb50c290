"""Poll cost: the time of one poll cycle with 1 k, 100 k and 1 M tracked items, 0.1 % of them changing.

A change-feed agency (GACC) is asked for receipts after a cursor: its cycle costs O(changes) and must not
grow with the number of tracked items. A batch agency (MOFCOM) is asked about its *due* items only
(here the 0.1 % whose next poll time has come): O(due items / 100) requests, found through an index.
"""

from __future__ import annotations

import argparse
import logging
import time

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bench.common import (
    agency_mocks,
    backends,
    bulk_items,
    company,
    engine_for,
    entry_ids,
    fresh_database,
    licence_numbers,
    print_table,
    register,
)
from status_tracker.adapters import build_clients
from status_tracker.models import ClearanceItem
from status_tracker.polling import Poller, PollPolicy

CHANGING = 0.001
FIXED_CHANGES = 100


def run(backend: str, sizes: list[int]) -> list[list[object]]:
    rows = []
    with fresh_database(backend) as url:
        engine = engine_for(url)
        owner = company(engine)
        tracked = 0
        for size in sizes:
            # Grow the same database to the next size: only the new items are inserted.
            entries, licences = entry_ids(size), licence_numbers(size)
            bulk_items(engine, owner, "customs_declaration", entries[tracked:])
            bulk_items(engine, owner, "license", licences[tracked:], due_fraction=CHANGING)
            tracked = size
            rows.append(_cycle(backend, engine, size, entries, licences))
        engine.dispose()
    return rows


def _cycle(backend, engine, size, entries, licences) -> list[object]:
    changing = max(1, int(size * CHANGING))
    with engine.connect() as conn:
        due = conn.scalar(select(func.count()).where(ClearanceItem.kind == "license",
                                                     ClearanceItem.next_poll_at <= func.now()))
    with agency_mocks() as (base, admin), httpx.Client(timeout=120) as http:
        # The feed carries the changes of 0.1 % of the customs declarations (their first receipt).
        register(admin, "gacc", "customs_declaration", entries[-changing:])
        register(admin, "mofcom", "license", licences[:: int(1 / CHANGING)])  # the due ones
        poller = Poller(sessionmaker(engine, expire_on_commit=False), build_clients(base, http),
                        policy=PollPolicy(feed_page_size=1000, feed_max_pages=10**6, due_per_cycle=10**6))
        poller.poll("gacc")  # warm up connections and the feed cursor's row; reads the changes
        register(admin, "gacc", "customs_declaration", entries[-2 * changing : -changing])
        feed = _timed(poller, "gacc")
        # The same number of changes at every size: what a feed cycle costs apart from the news it carries.
        register(admin, "gacc", "customs_declaration", entries[: FIXED_CHANGES])
        fixed = _timed(poller, "gacc")
        batch = _timed(poller, "mofcom")
    return [backend, f"{size:,}", changing, f"{feed[0] * 1000:.1f}", feed[1], feed[2],
            f"{fixed[0] * 1000:.1f}", due, f"{batch[0] * 1000:.1f}", batch[1], batch[2]]


def _timed(poller: Poller, agency: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    result = poller.poll(agency)
    seconds = time.perf_counter() - started
    assert result.error is None, result.error
    return seconds, result.requests, result.events


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)  # a new mock process per size restarts the feed: expected
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [row for backend in backends() for row in run(backend, sizes)]
    print_table(
        "poll cost: one cycle, 0.1 % of tracked items changing",
        ["backend", "tracked", "changes", "feed ms", "feed reqs", "feed events", f"feed ms @{FIXED_CHANGES}",
         "due", "batch ms", "batch reqs", "batch events"],
        rows,
    )


if __name__ == "__main__":
    main()
