"""The phone's read path at national size: the API against a bare Flask + psycopg service (bench/read_baseline.py)
answering the same URLs with the same JSON and the same visibility rule, side by side in the same run.

1 M tracked items are filled in SQL (the desk-search fill, bench/desk_search.py), plus a forwarder that is a
party to 100,000 of them, status events for the bench company's items and an inbox for its user. Both services
run under gunicorn with 2 sync workers; wrk (Debian package `wrk`) drives them on loopback, one endpoint at a time,
API and baseline alternating (who goes first alternates by round). Without wrk a threaded httpx loop stands in
(its figures are lower: it shares the 2 cores with the servers). Before the load, every URL's JSON is compared
between the two services, and the API's SQL statements per request are counted in-process.

`--app-root DIR` serves the API from another checkout (e.g. `git archive` of an older commit) against the same
data: that is how the "before" figures in BENCHMARKS.md were taken.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.common import PG_ADMIN_URL, ROOT, free_port, fresh_database, print_table
from bench.desk_search import fill, scale_for

DATABASE = "swm_bench_read"
WORKERS = 2
CLIENTS = 8
PASSWORD = "bench read password"
FORWARDER_ITEMS = 100_000  # items of the big forwarder (every tenth item, as carrier)
GOAL_RATIO, GOAL_KINDS_RATIO, GOAL_P99_MS = 0.5, 0.8, 50

EXTRAS_SQL = [
    # The forwarder: company :forwarder is a party (carrier) to every tenth item.
    """INSERT INTO item_parties (item_id, company_id, role, source, confirmed_at, item_updated_at)
       SELECT i.id, :forwarder, 'carrier', 'agency', now(), i.updated_at FROM clearance_items i
       WHERE i.id % 10 = 3 AND i.id <= :forwarder_items * 10""",
    # A company with exactly 100 items (as owner), for the flatness comparison with the forwarder.
    """INSERT INTO item_parties (item_id, company_id, role, source, confirmed_at, item_updated_at)
       SELECT i.id, :hundred, 'owner', 'agency', now(), i.updated_at FROM clearance_items i
       WHERE i.id % (SELECT count(*) / 100 FROM clearance_items) = 7 ORDER BY i.id LIMIT 100""",
    # Four receipts for each item of the bench company.
    """INSERT INTO status_events (item_id, item_created_at, agency_event_id, sequence, native_code, stage, milestone,
                                  note, agency_time, received_at)
       SELECT i.id, i.created_at, 'E' || s, s, i.current_code, i.stage, s = 1, CASE WHEN s = 4 THEN '查验完毕' END,
              i.created_at + make_interval(hours => s), i.created_at + make_interval(hours => s, secs => 5)
       FROM clearance_items i, generate_series(1, 4) AS s
       WHERE EXISTS (SELECT 1 FROM item_parties p WHERE p.item_id = i.id AND p.source = 'agency'
                     AND p.company_id = :company)""",
]
INBOX_SQL = """
INSERT INTO notifications (public_id, user_id, item_id, event_id, urgent, title, body, data, created_at, read_at)
SELECT md5(e.id::text || '-' || :user), :user, e.item_id, e.id, false, '报关单 ' || i.reference,
       '状态更新：' || e.native_code, json_build_object('item_id', e.item_id::text, 'code', e.native_code)::jsonb,
       e.received_at, CASE WHEN e.id % 3 = 0 THEN e.received_at END
