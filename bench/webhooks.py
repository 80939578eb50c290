"""Webhooks: deliveries per second through the webhook outbox (claim → sign with standardwebhooks → httpx POST →
record outcome and log) on SQLite and on PostgreSQL, side by side with bare httpx POSTing the same bodies with
the same (pre-computed) headers to the same receiver, at the same concurrency.

The receiver is the demo's ERP (`python -m erp_mock`) in its own process: it verifies every signature, as a
company's system would, for both sides alike. Deliveries go in rounds, bare and outbox alternately (a round's
rows are made due just before it), each side's time summed over the rounds, so a drifting machine load weighs
on both. The bare side is a strict floor: no database, no signing in the timed part.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bench.common import ROOT, backends, company, engine_for, free_port, fresh_database, print_table
from core.db import utcnow
from notifications.webhook_sender import WebhookPolicy, WebhookSender, pump, sign_headers
from notifications.webhooks import WebhookDelivery, WebhookEndpoint, encode, new_secret

CONCURRENCY = 16
BATCH = 200


@contextmanager
def receiver(secret: str) -> Iterator[str]:
    """The ERP receiver in its own process; its webhook URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "erp_mock", "--port", str(port)], cwd=ROOT,
                               env={**os.environ, "ERP_WEBHOOK_SECRET": secret},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/received", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield f"{base}/webhooks"
    finally:
        process.terminate()
        process.wait(timeout=10)


def seed(engine: Engine, url: str, secret: str, count: int) -> list[tuple[int, str, str]]:
    """An endpoint and `count` deliveries (parked in the future); (id, message id, body) of each."""
    now = utcnow()
    company_id = company(engine)
    with engine.begin() as conn:
        endpoint_id = conn.execute(insert(WebhookEndpoint).values(
            company_id=company_id, url=url, secret=secret, active=True, milestones_only=False, created_at=now)
            .returning(WebhookEndpoint.id)).scalar_one()
        rows = []
        for n in range(count):
            body = encode({"type": "clearance.status_changed", "timestamp": now.isoformat(), "data": {
                "event_id": n + 1, "item_id": n + 1, "kind": "customs_declaration",
                "reference": f"31012024{1_000_000_000 + n:010d}", "native_code": "40", "stage": "released",
                "milestone": True, "note": "海关放行", "agency_time": now.isoformat()}})
            rows.append({"endpoint_id": endpoint_id, "message_id": f"evt_{n + 1}", "event_type":
                         "clearance.status_changed", "body": body, "state": "pending", "attempts": 0,
                         "next_attempt_at": now + timedelta(days=1), "created_at": now})
        conn.execute(insert(WebhookDelivery), rows)
        return [tuple(r) for r in conn.execute(select(WebhookDelivery.id, WebhookDelivery.message_id,
                                                      WebhookDelivery.body).order_by(WebhookDelivery.id))]


def bare(client: httpx.Client, pool: ThreadPoolExecutor, url: str, posts: list[tuple[str, dict[str, str]]]) -> float:
    def post(item: tuple[str, dict[str, str]]) -> int:
        return client.post(url, content=item[0].encode(), headers=item[1]).status_code

    started = time.perf_counter()
    codes = list(pool.map(post, posts))
    seconds = time.perf_counter() - started
    assert all(200 <= c < 300 for c in codes), codes[:5]
    return seconds


def through_outbox(engine: Engine, sender: WebhookSender, ids: list[int]) -> tuple[float, int]:
    with engine.begin() as conn:  # this round's rows become due (not timed)
        conn.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(next_attempt_at=utcnow()))
    sessions = sessionmaker(engine, expire_on_commit=False)
    started = time.perf_counter()
    result = pump(sessions, sender, max_seconds=3600)  # what `swm webhooks` runs
    return time.perf_counter() - started, result.delivered


def run(backend: str, count: int, rounds: int) -> list[object]:
    secret = new_secret()
    bare_seconds = outbox_seconds = 0.0
    delivered = 0
    with receiver(secret) as url, fresh_database(backend, "swm_bench_webhooks") as database:
        engine = engine_for(database)
        rows = seed(engine, url, secret, count)
        sender = WebhookSender(WebhookPolicy(batch_size=BATCH, concurrency=CONCURRENCY))
        client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=CONCURRENCY,
                                                             max_keepalive_connections=CONCURRENCY),
                              headers={"content-type": "application/json"})
        pool = ThreadPoolExecutor(max_workers=CONCURRENCY)
        size = math.ceil(len(rows) / rounds)
        plan = [rows[i : i + size] for i in range(0, len(rows), size)]
        try:
            warm = [(body, sign_headers(mid, body, [secret], utcnow())) for _, mid, body in rows[:50]]
            bare(client, pool, url, warm)
            for n, part in enumerate(plan):
                # Signed just before the round, so the receiver's 5-minute window holds (not timed).
                posts = [(body, sign_headers(mid, body, [secret], utcnow())) for _, mid, body in part]
                if n % 2 == 0:
                    bare_seconds += bare(client, pool, url, posts)
                seconds, done = through_outbox(engine, sender, [r[0] for r in part])
                outbox_seconds, delivered = outbox_seconds + seconds, delivered + done
                if n % 2 == 1:
                    bare_seconds += bare(client, pool, url, posts)
        finally:
            pool.shutdown()
            client.close()
            sender.close()
            engine.dispose()
    assert delivered == count, f"{delivered} of {count} delivered"
    ours, floor = count / outbox_seconds, count / bare_seconds
    return [backend, count, len(plan), f"{ours:,.0f}", f"{floor:,.0f}", f"{ours / floor:.2f}"]


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=4, help="alternating bare / outbox rounds")
    args = parser.parse_args(argv)
    rows = [run(backend, args.deliveries, args.rounds) for backend in backends()]
    print_table(
        f"webhooks: outbox → sign → httpx POST ({CONCURRENCY} at a time) → ERP receiver, against bare httpx "
        "POSTs of the same signed bodies (goal: ratio ≥ 0.8)",
        ["backend", "deliveries", "rounds", "outbox deliveries/s", "bare httpx/s", "ratio"],
        rows,
    )


if __name__ == "__main__":
    main()
