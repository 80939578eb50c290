"""`make demo` end to end: the items move on their own, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_moves_items_by_itself_and_stops_cleanly(tmp_path):
    api_port, agency_port, phone_port, erp_port = free_port(), free_port(), free_port(), free_port()
    env = {**os.environ, "SWM_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "SWM_DEMO_PORT": str(api_port), "SWM_DEMO_AGENCY_PORT": str(agency_port),
           "SWM_DEMO_PHONE_PORT": str(phone_port), "SWM_DEMO_ERP_PORT": str(erp_port),
           "SWM_DEMO_LOG_DIR": str(tmp_path / "logs")}
    demo = subprocess.Popen([sys.executable, "-m", "app.processes.demo"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        ingested = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ingested < 20:
            time.sleep(1)
            try:
                metrics = httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=2).text
            except httpx.TransportError:
                continue
            ingested = sum(float(v) for v in re.findall(r'^swm_agency_events_ingested\{[^}]*\} (\S+)$', metrics, re.M))
        assert ingested >= 20, "the demo's items did not move"
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
        # The consignee company's ERP gets the same changes as signed webhooks, and verifies every one.
        received: dict = {"received": []}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not received["received"]:
            received = httpx.get(f"http://127.0.0.1:{erp_port}/received", timeout=5).json()
            time.sleep(1)
        assert received["received"] and received["rejected"] == 0
        assert all(m["id"].startswith("evt_") for m in received["received"])
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert "Demo logins" in output and "stopping" in output
    ours = (f"--port ({agency_port}|{api_port}|{phone_port}|{erp_port})"
            "|app.processes.cli (scheduler|dispatcher|webhooks)")
    children = subprocess.run(["pgrep", "-f", ours], capture_output=True)
    assert children.stdout == b"", "a demo process outlived Ctrl-C"
