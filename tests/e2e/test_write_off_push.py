"""The product's promise, end to end: customs writes off a transit declaration; the consignee and the
agent get the push on their phones through the real chain (agency feed → poll → fan-out → outbox →
dispatcher → firebase-admin → FCM endpoint) because customs' receipts name them as parties; a user of an
unrelated company, which the declarant's claim names but customs does not, gets nothing."""

from __future__ import annotations

import httpx
import pytest

from agency_mocks import create_app as create_agencies
from agency_mocks.server import serve_in_thread as serve_agencies
from core.accounts import NewUser, create_user
from mobile_mock import create_app as create_fcm
from mobile_mock import make_service_account
from mobile_mock.server import serve_in_thread as serve_fcm
from notifications.devices import register_device
from notifications.dispatcher import dispatch_once
from notifications.fanout import fan_out
from notifications.fcm import FcmSender
from status_tracker.adapters import build_clients
from status_tracker.clearances import PartyRef, track_item
from status_tracker.companies import create_company
from status_tracker.kinds import KINDS
from status_tracker.polling import Poller, PollPolicy
from tests.conftest import make_uscc

TRANSIT = KINDS["transit"]
WRITE_OFF = next(c for c in TRANSIT.codes if c.stage == "completed" and c.milestone)


@pytest.fixture
def outside_world():
    agencies = create_agencies({"seed": 3, "speed": 0})
    agency_url, stop_agencies = serve_agencies(agencies)
    account = make_service_account("demo-swm", "http://127.0.0.1/token")
    fcm_url, stop_fcm = serve_fcm(create_fcm({"SERVICE_ACCOUNTS": [account]}))
    sender = FcmSender(account | {"token_uri": f"{fcm_url}/token"}, endpoint=fcm_url, app_name="e2e-write-off")
    yield agency_url, fcm_url, sender
    sender.close()
    stop_fcm()
    stop_agencies()


def test_a_write_off_reaches_consignee_and_agent_and_nobody_else(sessions, outside_world):
    agency_url, fcm_url, sender = outside_world
    fcm = httpx.Client(base_url=fcm_url, timeout=10)
    tokens = {}
    with sessions.begin() as session:
        companies = {role: create_company(session, name=role, uscc=make_uscc(700 + n), customs_code=f"22339800{n:02d}")
                     for n, role in enumerate(("declarant", "consignee", "agent", "unrelated"))}
        for n, (role, company) in enumerate(companies.items()):
            user = create_user(session, NewUser(phone=f"1350000{n:04d}", name=role, password="long enough",
                                                company_id=company.id))
            tokens[role] = fcm.post("/devices", json={}).json()["token"]  # the phone's FCM registration
            register_device(session, user.id, token=tokens[role], platform="android")
        track_item(session, company_id=companies["declarant"].id, user_id=None, kind="transit",
                   reference=TRANSIT.reference_example,
                   parties=(PartyRef("consignee", companies["consignee"].uscc),
                            PartyRef("consignor", companies["unrelated"].uscc)))  # a claim customs never confirms
        # Customs knows the declaring broker by credit code, the consignee and the agent by customs code only.
        customs = [{"role": "declarant", "uscc": companies["declarant"].uscc},
                   {"role": "consignee", "customs_code": companies["consignee"].customs_code},
                   {"role": "agent", "customs_code": companies["agent"].customs_code}]
    with httpx.Client(base_url=agency_url, timeout=10) as agency:
        registered = agency.post("/gacc/admin/items", json={"kind": "transit", "reference": TRANSIT.reference_example,
                                                             "parties": customs})
        assert registered.status_code == 201
        with httpx.Client(timeout=10) as http:
            poller = Poller(sessions, build_clients(agency_url, http), on_change=fan_out,
                            policy=PollPolicy(min_interval=0))
            poller.poll("gacc")
            dispatch_once(sessions, sender, worker_id="e2e")
            before = {role: len(received(fcm, token)) for role, token in tokens.items()}

            forced = agency.post(f"/gacc/admin/items/{TRANSIT.reference_example}/force",
                                 json={"code": WRITE_OFF.code, "note": "指运地海关已核销"})
            assert forced.status_code == 201
            result = poller.poll("gacc")
            assert result.changes == 1
            dispatched = dispatch_once(sessions, sender, worker_id="e2e")
    assert dispatched.sent == 3  # declarant, consignee, agent: one device each
    for role in ("declarant", "consignee", "agent"):
        new = received(fcm, tokens[role])[before[role]:]
        assert [m["data"]["native_code"] for m in new] == [WRITE_OFF.code], role
        assert new[0]["notification"]["title"] == f"转关：{WRITE_OFF.label_zh}"
    assert received(fcm, tokens["unrelated"]) == []


def received(fcm: httpx.Client, token: str) -> list[dict]:
    return [m["message"] for m in fcm.get(f"/devices/{token}/messages").json()["messages"]]