FROM status_events e JOIN clearance_items i ON i.id = e.item_id ORDER BY e.id LIMIT 200
"""


@dataclass
class Target:
    name: str
    paths: list[str]
    who: str = "company"  # whose token: company (a broker, ~440 items), forwarder (100,000), hundred (100 + ~20)
    clients: int = CLIENTS


@dataclass
class Result:
    rate: float
    p99_ms: float


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


def _prepare(items: int, database: str, reuse: bool) -> tuple[str, dict[str, int]]:
    """The filled database (made afresh unless `reuse` finds it filled at this size); the companies used."""
    url = _pg_url(database)
    scale = scale_for(items)
    who = {"company": 1, "forwarder": scale.brokers + 1, "hundred": scale.brokers + 3}
    if reuse:
        try:
            engine = create_engine(url)
            with engine.connect() as conn:
                if conn.scalar(text("SELECT count(*) FROM clearance_items")) == items and conn.scalar(
                        text("SELECT count(*) FROM notifications")):
                    print(f"reusing the {items:,} items in {database}")
                    return url, who
        except Exception:  # noqa: BLE001 - missing database: fill it
            pass
    with fresh_database("postgresql", database) as url:
        engine = create_engine(url)
        started = time.perf_counter()
        fill(engine, scale)
        with engine.begin() as conn:
            for sql in EXTRAS_SQL:
                conn.execute(text(sql), {"forwarder": who["forwarder"], "company": who["company"],
                                         "hundred": who["hundred"],
                                         "forwarder_items": min(FORWARDER_ITEMS, items // 10)})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"filled {items:,} items in {time.perf_counter() - started:.0f} s")
    return url, who


def _users(url: str, who: dict[str, int]) -> dict[str, int]:
    """A bench user in each company (made once), with an inbox for the main one; their ids."""
    from sqlalchemy.orm import sessionmaker

    from core.accounts import NewUser, create_user
    from core.models import User

    engine = create_engine(url)
    ids = {}
    with sessionmaker(engine).begin() as session:
        for name, company_id in who.items():
            phone = f"1990000000{list(who).index(name)}"
            user = session.query(User).filter_by(phone=phone).one_or_none() or create_user(
                session, NewUser(phone=phone, name=f"bench {name}", password=PASSWORD, role="trader",
                                 company_id=company_id))
            session.flush()
            ids[name] = user.id
    with engine.begin() as conn:
        if not conn.scalar(text("SELECT count(*) FROM notifications WHERE user_id = :u"), {"u": ids["company"]}):
            conn.execute(text(INBOX_SQL), {"user": ids["company"]})
    engine.dispose()
    return ids


@contextmanager
def _gunicorn(app: str, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", app],
            cwd=cwd, env={**os.environ, "PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1", **env},
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{base}/status-kinds", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                log.seek(0)
                raise RuntimeError(f"gunicorn did not come up:\n{log.read().decode(errors='replace')}")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def _login(base: str, user: int) -> str:
    phone = f"1990000000{user}"
    response = httpx.post(f"{base}/auth/login", json={"phone": phone, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return f"Bearer {response.json()['access_token']}"


def _targets(api: str, headers: dict[str, str], url: str, who: dict[str, int], rng: random.Random,
             forwarder_items: int) -> list[Target]:
    engine = create_engine(url)
    with engine.connect() as conn:
        mine = [row[0] for row in conn.execute(text(
            "SELECT DISTINCT item_id FROM item_parties WHERE company_id = :c AND source = 'agency' ORDER BY 1"),
            {"c": who["company"]})]
    engine.dispose()
    sample = rng.sample(mine, min(200, len(mine)))
    cursors = []
    for who_name in ("company", "forwarder"):
        page = httpx.get(f"{api}/clearances?limit=20", headers={"Authorization": headers[who_name]}, timeout=30)
        cursors.append((who_name, page.json()["next_cursor"]))
    return [
        Target("GET /clearances?limit=20", ["/clearances?limit=20"]),
        Target("GET /clearances?cursor=…", [f"/clearances?limit=20&cursor={cursors[0][1]}"]),
        Target("GET /clearances/{id}", [f"/clearances/{i}" for i in sample]),
        Target("GET /clearances/{id}/timeline", [f"/clearances/{i}/timeline" for i in sample]),
        Target("GET /me/notifications?limit=20", ["/me/notifications?limit=20"]),
        Target("GET /status-kinds", ["/status-kinds"]),
        Target("(1 client) GET /clearances/{id}", [f"/clearances/{i}" for i in sample], clients=1),
        Target(f"GET /clearances?limit=20 ({forwarder_items:,} items)", ["/clearances?limit=20"], who="forwarder"),
        Target(f"GET /clearances?cursor=… ({forwarder_items:,} items)",
               [f"/clearances?limit=20&cursor={cursors[1][1]}"], who="forwarder"),
        Target("GET /clearances?limit=20 (~120 items)", ["/clearances?limit=20"], who="hundred"),
    ]


def _same_json(api: str, bare: str, api_headers: dict[str, str], bare_headers: dict[str, str],
               targets: list[Target]) -> None:
    """Every URL gives the same JSON from both services (else the comparison would be unfair)."""
    for target in targets:
        for path in target.paths[:3]:
            a = httpx.get(api + path, headers={"Authorization": api_headers[target.who]}, timeout=30)
            b = httpx.get(bare + path, headers={"Authorization": bare_headers[target.who]}, timeout=30)
            assert a.status_code == b.status_code == 200, (path, a.status_code, b.status_code, a.text[:300])
            assert a.json() == b.json(), f"{path}: the baseline's JSON differs from the API's"


LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def _wrk(base: str, target: Target, header: str, seconds: float) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in target.paths))
        script.flush()
        out = subprocess.run(
            ["wrk", f"-t{min(2, target.clients)}", f"-c{target.clients}", f"-d{seconds:g}s", "--latency",
             "-H", f"Authorization: {header}", "-s", script.name, base],
            capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, f"{target.name}: {errors.group(1)} failed requests"
    return Result(rate, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit])


def _threads(base: str, target: Target, header: str, seconds: float) -> Result:
    """Stand-in for wrk: `clients` threads of keep-alive httpx requests."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    def client(offset: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": header}, timeout=30) as http:
            n = offset
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = http.get(target.paths[n % len(target.paths)])
                assert response.status_code == 200, response.text
                latencies.append(time.perf_counter() - started)
                n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(target.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return Result(len(latencies) / seconds, latencies[int(len(latencies) * 0.99)] * 1000)


STATEMENTS = r"""
import json, sys
from sqlalchemy import event
from app import create_app
from app.web.extensions import db
app = create_app({"DATABASE_URL": sys.argv[1], "RATELIMIT_ENABLED": False, "TOKEN_CHECK_SECONDS": 0})
client = app.test_client()
token = client.post("/auth/login", json={"phone": sys.argv[2], "password": sys.argv[3]}).json["access_token"]
with app.app_context():
    engine = db.engine
seen = []
event.listen(engine, "before_cursor_execute", lambda conn, *a: seen.append(conn.connection.dbapi_connection.autocommit))
counts = {}
for path in json.loads(sys.argv[4]):
    client.get(path, headers={"Authorization": "Bearer " + token})  # warm: first use of the app
    seen.clear()
    client.get(path, headers={"Authorization": "Bearer " + token})
    # Round trips: the statements, BEGIN and ROLLBACK unless autocommit, the checkout's ping if on.
    extra = (0 if all(seen) else 2) + (1 if engine.pool._pre_ping else 0) if seen else 0
    counts[path] = [len(seen), len(seen) + extra]
print(json.dumps(counts))
"""


def _statements(app_root: Path, url: str, paths: list[str]) -> dict[str, list[int]]:
    out = subprocess.run([sys.executable, "-c", STATEMENTS, url, "19900000000", PASSWORD, json.dumps(paths)],
                         cwd=app_root, env={**os.environ, "PYTHONPATH": str(app_root), "PYTHONDONTWRITEBYTECODE": "1"},
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(items: int, rounds: int, seconds: float, database: str, reuse: bool, app_root: Path, seed: int) -> None:
    url, who = _prepare(items, database, reuse)
    users = _users(url, who)
    load = _wrk if shutil.which("wrk") else _threads
    if load is _threads:
        print("wrk not found (Debian: apt-get install wrk): a threaded httpx client stands in; its figures are lower")
    env = {"SWM_DATABASE_URL": url, "SWM_RATELIMIT_ENABLED": "0", "SWM_ACCESS_TOKEN_MINUTES": "600"}
    psycopg_url = url.replace("postgresql+psycopg://", "postgresql://")
    with _gunicorn("app:create_app()", app_root, env) as api, \
            _gunicorn("bench.read_baseline:create_app()", ROOT, {"BENCH_BARE_DATABASE_URL": psycopg_url}) as bare:
        api_headers = {name: _login(api, list(who).index(name)) for name in who}
        bare_headers = {name: f"Bearer bare:{users[name]}:{who[name]}" for name in who}
        targets = _targets(api, api_headers, url, who, random.Random(seed), min(FORWARDER_ITEMS, items // 10))
        _same_json(api, bare, api_headers, bare_headers, targets)
        statements = _statements(app_root, url, [t.paths[0] for t in targets[:6]])
        results: dict[str, dict[str, list[Result]]] = {t.name: {"api": [], "bare": []} for t in targets}
        for n in range(rounds):
            for target in targets:
                order = [("api", api, api_headers), ("bare", bare, bare_headers)]
                for side, base, headers in order if n % 2 == 0 else reversed(order):
                    results[target.name][side].append(load(base, target, headers[target.who], seconds))
    rows = []
    for target in targets:
        a, b = results[target.name]["api"], results[target.name]["bare"]
        api_rate, bare_rate = sum(r.rate for r in a) / len(a), sum(r.rate for r in b) / len(b)
        api_p99, bare_p99 = max(r.p99_ms for r in a), max(r.p99_ms for r in b)
        counted = statements.get(target.paths[0])
        goal = GOAL_KINDS_RATIO if "status-kinds" in target.name else GOAL_RATIO
        ratio = api_rate / bare_rate
        rows.append([target.name, target.clients, f"{api_rate:,.0f}", f"{api_p99:.1f} ms", f"{bare_rate:,.0f}",
                     f"{bare_p99:.1f} ms", f"{ratio:.2f}", "/".join(map(str, counted)) if counted else "",
                     "ok" if ratio >= goal and api_p99 < GOAL_P99_MS else "MISSED"])
    print_table(
        f"Phone read path, {items:,} items on PostgreSQL, gunicorn {WORKERS} workers each, {load.__name__[1:]}, "
        f"{rounds} interleaved rounds of {seconds:g} s (req/s: mean of rounds; p99: worst round; "
        f"stmts/trips: SQL statements and round trips with a fresh token check); API from {app_root}",
        ["endpoint", "clients", "API req/s", "API p99", "bare req/s", "bare p99", "ratio", "API stmts/trips",
         f"goal (≥{GOAL_RATIO}×, kinds ≥{GOAL_KINDS_RATIO}×, p99<{GOAL_P99_MS} ms)"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--reuse", action="store_true", help="keep the filled database if it has --items items")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="serve the API from this checkout")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    run(args.items, args.rounds, args.seconds, args.database, args.reuse, args.app_root.resolve(), args.seed)


if __name__ == "__main__":
    main()
