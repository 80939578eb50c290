"""The real firebase-admin SDK against the mobile mock: what reaches the phone, and what FCM's refusals do."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import firebase_admin
import pytest
from firebase_admin import messaging

from notifications.dispatcher import DispatchPolicy, dispatch_once
from notifications.fcm import FcmSender
from notifications.messages import build_push
from notifications.models import Notification
from notifications.sending import AUTH_FAILED, SendOutcome
from tests.notifications.conftest import fcm_token

NO_JITTER = DispatchPolicy(jitter=lambda ceiling: 0.0)


def message(token: str, n: int = 1, *, urgent: bool = False) -> dict:
    data = {"notification_id": str(uuid.uuid4()), "item_id": str(n), "kind": "transit", "reference": "R1",
            "native_code": "01", "stage": "completed", "milestone": "true",
            "agency_time": "2024-05-01T08:00:00+08:00", "deep_link": f"swm://clearances/{n}"}
    return build_push(token, "转关：已核销", "R1 · 已完成", data, urgent=urgent)


def test_the_phone_receives_exactly_the_message_build_push_built(sessions, pushes, fcm, live_mock):
    android, iphone = pushes.device(fcm_token()), pushes.device(fcm_token(), platform="ios")
    routine = pushes.notification(pushes.event("J"))
    urgent = pushes.notification(pushes.event("C"))
    for note in (routine, urgent):
        for device in (android, iphone):
            pushes.outbox(note, device)
    result = dispatch_once(sessions, fcm, worker_id="test")
    assert (result.claimed, result.sent) == (4, 4)
    deliveries = live_mock.deliveries()
    assert len(deliveries) == 4
    with sessions() as session:
        notes = {n.public_id: n for n in session.query(Notification)}
    for delivery in deliveries:
        note = notes[delivery["message"]["data"]["notification_id"]]
        assert delivery["message"] == build_push(delivery["token"], note.title, note.body, note.data,
                                                 urgent=note.urgent)
    assert {d["message"]["android"]["priority"] for d in deliveries} == {"high", "normal"}
    names = {d["name"] for d in deliveries}
    assert {r.fcm_message_id for r in pushes.rows()} == names  # the id FCM gave is what we keep


def test_an_unregistered_token_deactivates_the_device(sessions, pushes, fcm, live_mock):
    token = fcm_token()
    gone = pushes.device(token)
    first, second = pushes.push(gone), pushes.push(gone)
    live_mock.faults({"tokens": {token: "UNREGISTERED"}})
    result = dispatch_once(sessions, fcm, worker_id="test")
    assert result.dead_tokens == 1 and not pushes.active(gone)
    assert {pushes.row(first).state, pushes.row(second).state} == {"cancelled"}
    assert {(a.outcome, a.error_code) for a in pushes.attempts()} == {("dead_token", "UNREGISTERED")}


def test_a_sender_id_mismatch_deactivates_the_device(sessions, pushes, fcm, live_mock):
    token = fcm_token()
    device = pushes.device(token)
    outbox_id = pushes.push(device)
    live_mock.faults({"tokens": {token: "SENDER_ID_MISMATCH"}})
    dispatch_once(sessions, fcm, worker_id="test")
    assert not pushes.active(device) and pushes.row(outbox_id).state == "cancelled"
    assert [(a.outcome, a.error_code) for a in pushes.attempts(outbox_id)] == [("dead_token", "SENDER_ID_MISMATCH")]


def test_a_429_is_retried_no_earlier_than_retry_after_and_the_sdk_does_not_sleep_on_it(sessions, pushes, fcm,
                                                                                        live_mock):
    outbox_id = pushes.push(pushes.device(fcm_token()))
    live_mock.faults({"next": ["QUOTA_EXCEEDED"], "retry_after": 30})
    started = time.monotonic()
    result = dispatch_once(sessions, fcm, worker_id="test", policy=NO_JITTER)
    assert time.monotonic() - started < 5, "urllib3 honoured Retry-After inside the SDK"
    row = pushes.row(outbox_id)
    [attempt] = pushes.attempts(outbox_id)
    assert result.retried == 1 and attempt.error_code == "QUOTA_EXCEEDED"
    assert row.next_attempt_at >= attempt.attempted_at + timedelta(seconds=30)
    assert dispatch_once(sessions, fcm, worker_id="test").claimed == 0  # not yet
    later = row.next_attempt_at + timedelta(milliseconds=1)
    assert dispatch_once(sessions, fcm, worker_id="test", now=lambda: later).sent == 1


def test_5xx_comes_back_to_the_dispatcher_instead_of_being_retried_inside_the_sdk(fcm, live_mock):
    live_mock.faults({"next": ["UNAVAILABLE", "INTERNAL", "OK"]})
    outcomes = fcm.send([message(fcm_token(), 1)])
    assert outcomes == [SendOutcome.retry("UNAVAILABLE")]
    assert fcm.send([message(fcm_token(), 2)]) == [SendOutcome.retry("INTERNAL")]
    [ok] = fcm.send([message(fcm_token(), 3)])
    assert ok.kind == "sent" and ok.message_id.startswith("projects/demo-swm/messages/")
    assert live_mock.stats()["errors"] == {"UNAVAILABLE": 1, "INTERNAL": 1}


def test_outcomes_keep_the_order_of_the_messages_across_batches(fcm, live_mock):
    tokens = [fcm_token() for _ in range(520)]
    dead = {tokens[3], tokens[510]}
    live_mock.faults({"tokens": {t: "UNREGISTERED" for t in dead} | {tokens[7]: "THIRD_PARTY_AUTH_ERROR"}})
    bad = message(tokens[9]) | {"webpush": {}}  # a field this sender does not know: refused, not dropped
    outcomes = fcm.send([bad if i == 9 else message(t, i + 1) for i, t in enumerate(tokens)])
    kinds = {i: o.kind for i, o in enumerate(outcomes) if o.kind != "sent"}
    assert kinds == {3: "dead_token", 510: "dead_token", 7: "retry", 9: "failed"}
    assert outcomes[7].error_code == "THIRD_PARTY_AUTH_ERROR" and outcomes[9].error_code == "ValueError"
    assert live_mock.stats()["delivered"] == 516


def test_a_payload_the_sdk_refuses_fails_alone(fcm, live_mock):
    bad = message(fcm_token())
    bad["android"]["priority"] = "urgent"  # the SDK refuses it before sending anything
    outcomes = fcm.send([message(fcm_token(), 1), bad, message(fcm_token(), 2)])
    assert [o.kind for o in outcomes] == ["sent", "failed", "sent"]


def test_an_invalid_argument_from_fcm_is_a_failure(fcm, live_mock):
    too_big = message(fcm_token())
    too_big["data"]["reference"] = "x" * 5000  # over FCM's 4096 bytes: only the server knows
    [outcome] = fcm.send([too_big])
    assert (outcome.kind, outcome.error_code) == ("failed", "INVALID_ARGUMENT")


def test_an_endpoint_is_refused_in_production(live_mock):
    with pytest.raises(RuntimeError, match="production"):
        FcmSender(live_mock.service_account, endpoint=live_mock.base_url, production=True, app_name="prod")
    assert "prod" not in {app.name for app in firebase_admin._apps.values()}


def test_a_changed_sdk_fails_loudly(live_mock, monkeypatch):
    monkeypatch.delattr(messaging, "_get_messaging_service")
    with pytest.raises(RuntimeError, match=f"firebase-admin {firebase_admin.__version__}"):
        FcmSender(live_mock.service_account, endpoint=live_mock.base_url, app_name="changed")
    with pytest.raises(ValueError):
        firebase_admin.get_app("changed")  # nothing left behind


def test_a_sender_starts_while_the_credential_is_refused_and_names_the_failure(live_mock):
    live_mock.faults({"refuse_tokens": True})
    sender = FcmSender(live_mock.service_account, endpoint=live_mock.base_url, app_name=f"test-{uuid.uuid4()}")
    try:
        assert sender.authenticate() == AUTH_FAILED
        assert sender.send([message(fcm_token()), message(fcm_token())]) == [SendOutcome.retry(AUTH_FAILED)] * 2
        live_mock.faults({})
        assert sender.authenticate() is None
        assert [o.kind for o in sender.send([message(fcm_token())])] == ["sent"]
    finally:
        sender.close()


def test_a_credential_revoked_while_sending_is_an_auth_failure_not_an_unknown_error(fcm, live_mock):
    assert [o.kind for o in fcm.send([message(fcm_token())])] == ["sent"]  # a token in hand
    live_mock.faults({"refuse_tokens": True})  # …revoked: FCM answers 401, the SDK's refresh is refused
    assert fcm.send([message(fcm_token()) for _ in range(3)]) == [SendOutcome.retry(AUTH_FAILED)] * 3
