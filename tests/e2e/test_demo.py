"""`make demo` end to end: the items move on their own, Ctrl-C leaves nothing running and no traceback, and a
second run on the same database works and moves items too."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.common import free_port

ROOT = Path(__file__).resolve().parents[2]


def _ingested(api_port: int) -> float | None:
    try:
        metrics = httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=2).text
    except httpx.TransportError:
        return None
    return sum(float(v) for v in re.findall(r'^swm_agency_events_ingested\{[^}]*\} (\S+)$', metrics, re.M))


def _wait_for_events(api_port: int, more_than: float, count: int = 20) -> float:
    """The ingested count once `count` events beyond `more_than` came in (the count is kept in the database, so a
    second run starts from the first one's)."""
    ingested = 0.0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ingested < more_than + count:
        time.sleep(1)
        ingested = _ingested(api_port) or 0.0
    assert ingested >= more_than + count, "the demo's items did not move"
    return ingested


def _stop(demo: subprocess.Popen, logs: Path) -> str:
    demo.send_signal(signal.SIGINT)
    output, _ = demo.communicate(timeout=15)
    assert "stopping" in output and "Traceback" not in output, output[-2000:]
    for log in logs.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, (log.name, text[-2000:])
    return output


def test_the_demo_moves_items_by_itself_stops_cleanly_and_runs_again(tmp_path):
    api_port, agency_port, phone_port, erp_port = free_port(), free_port(), free_port(), free_port()
    logs = tmp_path / "logs"
    env = {**os.environ, "SWM_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "SWM_DEMO_PORT": str(api_port), "SWM_DEMO_AGENCY_PORT": str(agency_port),
           "SWM_DEMO_PHONE_PORT": str(phone_port), "SWM_DEMO_ERP_PORT": str(erp_port),
           "SWM_DEMO_LOG_DIR": str(logs)}

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "app.processes.demo"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)

    demo = start()
    try:
        first = _wait_for_events(api_port, 0)
        docs = httpx.get(f"http://127.0.0.1:{api_port}/docs", timeout=2)
        assert docs.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{phone_port}/phone/", timeout=2).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{api_port}/console/login", timeout=2).status_code == 200
        # The seeded history gives the clearance-time statistics something to say.
        token = httpx.post(f"http://127.0.0.1:{api_port}/auth/login", timeout=5,
                           json={"phone": "13800000005", "password": "demo-pass-2026"}).json()["access_token"]
        stats = httpx.get(f"http://127.0.0.1:{api_port}/stats/clearance-times", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert {t["kind"] for t in stats["transitions"]} >= {"customs_declaration", "transit"}
        # The consignee sees the demo's items because the agencies' answers name its company as a party.
        consignee = httpx.post(f"http://127.0.0.1:{api_port}/auth/login", timeout=5,
                               json={"phone": "13800000002", "password": "demo-pass-2026"}).json()["access_token"]
        kinds: set[str] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not {"transit", "customs_declaration", "license"} <= kinds:
            page = httpx.get(f"http://127.0.0.1:{api_port}/clearances", params={"limit": 100}, timeout=10,
                             headers={"Authorization": f"Bearer {consignee}"}).json()
            kinds = {item["kind"] for item in page["items"]}
            time.sleep(1)
        assert {"transit", "customs_declaration", "license"} <= kinds
        # Lively, yet no agency time after the real now (the agencies run on the real clock, their stories short).
        now = datetime.now(UTC)
        times = [datetime.fromisoformat(item["agency_updated_at"]) for item in page["items"]
                 if item["agency_updated_at"]]
        assert times and max(times) <= now, (max(times), now)
        assert all(t.utcoffset() == timedelta(0) for t in times)
        first = _ingested(api_port) or first
        # The seeded stuck declarations are found past their usual time: late alerts go out.
        late = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not late:
            with sqlite3.connect(tmp_path / "demo.sqlite3") as database:
                late = database.execute("SELECT count(*) FROM late_alerts").fetchone()[0]
            time.sleep(1)
        assert late >= 3, "the demo sent no late alert"
        # The consignee company's ERP gets the same changes as signed webhooks, and verifies every one.
        received: dict = {"received": []}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not received["received"]:
            received = httpx.get(f"http://127.0.0.1:{erp_port}/received", timeout=5).json()
            time.sleep(1)
        assert received["received"] and received["rejected"] == 0
        assert all(m["id"].startswith("evt_") for m in received["received"])
    finally:
        output = _stop(demo, logs)
    assert "Demo logins" in output
    ours = (f"--port ({agency_port}|{api_port}|{phone_port}|{erp_port})"
            "|app.processes.cli (scheduler|dispatcher|webhooks)")
    children = subprocess.run(["pgrep", "-f", ours], capture_output=True)
    assert children.stdout == b"", "a demo process outlived Ctrl-C"

    # Again, on the same database and the same service-account file: it starts, and news keeps coming.
    demo = start()
    try:
        _wait_for_events(api_port, first)
    finally:
        output = _stop(demo, logs)
    assert "Demo logins" in output and "exists; pass --force" not in output
