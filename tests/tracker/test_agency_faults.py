"""The tracker against the running agency mocks with each fault switched on: it keeps running, records
nothing wrong, and catches up once the fault ends."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from agency_mocks import create_app as create_mocks
from agency_mocks.server import serve_in_thread
from app.processes.seed import example_references
from status_tracker.adapters import build_clients
from status_tracker.agencies import AGENCIES
from status_tracker.clearances import track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, StatusEvent
from status_tracker.polling import Poller, PollPolicy
from tests.conftest import make_uscc

FAULTS = {
    "5xx": {"error_rate": 1.0, "error_status": 503},
    "malformed bodies": {"malformed_rate": 1.0},
    "timeouts": {"timeout_rate": 1.0, "timeout_seconds": 0.6},
    "latency": {"latency_ms": 40},
    "duplicated receipts": {"duplicate_rate": 0.7},
    "out-of-order receipts": {"out_of_order_rate": 0.7},
    "trickling answers": {"trickle_bytes_per_second": 200},  # cut off at the clients' 1 s deadline
    "oversized answers": {"oversize_bytes": 2 * 2**20},  # refused past the clients' 1 MiB cap
}
PER_KIND = 3


@pytest.fixture
def agencies():
    """The mocks on a real socket (timeouts need one), clock frozen: the test moves it."""
    mocks = create_mocks({"seed": 5, "speed": 0, "rate_limits": {a: {"per_second": None} for a in ("sta", "bank")}})
    base_url, stop = serve_in_thread(mocks)
    admin = httpx.Client(base_url=base_url, timeout=10)
    http = httpx.Client(timeout=0.3)
    yield base_url, admin, http
    http.close()
    admin.close()
    stop()


@pytest.fixture
def tracked(sessions, agencies):
    _, admin, _ = agencies
    refs: dict[str, list[str]] = {}
    with sessions.begin() as session:
        company = create_company(session, name="报关企业", uscc=make_uscc(3))
        for kind in KINDS.values():
            for reference in example_references(kind.key, PER_KIND):
                track_item(session, company_id=company.id, user_id=None, kind=kind.key, reference=reference)
                refs.setdefault(kind.agency, []).append((kind.key, reference))
    for agency, items in refs.items():
        body = {"items": [{"kind": kind, "reference": ref} for kind, ref in items]}
        assert admin.post(f"/{agency}/admin/items", json=body).status_code == 201
    return refs


def truth(admin: httpx.Client, refs) -> dict[str, tuple[str, int, set[str]]]:
    """What each agency says now: latest code, its version, and every receipt id so far."""
    out = {}
    for agency, items in refs.items():
        for _, reference in items:
            status = admin.get(f"/{agency}/admin/items/{reference}").json()["status"]
            out[reference] = (status["code"], status["version"], {h["event_id"] for h in status["history"]})
    return out


def poll_everything(poller: Poller, cycles: int = 3) -> None:
    for _ in range(cycles):
        for agency in AGENCIES:
            poller.poll(agency)  # never raises, whatever the agency does


def check_nothing_wrong(sessions, admin, refs) -> dict[str, ClearanceItem]:
    facts = truth(admin, refs)
    with sessions() as session:
        items = {i.reference: i for i in session.scalars(select(ClearanceItem))}
        for reference, item in items.items():
            code, version, receipts = facts[reference]
            recorded = {e.agency_event_id for e in session.scalars(
                select(StatusEvent).where(StatusEvent.item_id == item.id))}
            assert recorded <= receipts, f"{reference}: events the agency never sent"
            assert (item.status_sequence or 0) <= version
    return items


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_survived_and_recovered_from(sessions, agencies, tracked, fault):
    base_url, admin, http = agencies
    policy = PollPolicy(min_interval=0, max_interval=0, breaker_threshold=1000, feed_page_size=7)
    poller = Poller(sessions, build_clients(base_url, http, timeout=1.0, max_bytes=2**20), policy=policy)
    admin.post("/admin/clock", json={"advance_seconds": 1800})
    poll_everything(poller, cycles=1)

    for agency in AGENCIES:
        assert admin.post(f"/{agency}/admin/faults", json=FAULTS[fault]).status_code == 200
    admin.post("/admin/clock", json={"advance_seconds": 4 * 3600})
    poll_everything(poller, cycles=2)
    check_nothing_wrong(sessions, admin, tracked)

    for agency in AGENCIES:
        admin.delete(f"/{agency}/admin/faults")
    poll_everything(poller)
    items = check_nothing_wrong(sessions, admin, tracked)
    facts = truth(admin, tracked)
    behind = {ref: (item.current_code, facts[ref][0]) for ref, item in items.items()
              if (item.current_code, item.status_sequence) != (facts[ref][0], facts[ref][1])}
    assert behind == {}, f"not caught up after {fault}: {behind}"
