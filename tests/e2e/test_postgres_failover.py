"""Failover: a throw-away PostgreSQL primary with a real streaming replica, the scheduler, dispatcher and API
connected to both through one multi-host URL (target_session_attrs=read-write). The primary is stopped hard in the
middle of traffic and the replica promoted: polling, dispatch and the API carry on, no status event and no push is
lost (duplicates counted), and the scheduler's leader lock is taken again on the new primary.

Needs PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup); skipped, saying why, where they cannot run."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from agency_mocks import create_app as create_agency_mocks
from agency_mocks.server import serve_in_thread
from app.processes import migrate
from app.processes.leader import LOCK_KEY
from core.accounts import NewUser, create_user
from core.db import make_engine
from core.identifiers import uscc_check_char
from mobile_mock import create_app as create_fcm_mock
from mobile_mock.service_account import make_service_account, write_service_account
from notifications.devices import register_device
from notifications.models import Device, Notification, OutboxMessage
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, StatusEvent

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 20
CODES = ("02", "08", "04", "05", "06")  # accepted, inspection, released, released (detail), written off
FORCE_EVERY = 0.05  # seconds between two status changes at the agency
STOP_AFTER = 30  # status changes forced before the primary is stopped
PHONE, PASSWORD = "13700000001", "failover-pass-2026"
REFERENCE_BASE = int(KINDS["transit"].reference_example)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.1) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)
    return time.monotonic() - start


# -- a throw-away primary and its streaming replica ----------------------------------------------------------------


@dataclass
class Node:
    data: Path
    port: int
    log: Path


class Cluster:
    """Runs PostgreSQL's own programs, as the `postgres` OS user when this is root (initdb refuses root)."""

    def __init__(self, folder: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"), key=_version)
        self.bin = Path(found[-1]).parent if found else None
        self.folder = folder
        self.primary = Node(folder / "primary", free_port(), folder / "primary.log")
        self.replica = Node(folder / "replica", free_port(), folder / "replica.log")

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        assert self.bin is not None
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr.strip()[-1500:]}")
        return result

    def start(self) -> None:
        primary, replica = self.primary, self.replica
        self.run("initdb", "-D", str(primary.data), "-U", "postgres", "-A", "trust", "--no-sync")
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {primary.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.folder}'\nwal_level = replica\nmax_wal_senders = 4\n"
                       "hot_standby = on\nfsync = off\nmax_connections = 60\nshared_buffers = 16MB\n")
        self.run("pg_ctl", "-D", str(primary.data), "-l", str(primary.log), "-w", "-t", "30", "start")
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                 "-D", str(replica.data), "-R", "-X", "stream", "--no-sync")
        with (replica.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {replica.port}\n")
        self.run("pg_ctl", "-D", str(replica.data), "-l", str(replica.log), "-w", "-t", "30", "start")

    def stop_primary(self) -> None:
        """As a crash: no shutdown checkpoint, nothing more sent to the replica."""
        self.run("pg_ctl", "-D", str(self.primary.data), "-m", "immediate", "-w", "stop")

    def promote_replica(self) -> None:
        self.run("pg_ctl", "-D", str(self.replica.data), "-w", "-t", "30", "promote")

    def stop(self) -> None:
        if self.bin is None:
            return
        for node in (self.primary, self.replica):
            if (node.data / "postmaster.pid").exists():
                self.run("pg_ctl", "-D", str(node.data), "-m", "immediate", "-w", "stop", check=False)

    def url(self, node: Node, database: str = "swm") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{node.port}/{database}"

    def multi_host_url(self, database: str = "swm") -> str:
        return (f"postgresql+psycopg://postgres@/{database}?host=127.0.0.1,127.0.0.1"
                f"&port={self.primary.port},{self.replica.port}&target_session_attrs=read-write")


def _version(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


def cannot_run(reason: str) -> None:
    if os.environ.get("SWM_REQUIRE_FAILOVER"):  # CI sets it: there, a skipped failover test is a failure
        pytest.fail(f"failover test: {reason}")
    pytest.skip(f"failover test: {reason}")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="swm-failover-"))
    made = Cluster(folder)
    try:
        if made.bin is None:
            cannot_run("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup under /usr/lib/postgresql/*/bin)"
                       " are not installed")
        if os.geteuid() == 0:
            try:
                shutil.chown(folder, "postgres", "postgres")
            except (LookupError, OSError) as exc:
                cannot_run(f"running as root and there is no `postgres` OS user to run initdb as: {exc}")
        try:
            made.start()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            cannot_run(f"cannot create a primary and a streaming replica here: {exc}")
        yield made
    finally:
        made.stop()
        shutil.rmtree(folder, ignore_errors=True)


