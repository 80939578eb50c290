"""Latency: from an agency status change to the push recorded at the FCM endpoint, p50 and p99.

Everything runs as in production, each as its own process: the agency mocks, the scheduler (polls every
second, fans out), the dispatcher (firebase-admin) and the FCM-compatible endpoint. For each sample a
transit declaration is written off at the agency (its admin API) at a random moment of the poll cycle;
the latency ends when the endpoint records the message for the consignee's phone (its own timestamp).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy.orm import sessionmaker

from bench.common import ROOT, agency_mocks, backends, engine_for, free_port, fresh_database, print_table, register
from core.accounts import NewUser, create_user
from core.identifiers import uscc_check_char
from notifications.devices import register_device
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS

TRANSIT = KINDS["transit"]
WRITE_OFF = next(c.code for c in TRANSIT.codes if c.stage == "completed" and c.milestone)


def _process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **env},
                            stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def run(backend: str, samples: int) -> list[object]:
    references = [f"{int(TRANSIT.reference_example) + n:016d}" for n in range(samples)]
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="swm-latency-")))
        url = stack.enter_context(fresh_database(backend))
        agency_url, admin = stack.enter_context(agency_mocks())
        fcm_port = free_port()
        fcm_url = f"http://127.0.0.1:{fcm_port}"
        account = folder / "sa.json"
        subprocess.run([sys.executable, "-m", "mobile_mock", "make-service-account", "--out", str(account),
                        "--project-id", "bench", "--token-uri", f"{fcm_url}/token"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        processes = [_process(["-m", "mobile_mock", "serve", "--port", str(fcm_port), "--service-account",
                               str(account)], {}, folder / "fcm.log")]
        stack.callback(lambda: [p.terminate() or p.wait(10) for p in processes])
        fcm = stack.enter_context(httpx.Client(base_url=fcm_url, timeout=10))
        _wait(fcm, "/admin/health")
        token = fcm.post("/devices", json={}).json()["token"]

        engine = engine_for(url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with sessions.begin() as session:
            body = "91310000MA1LATEN0"
            company = create_company(session, name="收货人", uscc=body + uscc_check_char(body))
            parties = [{"role": "consignee", "uscc": company.uscc}]
            user = create_user(session, NewUser(phone="13700000000", name="收货人", password="long enough",
                                                company_id=company.id))
            register_device(session, user.id, token=token, platform="android")
            for reference in references:
                track_item(session, company_id=company.id, user_id=user.id, kind="transit", reference=reference)
        engine.dispose()
        register(admin, "gacc", "transit", references, parties=parties)

        env = {"SWM_DATABASE_URL": url, "SWM_LOG_FORMAT": "json"}
        processes.append(_process(["-m", "app.processes.cli", "scheduler"], {
            **env, "SWM_AGENCY_URL": agency_url, "SWM_POLL_SECONDS": "1"}, folder / "scheduler.log"))
        processes.append(_process(["-m", "app.processes.cli", "dispatcher"], {
            **env, "SWM_FCM_SERVICE_ACCOUNT": str(account), "SWM_FCM_ENDPOINT": fcm_url}, folder / "dispatcher.log"))
        # The registrations' first receipts are pushed too: let them through before measuring.
        seq = _settle(fcm, token)
        latencies = []
        rng = random.Random(1)
        for reference in references:
            time.sleep(rng.uniform(0, 1))  # land anywhere in the 1 s poll cycle
            changed_at = time.time()
            admin.post(f"/gacc/admin/items/{reference}/force", json={"code": WRITE_OFF}).raise_for_status()
            message, seq = _wait_for_push(fcm, token, seq, reference)
            latencies.append(message["received_at"] - changed_at)  # the endpoint stamps epoch seconds
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
    return [backend, len(latencies), f"{statistics.median(latencies) * 1000:.0f}", f"{p99 * 1000:.0f}",
            f"{latencies[-1] * 1000:.0f}"]


def _wait(client: httpx.Client, path: str) -> None:
    for _ in range(200):
        try:
            if client.get(path).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{path} did not come up")


def _settle(fcm: httpx.Client, token: str) -> int:
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 3:
        seq = fcm.get(f"/devices/{token}/messages", params={"limit": 1}).json()["last_seq"]
        if seq != last:
            last, quiet_since = seq, time.monotonic()
        time.sleep(0.2)
    return last


def _wait_for_push(fcm: httpx.Client, token: str, after: int, reference: str) -> tuple[dict, int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = fcm.get(f"/devices/{token}/messages", params={"after": after}).json()
        for message in body["messages"]:
            data = message["message"]["data"]
            if data["reference"] == reference and data["native_code"] == WRITE_OFF:
                return message, body["last_seq"]
        time.sleep(0.01)
    raise RuntimeError(f"no push for {reference} within 30 s")


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args(argv)
    rows = [run(backend, args.samples) for backend in backends()]
    print_table("latency: agency status change → push recorded at the FCM endpoint (poll every 1 s)",
                ["backend", "samples", "p50 ms", "p99 ms", "max ms"], rows)


if __name__ == "__main__":
    main()
