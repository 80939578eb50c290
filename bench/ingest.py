"""Ingest: status events per second from the agency's change feed to committed events, on SQLite and on
PostgreSQL, side by side with a raw bulk insert of the same rows in the same run.

The agency mocks run in their own process; the tracker fetches the XML feed over loopback HTTP, parses
it, applies the receipts (dedupe, forward-only status) and commits page by page, as in production.
"""

from __future__ import annotations

import argparse
import logging
import time

import httpx
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import sessionmaker

from bench.common import (
    agency_mocks,
    backends,
    bulk_items,
    company,
    engine_for,
    entry_ids,
    fresh_database,
    print_table,
    register,
)
from status_tracker.adapters import build_clients
from status_tracker.models import StatusEvent
from status_tracker.polling import Poller, PollPolicy

EVENT_COLUMNS = ("item_id", "item_created_at", "agency_event_id", "sequence", "native_code", "stage", "milestone",
                 "note", "agency_time", "received_at")


def run(backend: str, items: int) -> list[object]:
    references = entry_ids(items)
    with fresh_database(backend) as url, agency_mocks() as (base, admin):
        engine = engine_for(url)
        bulk_items(engine, company(engine), "customs_declaration", references)
        register(admin, "gacc", "customs_declaration", references)
        admin.post("/admin/clock", json={"advance_seconds": 3 * 24 * 3600})  # every story runs to its end
        with httpx.Client(timeout=120) as http:
            clients = build_clients(base, http)
            receipts = _count_receipts(clients["gacc"])
            sessions = sessionmaker(engine, expire_on_commit=False)
            policy = PollPolicy(feed_page_size=1000, feed_max_pages=10**6)
            poller = Poller(sessions, clients, policy=policy)
            started = time.perf_counter()
            result = poller.poll("gacc")
            ingest_seconds = time.perf_counter() - started
        assert result.error is None, result.error
        raw_seconds = _raw_insert(engine)
        engine.dispose()
    events = result.events
    ingest_rate, raw_rate = events / ingest_seconds, events / raw_seconds
    return [backend, items, receipts, events, f"{ingest_seconds:.2f}", f"{ingest_rate:,.0f}", f"{raw_rate:,.0f}",
            f"{ingest_rate / raw_rate:.2f}"]


def _count_receipts(feed) -> int:
    after, total = 0, 0
    while True:
        page = feed.fetch(after=after, limit=1000)
        total += len(page.receipts)
        after = page.next_cursor
        if not page.has_more:
            return total


def _raw_insert(engine) -> float:
    """The same event rows, deleted and inserted again in one bulk statement: the floor for ingest."""
    with engine.begin() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(*(getattr(StatusEvent, c) for c in EVENT_COLUMNS)))]
        conn.execute(delete(StatusEvent))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(StatusEvent), rows)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(StatusEvent)) == len(rows)
    return seconds


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args(argv)
    rows = [run(backend, args.items) for backend in backends()]
    print_table(
        "ingest: feed → parse → apply → commit, against a raw bulk insert of the same rows",
        ["backend", "items", "receipts", "events", "seconds", "events/s", "raw insert/s", "ratio"],
        rows,
    )


if __name__ == "__main__":
    main()
