"""Port-charge comparison: p50 / p99 of one fee item compared across a port's enterprises (cheapest first, with
min / median / max), at 10,000 enterprises × 50 items, on SQLite and PostgreSQL. Goal: p99 < 50 ms.

Each enterprise lists the same 50 item codes; every item also has last year's version (closed at the start of
this year), so the date condition has work to do: 1,000,000 fee versions at the port. Measured side by side:

* ours: `compare()` on a session (the first page of 20 and the spread over all enterprises), and the same
  through the API in-process (`GET /port-charges/ports/{id}/compare`: auth, arguments, dump, ETag);
* a baseline: the straightforward way, loading every version of the item at the port as ORM objects and
  filtering, sorting and taking the median in Python;
* the same comparison at a small port (100 enterprises), for how the cost grows with the port.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from bench.common import backends, engine_for, fresh_database, print_table
from core.accounts import NewUser, create_user
from core.db import utcnow
from port_charges.catalogue import compare
from port_charges.models import ChargingEnterprise, FeeVersion, Port

DATABASE = "swm_bench_charges"  # its own database: the other benchmarks drop swm_bench when they start
GOAL_P99_MS = 50
ITEMS = 50
CODES = [f"FEE-{n:02d}" for n in range(ITEMS)]
THIS_YEAR, LAST_YEAR = date(2026, 1, 1), date(2025, 1, 1)
ASKED_ON = date(2026, 6, 1)
PHONE, PASSWORD = "19500000050", "bench charges password"


def fill(engine: Engine, customs_office: str, enterprises: int, rng: random.Random, chunk: int = 20_000) -> int:
    """A port with `enterprises` enterprises × ITEMS items × 2 versions, straight through Core (set-up)."""
    now = utcnow()
    with engine.begin() as conn:
        port_id = conn.execute(insert(Port).values(customs_office=customs_office, name_zh=f"基准港{customs_office}",
                                                   name_en=f"Bench port {customs_office}", created_at=now)
                               .returning(Port.id)).scalar_one()
        ids = [row[0] for row in conn.execute(insert(ChargingEnterprise).returning(ChargingEnterprise.id), [
            {"port_id": port_id, "name_zh": f"基准码头{n}", "name_en": f"Bench terminal {n}", "kind": "terminal",
             "created_at": now} for n in range(enterprises)])]
    rows: list[dict] = []

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(FeeVersion), rows)
        rows.clear()

    for enterprise_id in ids:
        for code in CODES:
            base = rng.randint(10_000, 150_000)
            for start, end, cents in ((LAST_YEAR, THIS_YEAR, base * 93 // 100), (THIS_YEAR, None, base)):
                rows.append({"enterprise_id": enterprise_id, "port_id": port_id, "code": code, "name_zh": f"费目{code}",
                             "name_en": f"Fee {code}", "category": "terminal_handling", "unit": "feu",
                             "price_cents": cents, "currency": "CNY", "basis": None, "effective_from": start,
                             "effective_to": end, "published_at": now, "published_by": None})
            if len(rows) >= chunk:
                flush()
    if rows:
        flush()
    return port_id


def naive(session: Session, port_id: int, code: str, on: date) -> tuple[list, tuple]:
    """The baseline: every version of the item at the port as objects, filtered, sorted and summed up here."""
    versions = session.scalars(select(FeeVersion).where(FeeVersion.port_id == port_id, FeeVersion.code == code)).all()
    current = sorted((v for v in versions if v.effective_from <= on and (v.effective_to is None
                                                                          or v.effective_to > on)),
                     key=lambda v: (v.currency, v.price_cents, v.enterprise_id))
    prices = [v.price for v in current]
    if not prices:
        return current, ()
    median = statistics.median(prices).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return current[:20], (prices[0], median, prices[-1])


def timed(samples: int, call: Callable[[str], object], rng: random.Random) -> list[float]:
    times = []
    for _ in range(samples):
        code = rng.choice(CODES)
        start = time.perf_counter()
        call(code)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(backend: str, enterprises: int, small: int, samples: int, baseline_samples: int, seed: int) -> list[list]:
    rng = random.Random(seed)
    rows = []
    with fresh_database(backend, DATABASE) as url:
        engine = engine_for(url)
        started = time.perf_counter()
        big = fill(engine, "9001", enterprises, rng)
        little = fill(engine, "9002", small, rng)
        fill_seconds = time.perf_counter() - started
        if backend == "postgresql":
            # What autovacuum does soon after a bulk load: statistics, and the visibility map without which an
            # index-only scan still visits every row.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        sessions = sessionmaker(engine)
        app: Flask = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            from app.web.extensions import db

            create_user(db.session, NewUser(phone=PHONE, name="bench", password=PASSWORD, role="admin"))
            db.session.commit()
        client = app.test_client()
        token = client.post("/auth/login", json={"phone": PHONE, "password": PASSWORD}).json["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def ours(port_id: int) -> Callable[[str], object]:
            def call(code: str) -> object:
                with sessions() as session:
                    return compare(session, port_id, code, ASKED_ON, cursor=None, limit=20)
            return call

        def api(port_id: int) -> Callable[[str], object]:
            def call(code: str) -> object:
                response = client.get(f"/port-charges/ports/{port_id}/compare?code={code}&on={ASKED_ON}",
                                      headers=headers)
                assert response.status_code == 200, response.json
                return response
            return call

        def baseline(port_id: int) -> Callable[[str], object]:
            def call(code: str) -> object:
                with sessions() as session:
                    return naive(session, port_id, code, ASKED_ON)
            return call

        # Both give the same answer.
        with sessions() as session:
            mine = compare(session, big, CODES[0], ASKED_ON, cursor=None, limit=20)
            theirs = naive(session, big, CODES[0], ASKED_ON)
            assert [v.id for v in mine.items] == [v.id for v in theirs[0]]
            assert (mine.spread[0].min, mine.spread[0].median, mine.spread[0].max) == theirs[1], (mine.spread, theirs)
        for label, port_id, size in (("big", big, enterprises), ("small", little, small)):
            timed(20, ours(port_id), rng)  # warm-up
            domain = timed(samples, ours(port_id), rng)
            through_api = timed(samples, api(port_id), rng)
            slow = timed(baseline_samples, baseline(port_id), rng)
            rows.append([backend, f"{size:,} × {ITEMS}", f"{p(domain, 0.5):.1f} ms", f"{p(domain, 0.99):.1f} ms",
                         f"{p(through_api, 0.5):.1f} ms", f"{p(through_api, 0.99):.1f} ms",
                         f"{p(slow, 0.5):.1f} ms", f"{p(slow, 0.5) / p(domain, 0.5):.1f}", f"{fill_seconds:.0f} s"])
            print(f"  {backend} {label}: done", flush=True)
        engine.dispose()
        app.extensions["swm_db"].engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--samples", type=int, default=500, help="measured comparisons per size and way")
    parser.add_argument("--baseline-samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    rows = []
    for backend in backends():
        rows += run(backend, args.enterprises, args.small, args.samples, args.baseline_samples, args.seed)
    print_table(f"port-charge comparison (goal: API p99 < {GOAL_P99_MS} ms at 10,000 enterprises × {ITEMS} items)",
                ["backend", "port", "compare() p50", "compare() p99", "API p50", "API p99", "baseline p50",
                 "baseline / ours", "fill"], rows)
    print(f"  machine: {os.cpu_count()} cores, load average {load:.1f} at the start and "
          f"{os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
