"""A national day, scaled to this machine: declarations arrive at a fixed rate, spread over the 14 kinds and
their 6 agencies, each with a declarant and a consignee company whose users have phones; the agencies move them
along their lifecycles (mocks on a clock 600 times faster than real time); `swm scheduler` polls, applies and
fans out, `swm dispatcher` sends through firebase-admin to the FCM-compatible endpoint; all on PostgreSQL with
the history tables partitioned. The rate steps up; each step reports, per second of traffic, events ingested,
pushes sent, ingest lag and change→push p50/p99 (probes: transit write-offs forced at the GACC feed at random
moments), database row writes per event and per push, and the CPU each component used. The highest rate whose
p99 change→push stays under 5 s is what this box sustains; BENCHMARKS.md scales the per-unit costs to ~12 M
declarations a day.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import argon2
import httpx
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bench.common import ROOT, engine_for, free_port, fresh_database, print_table
from core import accounts
from core.accounts import NewUser, create_user
from core.identifiers import uscc_check_char
from notifications.devices import register_device
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS

DATABASE = "bench_partitions"
SPEED = 600  # simulated seconds per real second: a lifecycle of a few hours passes in 10 s to 2 min
WRITE_OFF = "06"  # transit: written off by the destination customs (a milestone, terminal)
P99_GOAL = 5.0
TICK = os.sysconf("SC_CLK_TCK")
# The n-th reference of each kind, valid for its pattern (numbers far from the probes' and the examples').
REFERENCES = {
    "customs_declaration": lambda n: f"31012025{n:010d}",
    "manifest": lambda n: f"COSU{n:010d}/032E",
    "transport_vehicle": lambda n: f"IMO9321483/V{n:07d}",
    "license": lambda n: f"LIC{n:012d}",
    "certificate_of_origin": lambda n: f"CO{n:016d}",
    "enterprise_qualification": lambda n: f"BA3100{n:012d}",
    "export_tax_refund": lambda n: f"TS202503{n:08d}",
    "tax_payment": lambda n: f"2233{n:014d}",
    "processing_trade": lambda n: f"QD220125I{n:09d}",
    "goods_clearance": lambda n: f"SF{n:013d}",
    "cross_border_ecommerce": lambda n: f"22442025I{n:09d}",
    "service_trade": lambda n: f"FW2025{n:010d}",
    "inspection_quarantine": lambda n: f"310100{n:09d}",
    "transit": lambda n: f"3301{n:012d}",
}
INGEST_TABLES = ("status_events", "clearance_items", "item_parties", "agency_state", "rejected_receipts")
PUSH_TABLES = ("notifications", "outbox", "delivery_attempts", "devices")


def _process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **env},
                            stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait(client: httpx.Client, path: str) -> None:
    for _ in range(300):
        try:
            if client.get(path).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{path} did not come up")


def _uscc(n: int) -> str:
    body = f"91330000MA{n:07d}"
    return body + uscc_check_char(body)


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _tree(root: int) -> list[int]:
    """The process and its descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


_PARTITION = re.compile(r"_(p\d{6,8}|default)$")


class Counters:
    """What the database and the processes did, read before and after each step."""

    def __init__(self, engine, processes: dict[str, subprocess.Popen]) -> None:
        self.engine = engine
        self.processes = processes

    def read(self) -> dict[str, float]:
        with self.engine.connect() as conn:
            values: dict[str, float] = {
                "events": conn.scalar(text("SELECT count(*) FROM status_events")),
                "sent": conn.scalar(text("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                "commits": conn.scalar(text("SELECT xact_commit FROM pg_stat_database WHERE datname = :d"),
                                       {"d": DATABASE}),
            }
            writes: dict[str, int] = defaultdict(int)
            for name, n in conn.execute(text("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del "
                                             "FROM pg_stat_user_tables")):
                writes[_PARTITION.sub("", name)] += n
            values["ingest_writes"] = sum(writes[t] for t in INGEST_TABLES)
            values["push_writes"] = sum(writes[t] for t in PUSH_TABLES)
            backends = list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                         {"d": DATABASE}))
        values["cpu:postgresql"] = _cpu_ticks(backends)
        for name, process in self.processes.items():
            values[f"cpu:{name}"] = _cpu_ticks(_tree(process.pid))
        values["cpu:driver"] = _cpu_ticks([os.getpid()])
        values["time"] = time.monotonic()
        return values


