"""`make demo`: the whole product on one machine, with stand-ins for the outside world.

Migrates an embedded SQLite database and seeds demo data; starts, each as its own process, the agency
mocks (fast clock), the FCM-compatible endpoint with the phone web app, the scheduler (polls agencies,
fans out), the dispatcher (sends pushes through firebase-admin) and the API; registers the demo's items
with the agencies; prints where to look and a live progress line; stops everything on Ctrl-C.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from app import create_app
from app.processes import migrate
from app.processes.seed import (
    ITEMS_PER_KIND,
    STUCK_EVENT,
    agency_records,
    change_a_price,
    example_reference,
    seed_demo,
    seed_history,
    seed_port_charges,
    seed_stuck,
    track_demo_item,
)
from app.web.extensions import db
from core import api_keys
from core.models import User
from notifications import webhooks
from notifications.models import LateAlert, OutboxMessage
from port_charges.catalogue import today
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, StatusEvent

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
API_PORT = int(os.environ.get("SWM_DEMO_PORT", "8100"))
AGENCY_PORT = int(os.environ.get("SWM_DEMO_AGENCY_PORT", "8101"))
PHONE_PORT = int(os.environ.get("SWM_DEMO_PHONE_PORT", "8102"))
ERP_PORT = int(os.environ.get("SWM_DEMO_ERP_PORT", "8103"))
AGENCY_SPEED = os.environ.get("SWM_DEMO_SPEED", "600")  # simulated seconds per second: a lifecycle in minutes
DEMO_ERP_COMPANY_PHONE = "13800000002"  # the consignee's company runs the demo ERP
NEW_ITEM_EVERY = 10  # ticks of 2 s: a new declaration every 20 s
FRESH_ON_RERUN = 4  # declarations per demo kind a second (third …) run starts with
PRICE_CHANGE_EVERY = 45  # a port charge changes every 90 s (the consignee follows THC-40 at Yangshan)
DEMO_KINDS = ("transit", "customs_declaration", "manifest", "tax_payment", "cross_border_ecommerce")
LOG_DIR = Path(os.environ.get("SWM_DEMO_LOG_DIR", ROOT / "var"))


@dataclass
class Services:
    """The demo's child processes; all of them stop when the demo stops."""

    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = (LOG_DIR / f"{name}.log").open("w")
        # Their own session: the terminal's Ctrl-C reaches the demo alone, which stops each child with SIGTERM
        # (a server hit by SIGINT mid-request prints a KeyboardInterrupt trace instead of stopping quietly).
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **env},
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        self.processes.append((name, process))

    def check(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise SystemExit(f"{name} stopped (exit {process.returncode}); see {LOG_DIR / name}.log")

    def stop(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up; see var/*.log")


class AgencyBridge:
    """Stands in for the declaration existing at the agency: every tracked item is registered there once, with
    the parties the agency's records name (its answers then confirm them: docs/parties.md).

    In production the agencies know the declarations already; in the demo someone has to tell the mocks.
    """

    def __init__(self, agency_url: str) -> None:
        self.http = httpx.Client(base_url=agency_url, timeout=10)
        self.known: set[int] = set()

    def register_new(self, app) -> int:  # type: ignore[no-untyped-def]
        with app.app_context():
            rows = db.session.execute(
                select(ClearanceItem.id, ClearanceItem.kind, ClearanceItem.reference)
            ).all()
            # The stuck declarations stand for ones their agency sits on: registered, the mocks would move them.
            stuck = set(db.session.scalars(select(StatusEvent.item_id).where(
                StatusEvent.agency_event_id == STUCK_EVENT)))
            new = [row for row in rows if row.id not in self.known and row.id not in stuck]
            parties = agency_records(db.session, [row.id for row in new]) if new else {}
        by_agency: dict[str, list] = {}
        for row in new:
            by_agency.setdefault(KINDS[row.kind].agency, []).append(row)
        for agency, items in by_agency.items():
            body = {"items": [{"kind": row.kind, "reference": row.reference, "parties": parties[row.id]}
                              for row in items]}
            response = self.http.post(f"/{agency}/admin/items", json=body)
            if response.status_code in (200, 201):
                self.known.update(row.id for row in items)
        return len(new)


def _reusable_account(account: Path, token_uri: str) -> bool:
    """The service account of an earlier run, when it names this run's token endpoint: the FCM stand-in and
    the dispatcher both read it, so one file serves every run on the same ports."""
    try:
        return json.loads(account.read_text(encoding="utf-8")).get("token_uri") == token_uri
    except (OSError, ValueError):
        return False


def next_number(kind: str) -> int:
    """The number of the next fresh declaration of `kind`: past every reference an earlier run stored, so a
    second (tenth …) run declares new items rather than ones the tracker finished long ago."""
    n = ITEMS_PER_KIND + 1
    taken = set(db.session.scalars(select(ClearanceItem.reference).where(ClearanceItem.kind == kind)))
    while example_reference(kind, n) in taken:
        n += 1
    return n


def connect_demo_erp(app, erp_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The consignee company's ERP: a webhook endpoint at the demo receiver and an API key (both new on each
    run, earlier demo ones removed or revoked). Returns (API key, signing secret)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == DEMO_ERP_COMPANY_PHONE))
        company_id = user.company_id
        for endpoint in webhooks.company_endpoints(db.session, company_id):
            if endpoint.url == f"{erp_url}/webhooks":
                db.session.delete(endpoint)
        for key in api_keys.company_keys(db.session, company_id):
            if key.name == "demo ERP":
                api_keys.revoke_key(db.session, key)
        endpoint = webhooks.create_endpoint(db.session, company_id, url=f"{erp_url}/webhooks", allow_private=True,
                                            description="demo ERP")
        _key, secret = api_keys.create_key(db.session, company_id=company_id, name="demo ERP",
                                           scopes=list(api_keys.SCOPES), created_by=user.id)
        db.session.commit()
        return secret, endpoint.secret


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


def progress(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(StatusEvent)) or 0
        sent = db.session.scalar(select(func.count()).where(OutboxMessage.state == "sent")) or 0
        waiting = db.session.scalar(select(func.count()).where(OutboxMessage.state.in_(("pending", "held")))) or 0
        late = db.session.scalar(select(func.count()).select_from(LateAlert)) or 0
        hooks = db.session.scalar(select(func.count()).where(webhooks.WebhookDelivery.state == "delivered")) or 0
    return (f"events ingested: {events}   pushes sent: {sent}   waiting: {waiting}   late alerts: {late}"
            f"   webhooks delivered: {hooks}")


def main() -> None:
    # Ctrl-C, and a plain `kill`, end the demo the same way (even where the shell started it with SIGINT ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    app = create_app()
    migrate.upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        rerun = db.session.scalar(select(func.count()).select_from(ClearanceItem)) > 0
        logins = seed_demo(db.session) + seed_port_charges(db.session)
        seed_history(db.session)
        seed_stuck(db.session)  # a few declarations past their usual time: late alerts
        if rerun:
            # The earlier run's items are over, and the fresh agency mocks would replay their stories receipt
            # for receipt (nothing new to the tracker): a fresh batch gives this run news from the start.
            for kind in DEMO_KINDS:
                for _ in range(FRESH_ON_RERUN):
                    track_demo_item(db.session, kind, next_number(kind))
        db.session.commit()
    agency_url, phone_url, api_url, erp_url = (f"http://{HOST}:{port}"
                                               for port in (AGENCY_PORT, PHONE_PORT, API_PORT, ERP_PORT))
    erp_key, erp_secret = connect_demo_erp(app, erp_url)
    account = LOG_DIR / "fcm-service-account.json"
    common = {"SWM_DATABASE_URL": app.config["DATABASE_URL"], "SWM_LOG_FORMAT": "json"}
    fcm = {"SWM_FCM_SERVICE_ACCOUNT": str(account), "SWM_FCM_ENDPOINT": phone_url}
    services = Services()
    try:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        if not _reusable_account(account, f"{phone_url}/token"):
            subprocess.run([sys.executable, "-m", "mobile_mock", "make-service-account", "--out", str(account),
                            "--project-id", "demo-swm", "--token-uri", f"{phone_url}/token", "--force"],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        services.start("agency-mocks", ["-m", "agency_mocks", "--host", HOST, "--port", str(AGENCY_PORT),
                                        "--seed", "42", "--speed", "1", "--compress", AGENCY_SPEED], common)
        services.start("fcm-and-phone", ["-m", "mobile_mock", "serve", "--host", HOST, "--port", str(PHONE_PORT),
                                         "--service-account", str(account), "--api-url", api_url], common)
        services.start("api", ["-m", "app.processes.cli", "run", "--host", HOST, "--port", str(API_PORT)],
                       {**common, "SWM_CORS_ORIGINS": phone_url})
        wait_until_up(f"{agency_url}/health")
        wait_until_up(f"{phone_url}/admin/health")
        bridge = AgencyBridge(agency_url)
        bridge.register_new(app)
        services.start("scheduler", ["-m", "app.processes.cli", "scheduler"], {
            **common, "SWM_AGENCY_URL": agency_url, "SWM_POLL_SECONDS": "1",
            "SWM_POLL_MIN_INTERVAL": "2", "SWM_POLL_MAX_INTERVAL": "30", "SWM_LATE_ALERT_SECONDS": "10",
        })
        services.start("dispatcher", ["-m", "app.processes.cli", "dispatcher"], {**common, **fcm})
        services.start("erp", ["-m", "erp_mock", "--host", HOST, "--port", str(ERP_PORT)],
                       {"ERP_WEBHOOK_SECRET": erp_secret})
        services.start("webhooks", ["-m", "app.processes.cli", "webhooks"], common)
        wait_until_up(f"{api_url}/health")
        print(f"\nSingle Window Mobile demo is running (started in {time.monotonic() - started:.1f} s)")
        print(f"  Phone web app:         {phone_url}/phone/")
        print(f"  Desk console (95198):  {api_url}/console/   (log in as 13800000005)")
        print(f"  API docs (Swagger UI): {api_url}/docs")
        print(f"  Metrics:               {api_url}/metrics")
        print(f"  ERP (webhooks in):     {erp_url}/   (the consignee company's signed webhooks)")
        print(f"  ERP's API key:         {erp_key}")
        print(f"    e.g. curl -H 'Authorization: Bearer {erp_key}' {api_url}/events")
        print(f"  Agency mocks:          {agency_url}/health   (lifecycles {AGENCY_SPEED}x shorter, real clock)")
        print(f"  Logs:                  {LOG_DIR}/*.log")
        print("  Demo logins (phone / password) — try the consignee on the phone, customer service on the desk:")
        for phone, password, who in logins:
            print(f"    {phone} / {password}  {who}")
        print("  Ctrl-C stops everything.\n", flush=True)
        prices = random.Random(7)
        for tick in itertools.count(1):
            time.sleep(2)
            services.check()
            if tick % NEW_ITEM_EVERY == 0:  # fresh news after the first lifecycles have run their course
                with app.app_context():
                    kind = DEMO_KINDS[tick % len(DEMO_KINDS)]
                    track_demo_item(db.session, kind, next_number(kind))
                    db.session.commit()
            if tick % PRICE_CHANGE_EVERY == 0:
                with app.app_context():
                    change_a_price(db.session, prices, today=today())
                    db.session.commit()
            bridge.register_new(app)
            print(f"\r  {progress(app)}   ", end="", flush=True)
    except KeyboardInterrupt:
        print("\nstopping …")
    finally:
        services.stop()


if __name__ == "__main__":
    status = 0
    try:
        main()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(exc.code, file=sys.stderr)
            status = 1
    # Everything is stopped: skip interpreter teardown, which waits seconds on the app's idle threads and pools.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
