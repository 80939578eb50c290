"""Dispatch: pushes per second through the outbox (claim → build → firebase-admin send_each → record) on SQLite
and on PostgreSQL, side by side with bare `messaging.send_each` of the same messages to the same endpoint.

The mobile mock runs in its own process, as FCM would; both measurements use the same firebase-admin app (so
the same connection pool). The pushes go in rounds, bare and outbox alternately (the outbox's rows of a round
are made due just before it), and each side's time is summed over the rounds: a machine whose load drifts
then weighs on both sides alike. The bare side gets its `Message` objects ready-made: a strict floor.
"""

from __future__ import annotations

import argparse
import logging
import math
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from firebase_admin import messaging
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bench.common import ROOT, backends, company, engine_for, entry_ids, free_port, fresh_database, print_table
from core.db import utcnow
from core.models import User
from notifications import fcm
from notifications.dispatcher import DispatchPolicy, dispatch_once
from notifications.messages import build_push, data_payload, render
from notifications.models import Device, Notification, OutboxMessage
from status_tracker.models import ClearanceItem, ItemParty, StatusEvent

KIND = "customs_declaration"
DEVICES = 100  # phones of one company's users; each status change goes to all of them
BATCH = 500


@contextmanager
def mobile_mock() -> Iterator[tuple[str, Path]]:
    """`python -m mobile_mock serve` in its own process, trusting a fresh service account; (base URL, its file)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="swm-bench-fcm-") as folder:
        account = Path(folder) / "fcm-sa.json"
        subprocess.run([sys.executable, "-m", "mobile_mock", "make-service-account", "--out", str(account),
                        "--token-uri", f"{base}/token"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        process = subprocess.Popen(
            [sys.executable, "-m", "mobile_mock", "serve", "--port", str(port), "--service-account", str(account),
             "--max-messages", "50000"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/admin/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            yield base, account
        finally:
            process.terminate()
            process.wait(timeout=10)


def seed_outbox(engine: Engine, pushes: int) -> None:
    """One item with enough status changes that, told to DEVICES phones each, they make `pushes` outbox rows."""
    events = math.ceil(pushes / DEVICES)
    now = utcnow()
    company_id = company(engine)
    reference = entry_ids(1)[0]
    with engine.begin() as conn:
        user_id = conn.execute(insert(User).values(phone="13900000000", name="bench", password_hash="-",
                                                   company_id=company_id, created_at=now)
                               .returning(User.id)).scalar_one()
        item_id = conn.execute(insert(ClearanceItem).values(kind=KIND, reference=reference, unknown_code=False,
                                                            created_at=now, updated_at=now)
                               .returning(ClearanceItem.id)).scalar_one()
        conn.execute(insert(ItemParty).values(item_id=item_id, company_id=company_id, role="declarant",
                                              source="agency", confirmed_at=now, item_updated_at=now))
        conn.execute(insert(StatusEvent), [
            {"item_id": item_id, "item_created_at": now, "agency_event_id": f"E{n}", "sequence": n,
             "native_code": "C", "stage": "inspection",
             "milestone": True, "note": None, "agency_time": now, "received_at": now} for n in range(events)])
        conn.execute(insert(Device), [
            {"user_id": user_id, "token": f"bench-{n:04d}:APA91b{uuid.uuid4().hex * 3}", "platform": "android",
             "active": True, "created_at": now, "last_seen_at": now} for n in range(DEVICES)])
        text = render(KIND, reference, "C", "inspection", None, "zh-CN")
        event_ids = conn.scalars(select(StatusEvent.id).order_by(StatusEvent.id)).all()
        notes = [{"public_id": str(uuid.uuid4()), "user_id": user_id, "item_id": item_id, "event_id": e,
                  "urgent": True, "title": text.title, "body": text.body, "created_at": now} for e in event_ids]
        for note in notes:
            note["data"] = data_payload(note["public_id"], item_id, KIND, reference, "C", "inspection", True, now)
        conn.execute(insert(Notification), notes)
        note_ids = conn.execute(select(Notification.id, Notification.event_id)).all()
        device_ids = conn.scalars(select(Device.id).order_by(Device.id)).all()
        rows = [{"notification_id": n, "event_id": e, "device_id": d, "state": "pending", "attempts": 0,
                 "next_attempt_at": now, "created_at": now} for n, e in note_ids for d in device_ids]
        conn.execute(insert(OutboxMessage), rows[:pushes])


def rounds_of(engine: Engine, rounds: int) -> list[tuple[list[int], list[messaging.Message]]]:
    """The outbox split into rounds: each round's row ids and the same pushes as firebase-admin objects (made
    before any clock starts). Every row is parked in the future until its round."""
    with engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(next_attempt_at=utcnow() + timedelta(days=1)))
        rows = conn.execute(
            select(OutboxMessage.id, Device.token, Notification.title, Notification.body, Notification.data,
                   Notification.urgent)
            .join(Device, OutboxMessage.device_id == Device.id)
            .join(Notification, Notification.id == OutboxMessage.notification_id).order_by(OutboxMessage.id)).all()
    with fcm._token_field_allowed():
        messages = [fcm.to_message(build_push(r.token, r.title, r.body, r.data, urgent=r.urgent)) for r in rows]
    size = math.ceil(len(rows) / rounds)
    return [([r.id for r in rows[i : i + size]], messages[i : i + size]) for i in range(0, len(rows), size)]


def bare_send_each(sender: fcm.FcmSender, messages: list[messaging.Message]) -> float:
    started = time.perf_counter()
    for start in range(0, len(messages), BATCH):
        response = messaging.send_each(messages[start : start + BATCH], app=sender.app)
        assert response.failure_count == 0, response.responses[0].exception
    return time.perf_counter() - started


def through_outbox(engine: Engine, sender: fcm.FcmSender, ids: list[int]) -> tuple[float, int]:
    with engine.begin() as conn:  # this round's rows become due (not timed)
        conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(next_attempt_at=utcnow()))
    sessions = sessionmaker(engine, expire_on_commit=False)
    policy = DispatchPolicy(batch_size=BATCH)
    sent = 0
    started = time.perf_counter()
    while (result := dispatch_once(sessions, sender, worker_id="bench", policy=policy)).claimed:
        sent += result.sent
    return time.perf_counter() - started, sent


def run(backend: str, pushes: int, rounds: int, base: str, account: Path) -> list[object]:
    bare_seconds = outbox_seconds = 0.0
    sent = 0
    with fresh_database(backend) as url:
        engine = engine_for(url)
        seed_outbox(engine, pushes)
        plan = rounds_of(engine, rounds)
        sender = fcm.FcmSender(account, endpoint=base, app_name=f"bench-{backend}")
        try:
            bare_send_each(sender, plan[0][1][:BATCH])  # warm: connections open, code paths hot
            for n, (ids, messages) in enumerate(plan):
                httpx.delete(f"{base}/admin/messages")  # keeps the mock's memory flat
                first_bare = n % 2 == 0  # alternate who goes first
                if first_bare:
                    bare_seconds += bare_send_each(sender, messages)
                seconds, count = through_outbox(engine, sender, ids)
                outbox_seconds, sent = outbox_seconds + seconds, sent + count
                if not first_bare:
                    bare_seconds += bare_send_each(sender, messages)
        finally:
            sender.close()
            engine.dispose()
            httpx.delete(f"{base}/admin/messages")
    assert sent == pushes, f"{sent} of {pushes} sent"
    outbox, bare = pushes / outbox_seconds, pushes / bare_seconds
    return [backend, pushes, len(plan), f"{outbox:,.0f}", f"{bare:,.0f}", f"{outbox / bare:.2f}"]


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating bare / outbox rounds")
    args = parser.parse_args(argv)
    with mobile_mock() as (base, account):
        rows = [run(backend, args.pushes, args.rounds, base, account) for backend in backends()]
    print_table(
        "dispatch: outbox → firebase-admin send_each → mobile mock, against bare send_each (goal: ratio ≥ 0.9)",
        ["backend", "pushes", "rounds", "outbox pushes/s", "bare send_each/s", "ratio"],
        rows,
    )


if __name__ == "__main__":
    main()