class Probes:
    """Transit write-offs forced at random moments; each one's push to the probe phone is timed."""

    def __init__(self, admin_url: str, references: list[str]) -> None:
        self.admin = httpx.Client(base_url=admin_url, timeout=30)
        self.unused = list(references)
        self.forced: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self, every: float) -> None:
        rng = random.Random(7)
        while not self.stop.wait(rng.uniform(0.5, 1.5) * every) and self.unused:
            reference = self.unused.pop()
            changed_at = time.time()
            self.admin.post(f"/gacc/admin/items/{reference}/force", json={"code": WRITE_OFF}).raise_for_status()
            self.forced[reference] = changed_at


def _pushed(fcm: httpx.Client, token: str, after: int) -> tuple[dict[str, float], int]:
    """Reference → when the endpoint recorded the write-off push, for the probe phone's messages after `after`."""
    found: dict[str, float] = {}
    while True:
        body = fcm.get(f"/devices/{token}/messages", params={"after": after}).json()
        for message in body["messages"]:
            data = message["message"]["data"]
            if data.get("native_code") == WRITE_OFF:
                found.setdefault(data["reference"], message["received_at"])
        if not body["messages"] or body["last_seq"] == after:
            return found, after
        after = body["last_seq"]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(rates: list[int], seconds: float, companies: int, users: int, devices: int,
        logs: str | None = None) -> list[dict]:
    results = []
    with ExitStack() as stack:
        folder = Path(logs or stack.enter_context(tempfile.TemporaryDirectory(prefix="swm-national-")))
        folder.mkdir(parents=True, exist_ok=True)
        url = stack.enter_context(fresh_database("postgresql", DATABASE))
        processes: dict[str, subprocess.Popen] = {}
        stack.callback(lambda: [p.terminate() or p.wait(15) for p in processes.values()])

        agency_port, fcm_port = free_port(), free_port()
        agency_url, fcm_url = f"http://127.0.0.1:{agency_port}", f"http://127.0.0.1:{fcm_port}"
        processes["agency mocks"] = _process(
            ["-m", "agency_mocks", "--port", str(agency_port), "--seed", "1", "--speed", str(SPEED),
             "--rate", "1000000", "--burst", "1000000"], {}, folder / "mocks.log")
        account = folder / "sa.json"
        subprocess.run([sys.executable, "-m", "mobile_mock", "make-service-account", "--out", str(account),
                        "--project-id", "bench", "--token-uri", f"{fcm_url}/token"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        processes["FCM endpoint"] = _process(["-m", "mobile_mock", "serve", "--port", str(fcm_port),
                                              "--service-account", str(account)], {}, folder / "fcm.log")
        admin = stack.enter_context(httpx.Client(base_url=agency_url, timeout=120))
        fcm = stack.enter_context(httpx.Client(base_url=fcm_url, timeout=30))
        _wait(admin, "/health")
        _wait(fcm, "/admin/health")

        # The population: companies with users with phones; and the probe company, whose one phone gets only
        # the probes' pushes.
        engine = engine_for(url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        population = []  # (company id, uscc, a user id)
        with sessions.begin() as session:
            for c in range(companies):
                company = create_company(session, name=f"企业{c}", uscc=_uscc(c + 1))
                first = None
                for u in range(users):
                    user = create_user(session, NewUser(phone=f"135{c:05d}{u:03d}", name=f"用户{c}-{u}",
                                                        password="long enough", company_id=company.id))
                    first = first or user.id
                    for _ in range(devices):
                        token = fcm.post("/devices", json={}).json()["token"]
                        register_device(session, user.id, token=token, platform="android")
                population.append((company.id, company.uscc, first))
            probe_company = create_company(session, name="探针", uscc=_uscc(9_000_000))
            probe_user = create_user(session, NewUser(phone="13799999999", name="探针", password="long enough",
                                                      company_id=probe_company.id))
            probe_token = fcm.post("/devices", json={}).json()["token"]
            register_device(session, probe_user.id, token=probe_token, platform="android")
            probe_refs = [REFERENCES["transit"](9_000_000 + n) for n in range(int(3 * seconds * len(rates)) + 10)]
            for reference in probe_refs:
                track_item(session, company_id=probe_company.id, user_id=probe_user.id, kind="transit",
                           reference=reference)
        for start in range(0, len(probe_refs), 2000):
            admin.post("/gacc/admin/items", json={"items": [
                {"kind": "transit", "reference": r, "parties": [{"role": "consignee", "uscc": probe_company.uscc}]}
                for r in probe_refs[start : start + 2000]]}).raise_for_status()
        # Out of their planned stories (approved, and then nothing until forced): a probe's write-off is ours.
        for reference in probe_refs:
            admin.post(f"/gacc/admin/items/{reference}/force", json={"code": "02"}).raise_for_status()

        env = {"SWM_DATABASE_URL": url, "SWM_LOG_FORMAT": "json",
               "SWM_LOG_LEVEL": os.environ.get("SWM_LOG_LEVEL", "WARNING")}
        processes["scheduler"] = _process(["-m", "app.processes.cli", "scheduler"], {
            **env, "SWM_AGENCY_URL": agency_url, "SWM_POLL_SECONDS": "1"}, folder / "scheduler.log")
        processes["dispatcher"] = _process(["-m", "app.processes.cli", "dispatcher"], {
            **env, "SWM_FCM_SERVICE_ACCOUNT": str(account), "SWM_FCM_ENDPOINT": fcm_url}, folder / "dispatcher.log")
        # The probes' first receipts go through before anything is measured.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.scalar(text("SELECT count(*) FROM status_events")) >= 2 * len(probe_refs):
                    break
            time.sleep(0.5)
        time.sleep(3)
        seq = fcm.get(f"/devices/{probe_token}/messages", params={"limit": 1}).json()["last_seq"]

        counters = Counters(engine, processes)
        kinds = list(KINDS)
        numbers = defaultdict(int)
        rng = random.Random(1)
        probes = Probes(agency_url, probe_refs)
        for rate in rates:
            probes.forced = {}
            probes.stop = threading.Event()
            prober = threading.Thread(target=probes.run, args=(0.5,), daemon=True)
            before = counters.read()
            prober.start()
            started = time.monotonic()
            second = 0
            while time.monotonic() - started < seconds:
                # This second's declarations: round the 14 kinds, each between two companies of the population.
                batch: dict[tuple[str, str], list[dict]] = defaultdict(list)
                with sessions.begin() as session:
                    for n in range(rate):
                        kind = kinds[(second * rate + n) % len(kinds)]
                        numbers[kind] += 1
                        reference = REFERENCES[kind](numbers[kind])
                        declarant, consignee = rng.sample(population, 2)
                        track_item(session, company_id=declarant[0], user_id=declarant[2], kind=kind,
                                   reference=reference)
                        batch[(KINDS[kind].agency, kind)].append({"kind": kind, "reference": reference, "parties": [
                            {"role": "declarant", "uscc": declarant[1]}, {"role": "consignee", "uscc": consignee[1]}]})
                for (agency, _kind), items in batch.items():
                    admin.post(f"/{agency}/admin/items", json={"items": items}).raise_for_status()
                second += 1
                time.sleep(max(0.0, started + second - time.monotonic()))
            probes.stop.set()
            prober.join()
            after = counters.read()
            # Stragglers: up to 15 s for the last probes' pushes (those still missing count as never sent).
            deadline = time.monotonic() + 15
            pushed: dict[str, float] = {}
            while time.monotonic() < deadline:
                found, seq = _pushed(fcm, probe_token, seq)
                pushed.update(found)
                if all(r in pushed for r in probes.forced):
                    break
                time.sleep(0.5)
            with engine.connect() as conn:
                received = dict(conn.execute(text(
                    "SELECT i.reference, extract(epoch FROM e.received_at) FROM status_events e "
                    "JOIN clearance_items i ON i.id = e.item_id AND i.created_at = e.item_created_at "
                    "WHERE i.kind = 'transit' AND e.native_code = :code AND i.reference = ANY(:refs)"),
                    {"code": WRITE_OFF, "refs": list(probes.forced)}).all())
            latencies = [pushed.get(r, float("inf")) - t for r, t in probes.forced.items()]
            lags = [float(received[r]) - t for r, t in probes.forced.items() if r in received]
            results.append(_step(rate, before, after, latencies, lags))
            print_table(f"national day: {rate} declarations/s", *_rows(results[-1:]))
        engine.dispose()
    return results


def _step(rate: int, before: dict, after: dict, latencies: list[float], lags: list[float]) -> dict:
    wall = after["time"] - before["time"]
    delta = {k: after[k] - before[k] for k in after}
    events, sent = delta["events"], delta["sent"]
    cpu = {k.split(":", 1)[1]: delta[k] / TICK for k in delta if k.startswith("cpu:")}
    return {
        "rate": rate, "seconds": wall, "events/s": events / wall, "pushes/s": sent / wall,
        "lag p99": _quantile(lags, 0.99) if lags else float("inf"),
        "p50": _quantile(latencies, 0.5), "p99": _quantile(latencies, 0.99), "probes": len(latencies),
        "writes/event": delta["ingest_writes"] / events if events else 0.0,
        "writes/push": delta["push_writes"] / sent if sent else 0.0,
        "commits/s": delta["commits"] / wall,
        "cpu": {k: v / wall for k, v in cpu.items()},  # cores used
        "cpu ms/event": {k: 1000 * cpu[k] / events for k in ("scheduler", "postgresql") if events},
        "cpu ms/push": {k: 1000 * cpu[k] / sent for k in ("dispatcher", "FCM endpoint") if sent},
    }


def _rows(results: list[dict]) -> tuple[list[str], list[list[object]]]:
    header = ["decl/s", "events/s", "pushes/s", "lag p99 s", "push p50 s", "push p99 s", "probes", "writes/event",
              "writes/push", "commits/s", "cores: sched", "disp", "PG", "mocks", "FCM", "driver",
              "sched ms/event", "PG ms/event", "disp ms/push"]
    rows = []
    for r in results:
        c = r["cpu"]
        rows.append([r["rate"], f"{r['events/s']:.0f}", f"{r['pushes/s']:.0f}", f"{r['lag p99']:.2f}",
                     f"{r['p50']:.2f}", f"{r['p99']:.2f}", r["probes"], f"{r['writes/event']:.2f}",
                     f"{r['writes/push']:.2f}", f"{r['commits/s']:.0f}", f"{c['scheduler']:.2f}",
                     f"{c['dispatcher']:.2f}", f"{c['postgresql']:.2f}", f"{c['agency mocks']:.2f}",
                     f"{c['FCM endpoint']:.2f}", f"{c['driver']:.2f}",
                     f"{r['cpu ms/event'].get('scheduler', 0):.2f}", f"{r['cpu ms/event'].get('postgresql', 0):.2f}",
                     f"{r['cpu ms/push'].get('dispatcher', 0):.2f}"])
    return header, rows


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    # Set-up, not measured: hundreds of users need no costly password hashes.
    accounts.use_password_hasher(argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="5,10,20,40", help="declarations per second, one step each")
    parser.add_argument("--seconds", type=float, default=60, help="length of each step")
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--users", type=int, default=2, help="users per company")
    parser.add_argument("--devices", type=int, default=2, help="phones per user")
    parser.add_argument("--logs", help="keep the processes' logs in this folder")
    args = parser.parse_args(argv)
    if os.environ.get("BENCH_SKIP_PG") == "1":
        print("national: PostgreSQL only (BENCH_SKIP_PG=1): skipped")
        return
    rates = [int(r) for r in args.rates.split(",")]
    results = run(rates, args.seconds, args.companies, args.users, args.devices, args.logs)
    print_table("national day on this machine (PostgreSQL, partitioned history)", *_rows(results))
    sustained = [r["rate"] for r in results if r["p99"] < P99_GOAL]
    print(f"\nhighest rate with p99 change→push < {P99_GOAL:.0f} s: "
          f"{max(sustained) if sustained else 'none'} declarations/s")


if __name__ == "__main__":
    main()