# -- the test -------------------------------------------------------------------------------------------------------


def _process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **env},
                            stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


class Prober(threading.Thread):
    """Asks the API every 50 ms for the user's items; remembers when it answered 200."""

    def __init__(self, api_url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=api_url, timeout=5, headers={"Authorization": f"Bearer {token}"})
        self.ok: list[float] = []
        self.failed: Counter[str] = Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                status = self.client.get("/clearances", params={"limit": 5}).status_code
            except httpx.TransportError as exc:
                self.failed[type(exc).__name__] += 1
                continue
            if status == 200:
                self.ok.append(time.time())
            else:
                self.failed[str(status)] += 1


def longest_gap(times: list[float], around: float) -> float:
    """The longest wait between two consecutive moments, among those spanning `around`."""
    times = sorted(times)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if a <= around + 0.5 and b >= around]
    return max(gaps, default=float("inf"))


def test_primary_replaced_by_its_replica_loses_no_event_and_no_push(cluster, tmp_path):
    references = [f"{REFERENCE_BASE + n:016d}" for n in range(ITEMS)]
    url = cluster.multi_host_url()
    admin_engine = make_engine(cluster.url(cluster.primary, "postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text("CREATE DATABASE swm"))
    admin_engine.dispose()
    migrate.upgrade(url)

    account = make_service_account("failover-test", "http://127.0.0.1/token")
    fcm_app = create_fcm_mock({"SERVICE_ACCOUNTS": [account]})
    fcm_url, stop_fcm = serve_in_thread(fcm_app)
    account = account | {"token_uri": f"{fcm_url}/token"}
    agency_url, stop_agency = serve_in_thread(create_agency_mocks({"seed": 16, "speed": 0}))
    agency = httpx.Client(base_url=agency_url, timeout=10)
    processes: list[subprocess.Popen] = []
    prober: Prober | None = None
    try:
        account_file = write_service_account(account, tmp_path / "fcm-sa.json")
        api_port = free_port()
        common = {"SWM_DATABASE_URL": url, "SWM_LOG_FORMAT": "json", "SWM_RATELIMIT_ENABLED": "0"}
        logs = {name: tmp_path / f"{name}.log" for name in ("scheduler", "dispatcher", "api")}
        processes.append(_process(["-m", "app.processes.cli", "scheduler"], {
            **common, "SWM_AGENCY_URL": agency_url, "SWM_POLL_SECONDS": "0.3", "SWM_LEADER_CHECK_SECONDS": "0.3",
            "SWM_AGENCY_TIMEOUT": "3", "SWM_SCHEDULER_STOP_GRACE_SECONDS": "1"}, logs["scheduler"]))
        processes.append(_process(["-m", "app.processes.cli", "dispatcher"], {
            **common, "SWM_FCM_SERVICE_ACCOUNT": str(account_file), "SWM_FCM_ENDPOINT": fcm_url,
            "SWM_DISPATCH_LEASE_SECONDS": "3"}, logs["dispatcher"]))
        processes.append(_process(["-m", "app.processes.cli", "run", "--host", "127.0.0.1", "--port", str(api_port)],
                                  common, logs["api"]))
        api = httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=5)
        # Seeded while the processes start.
        token = "failover" + "x" * 140
        engine = make_engine(url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with sessions.begin() as session:
            body = "91310000MA1FA1L0X"
            company = create_company(session, name="收货人", uscc=body + uscc_check_char(body))
            user = create_user(session, NewUser(phone=PHONE, name="收货人", password=PASSWORD,
                                                company_id=company.id))
            register_device(session, user.id, token=token, platform="android")
            for reference in references:
                track_item(session, company_id=company.id, user_id=user.id, kind="transit", reference=reference)
        agency.post("/gacc/admin/items", json={"items": [
            {"kind": "transit", "reference": r, "parties": [{"role": "consignee", "uscc": company.uscc}]}
            for r in references]}).raise_for_status()


        def api_up() -> bool:
            try:
                return api.get("/ready").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(api_up, 60, "the API answering")
        login = api.post("/auth/login", json={"phone": PHONE, "password": PASSWORD})
        assert login.status_code == 200, login.text
        # The registration receipts are polled (and fanned out): the whole pipeline runs before the test begins.
        def registered() -> bool:
            with sessions() as session:
                return len(session.scalars(select(StatusEvent.id)).all()) >= ITEMS

        wait_for(registered, 60, "the registration receipts polled", every=0.3)
        prober = Prober(f"http://127.0.0.1:{api_port}", login.json()["access_token"])
        prober.start()

        forced: list[tuple[str, str]] = []
        stopped_at = 0.0
        for code in CODES:
            for reference in references:
                agency.post(f"/gacc/admin/items/{reference}/force", json={"code": code}).raise_for_status()
                forced.append((reference, code))
                if len(forced) == STOP_AFTER:
                    stopped_at = time.time()
                    cluster.stop_primary()
                    cluster.promote_replica()
                    promoted_in = time.time() - stopped_at
                time.sleep(FORCE_EVERY)
        assert all(p.poll() is None for p in processes), "a process exited during the failover"

        # Everything arrives in the end, from the new primary.
        expected_events = {(r, "01") for r in references} | set(forced)
        new_primary = make_engine(cluster.url(cluster.replica))
        new_sessions = sessionmaker(new_primary, expire_on_commit=False)

        def stored_events() -> Counter[tuple[str, str]]:
            with new_sessions() as session:
                return Counter(session.execute(select(ClearanceItem.reference, StatusEvent.native_code)
                                               .join(StatusEvent, StatusEvent.item_id == ClearanceItem.id)).all())

        wait_for(lambda: set(stored_events()) >= expected_events, 60, "every status event stored", every=0.5)

        def outbox_done() -> bool:
            with new_sessions() as session:
                states = set(session.scalars(select(OutboxMessage.state).distinct()))
            return states == {"sent"}

        wait_for(outbox_done, 60, "every push sent", every=0.5)
        wait_for(lambda: prober.ok and prober.ok[-1] > stopped_at + 0.5, 30, "the API answering again")
        prober.stop.set()
        prober.join(10)

        with new_sessions() as session:
            pushed = {(ref, code) for ref, code in session.execute(
                select(ClearanceItem.reference, StatusEvent.native_code)
                .join(StatusEvent, StatusEvent.item_id == ClearanceItem.id)
                .join(Notification, Notification.event_id == StatusEvent.id)
                .join(OutboxMessage, OutboxMessage.notification_id == Notification.id)
                .join(Device, Device.id == OutboxMessage.device_id).where(Device.token == token))}
            received = [r for r, in session.execute(select(StatusEvent.received_at))]
        with new_primary.connect() as conn:
            lock_holder = conn.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = :k"
            ), {"k": LOCK_KEY}).scalar()
        new_primary.dispose()
        engine.dispose()

        delivered = deliveries(fcm_url)
        by_event = Counter((d["message"]["data"]["reference"], d["message"]["data"]["native_code"])
                           for d in delivered if d["token"] == token)
        duplicate_events = sum(stored_events().values()) - len(stored_events())
        duplicate_pushes = sum(by_event.values()) - len(by_event)
        gaps = {
            "api": longest_gap(prober.ok, stopped_at),
            "polling": longest_gap([t.timestamp() for t in received], stopped_at),
            "pushes": longest_gap([d["received_at"] for d in delivered], stopped_at),
        }
        print(f"\nfailover: primary stopped, replica promoted in {promoted_in:.1f} s; longest gap without service: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in gaps.items())
              + f"; {len(expected_events)} status events, lost {len(expected_events - set(stored_events()))}, "
              f"stored twice {duplicate_events}; {len(pushed)} pushes, lost {len(pushed - set(by_event))}, "
              f"delivered twice {duplicate_pushes}; API failures during the gap {dict(prober.failed)}")

        assert lock_holder is not None, "the leader lock was not taken again on the new primary"
        assert set(stored_events()) == expected_events  # nothing lost, nothing invented
        assert duplicate_events == 0
        milestones = {(r, c) for r, c in expected_events if any(k.code == c and k.milestone
                                                                for k in KINDS["transit"].codes)}
        assert pushed >= milestones, "a milestone was not fanned out"
        assert set(by_event) >= pushed, f"pushes lost: {sorted(pushed - set(by_event))[:5]}"
        scheduler_log = logs["scheduler"].read_text()
        assert scheduler_log.count("scheduler is the leader") >= 2, scheduler_log[-3000:]
        assert all(gap < 30 for gap in gaps.values()), gaps
        assert set(prober.failed) <= {"503"}, f"the API failed otherwise than 'try again': {dict(prober.failed)}"
    finally:
        if prober is not None:
            prober.stop.set()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        agency.close()
        stop_agency()
        stop_fcm()


def deliveries(fcm_url: str) -> list[dict]:
    """Every message the FCM mock accepted, oldest first."""
    found: list[dict] = []
    after = 0
    while True:
        page = httpx.get(f"{fcm_url}/admin/messages", params={"after": after, "limit": 100_000}, timeout=30).json()
        found += page["messages"]
        if not page["messages"] or page["last_seq"] >= page["newest_seq"]:
            return found
        after = page["last_seq"]
