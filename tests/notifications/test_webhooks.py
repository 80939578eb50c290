"""Webhooks: signed per Standard Webhooks (verified with `standardwebhooks` on the receiving side), riding an
outbox written with the change, retried until delivered, disabled on 410 or after a day of failures (the
company told in its inbox), with a delivery log, replays, test events, secret rotation and SSRF refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.config import from_environment, validate, webhook_allow_private
from app.web.extensions import db
from core.models import Company
from erp_mock.server import ReceiverThread
from notifications.fanout import fan_out
from notifications.models import Notification
from notifications.webhook_sender import WebhookPolicy, WebhookSender, deliver_once, pump, sign_headers
from notifications.webhooks import WebhookDelivery, WebhookEndpoint, url_problem
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.kinds import KINDS
from status_tracker.parties import AgencyParty

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "api_spec" / "webhook_payload.schema.json").read_text())
TRANSIT = KINDS["transit"]
MILESTONE = next(c.code for c in TRANSIT.codes if c.milestone and not c.terminal)
DETAIL = next(c.code for c in TRANSIT.codes if not c.milestone)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def erp(world, client, app):
    """A company with an admin, a phone user, a tracked transit declaration, and an ERP endpoint registered."""
    company = world.company("ERP公司")
    admin = world.login(world.user(company, role="company_admin"))
    user, trader = world.trader(company)
    device = client.post("/devices", json={"token": "erp-company-phone", "platform": "android"}, headers=trader)
    assert device.status_code == 201
    item = world.track(trader, "transit")
    with ReceiverThread() as receiver:
        made = client.post("/webhooks", json={"url": receiver.url, "description": "ERP"}, headers=admin)
        assert made.status_code == 201, made.json
        receiver.inbox.secrets = [made.json["secret"]]
        yield {"company": company, "admin": admin, "trader": trader, "item": item["id"], "receiver": receiver,
               "endpoint": made.json, "version": [0]}


def move(app, erp, code=None, n=1):
    """The agency reports n more receipts for the item (alternating a milestone and a detail code)."""
    with app.app_context():
        company = db.session.get(Company, erp["company"].id)
        for _ in range(n):
            erp["version"][0] += 1
            version = erp["version"][0]
            this = code or (MILESTONE if version % 2 else DETAIL)
            applied = apply_updates(db.session, [(erp["item"], StatusUpdate(
                f"v{version}", version, this, "note", datetime.now(UTC),
                (AgencyParty("declarant", company.uscc, company.customs_code),)))])
            fan_out(db.session, applied.changes)
        db.session.commit()


def sender(**policy):
    return WebhookSender(WebhookPolicy(**{"base_delay": 1.0, "jitter": lambda d: d, "timeout_seconds": 5.0,
                                          "batch_size": 50, "concurrency": 4, **policy}))


def run_until_quiet(sessions, send, clock, rounds=40):
    """Deliver what is due, moving the clock to the next due time, until nothing is pending."""
    for _ in range(rounds):
        deliver_once(sessions, send, now=clock)
        with sessions() as session:
            due = session.scalar(select(WebhookDelivery.next_attempt_at).where(WebhookDelivery.state == "pending")
                                 .order_by(WebhookDelivery.next_attempt_at).limit(1))
        if due is None:
            return
        clock.now = max(clock.now, due)


def test_each_change_arrives_signed_with_the_same_event_id_as_push_and_inbox(app, client, sessions, erp):
    move(app, erp, MILESTONE)
    send = sender()
    try:
        result = deliver_once(sessions, send)
    finally:
        send.close()
    assert result.delivered == 1
    inbox = erp["receiver"].inbox
    assert inbox.rejected == 0 and len(inbox.received) == 1
    message = inbox.received[0]
    jsonschema.validate(message["payload"], SCHEMA)
    event_id = message["payload"]["data"]["event_id"]
    assert message["id"] == f"evt_{event_id}" and message["payload"]["type"] == "clearance.status_changed"
    assert message["payload"]["data"]["item_id"] == erp["item"]
    notes = client.get("/me/notifications", headers=erp["trader"]).json["items"]
    assert [n["data"]["event_id"] for n in notes] == [str(event_id)]  # the push data carries it too
    feed = client.get("/events", headers=erp["trader"]).json["events"]
    assert [e["id"] for e in feed] == [message["id"]] and feed[0]["data"] == message["payload"]["data"]
    log = client.get(f"/webhooks/{erp['endpoint']['id']}/deliveries", headers=erp["admin"]).json["deliveries"]
    assert log[0]["state"] == "delivered" and log[0]["tries"][0]["status_code"] == 204
    assert log[0]["tries"][0]["latency_ms"] >= 0


def test_a_tampered_body_or_a_stale_timestamp_is_rejected_by_the_receiver():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"type":"webhook.test","timestamp":"2026-01-01T00:00:00+00:00","data":{"endpoint_id":1,"message":"hi"}}'
    now = datetime.now(UTC)
    headers = sign_headers("test_1", body, [secret], now)
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("hi", "ha"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, sign_headers("test_1", body, [secret], now - timedelta(minutes=10)))
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==").verify(body, headers)


def test_retries_through_a_receiver_that_fails_for_a_while_lose_nothing_and_replays_work(app, client, sessions, erp):
    inbox = erp["receiver"].inbox
    inbox.fail_next = 7  # the ERP is down for the first seven tries
    move(app, erp, n=6)
    clock, send = Clock(), sender(batch_size=2)
    try:
        run_until_quiet(sessions, send, clock)
    finally:
        send.close()
    with sessions() as session:
        states = list(session.scalars(select(WebhookDelivery.state)))
        event_ids = sorted(session.scalars(select(WebhookDelivery.message_id)))
    assert states == ["delivered"] * 6
    assert sorted(set(inbox.ids())) == event_ids and len(inbox.ids()) == 6  # 0 lost, none twice
    log = client.get(f"/webhooks/{erp['endpoint']['id']}/deliveries?limit=10", headers=erp["admin"]).json
    assert sum(len(d["tries"]) for d in log["deliveries"]) == 6 + 7
    assert any(t["status_code"] == 503 and "busy" in t["response_snippet"] for d in log["deliveries"]
               for t in d["tries"])
    endpoint = client.get(f"/webhooks/{erp['endpoint']['id']}", headers=erp["admin"]).json
    assert endpoint["active"] and endpoint["failing_since"] is None  # it works again
    # Replays: one delivery, then everything since a time: same webhook-ids, fresh signatures.
    first = log["deliveries"][-1]
    one = client.post(f"/webhooks/{erp['endpoint']['id']}/deliveries/{first['id']}/replay", headers=erp["admin"])
    assert one.status_code == 202 and one.json == {"replayed": 1}
    since = (clock.now - timedelta(days=1)).isoformat()
    every = client.post(f"/webhooks/{erp['endpoint']['id']}/replay", json={"since": since}, headers=erp["admin"])
    assert every.json == {"replayed": 6}
    send = sender()
    try:
        deliver_once(sessions, send)
    finally:
        send.close()
    assert sorted(inbox.ids()) == sorted(event_ids * 2)  # the receiver dedupes by webhook-id


def test_410_disables_the_endpoint_and_the_company_is_told(app, client, sessions, erp):
    erp["receiver"].inbox.always_status = 410
    move(app, erp, MILESTONE)
    send = sender()
    try:
        result = deliver_once(sessions, send)
    finally:
        send.close()
    assert result.disabled_endpoints == 1
    endpoint = client.get(f"/webhooks/{erp['endpoint']['id']}", headers=erp["admin"]).json
    assert endpoint["active"] is False and "410" in endpoint["disabled_reason"]
    told = client.get("/me/notifications", headers=erp["admin"]).json["items"]
    assert told[0]["data"]["type"] == "webhook_disabled" and told[0]["item_id"] is None
    # While it is off, changes wait (paused); enabled again, they go out.
    erp["receiver"].inbox.always_status = None
    move(app, erp, DETAIL)
    with sessions() as session:
        assert set(session.scalars(select(WebhookDelivery.state))) == {"failed", "paused"}
    enabled = client.patch(f"/webhooks/{erp['endpoint']['id']}", json={"active": True}, headers=erp["admin"])
    assert enabled.json["active"] is True
    send = sender()
    try:
        deliver_once(sessions, send)
    finally:
        send.close()
    assert len(erp["receiver"].inbox.received) == 1


def test_an_endpoint_failing_for_a_day_is_disabled_after_retrying_that_long(app, client, sessions, erp):
    erp["receiver"].inbox.always_status = 500
    move(app, erp, MILESTONE)
    clock, send = Clock(), sender(base_delay=600.0)
    start = clock.now
    try:
        run_until_quiet(sessions, send, clock, rounds=200)
    finally:
        send.close()
    endpoint = client.get(f"/webhooks/{erp['endpoint']['id']}", headers=erp["admin"]).json
    assert endpoint["active"] is False and "24 hours" in endpoint["disabled_reason"]
    with sessions() as session:
        delivery = session.scalar(select(WebhookDelivery))
        assert delivery.state == "paused" and delivery.attempts >= 8
    assert clock.now - start >= timedelta(hours=24)  # retried for at least a day before giving up on it
    assert client.get("/me/notifications", headers=erp["admin"]).json["items"][0]["data"]["type"] == (
        "webhook_disabled")


def test_secret_rotation_signs_with_both_secrets_during_the_overlap(app, client, sessions, erp):
    old = erp["endpoint"]["secret"]
    rotated = client.post(f"/webhooks/{erp['endpoint']['id']}/rotate-secret", json={"overlap_hours": 1},
                          headers=erp["admin"])
    assert rotated.status_code == 200 and rotated.json["secret"] != old and rotated.json["previous_until"]
    for secrets in ([old], [rotated.json["secret"]]):  # a receiver on either secret accepts the message
        erp["receiver"].inbox.secrets = secrets
        erp["receiver"].inbox.received.clear()
        client.post(f"/webhooks/{erp['endpoint']['id']}/test", headers=erp["admin"])
        send = sender()
        try:
            deliver_once(sessions, send)
        finally:
            send.close()
        assert [m["payload"]["type"] for m in erp["receiver"].inbox.received] == ["webhook.test"]
        jsonschema.validate(erp["receiver"].inbox.received[0]["payload"], SCHEMA)
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, erp["endpoint"]["id"])
        assert endpoint.signing_secrets(datetime.now(UTC) + timedelta(hours=2)) == [rotated.json["secret"]]
    assert "secret" not in client.get(f"/webhooks/{erp['endpoint']['id']}", headers=erp["admin"]).json


def test_deadline_and_response_cap(app, sessions, erp):
    inbox = erp["receiver"].inbox
    inbox.big_answer_bytes = 5_000_000
    move(app, erp, MILESTONE)
    send = sender(max_response_bytes=1024)
    try:
        assert deliver_once(sessions, send).delivered == 1
        inbox.big_answer_bytes, inbox.delay_seconds = 0, 0.5
        move(app, erp, DETAIL)
        slow = sender(timeout_seconds=0.1)
        try:
            assert deliver_once(sessions, slow).retried == 1
        finally:
            slow.close()
    finally:
        send.close()
    with sessions() as session:
        errors = list(session.scalars(select(WebhookDelivery.last_error).order_by(WebhookDelivery.id)))
    assert errors == [None, "timeout"]


def test_filters_choose_the_changes_an_endpoint_gets(app, client, sessions, erp):
    other = client.post("/webhooks", json={"url": erp["receiver"].url, "milestones_only": True,
                                           "kinds": ["transit"]}, headers=erp["admin"]).json
    customs_only = client.post("/webhooks", json={"url": erp["receiver"].url, "kinds": ["customs_declaration"]},
                               headers=erp["admin"]).json
    move(app, erp, n=2)  # one milestone, one detail
    with sessions() as session:
        endpoints = list(session.scalars(select(WebhookDelivery.endpoint_id)))
    counts = {e: endpoints.count(e) for e in (erp["endpoint"]["id"], other["id"], customs_only["id"])}
    assert counts == {erp["endpoint"]["id"]: 2, other["id"]: 1, customs_only["id"]: 0}


def test_urls_that_production_must_not_call_are_refused(app, client, erp, sessions):
    for url in ("http://127.0.0.1/x", "http://localhost:8080/x", "http://10.1.2.3/x", "http://192.168.0.5/x",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x",
                "http://0.0.0.0/x", "http://100.64.0.1/x"):
        assert url_problem(url, allow_private=False), url
    for url in ("ftp://example.com/x", "javascript:alert(1)", "http:///nohost", "https://user:pw@example.com/"):
        assert url_problem(url, allow_private=True), url
    assert url_problem("http://127.0.0.1:9/x", allow_private=True) is None  # demo and tests
    before, app.config["WEBHOOK_ALLOW_PRIVATE"] = app.config["WEBHOOK_ALLOW_PRIVATE"], False
    try:
        refused = client.post("/webhooks", json={"url": "http://127.0.0.1:8103/webhooks"}, headers=erp["admin"])
    finally:
        app.config["WEBHOOK_ALLOW_PRIVATE"] = before
    assert refused.status_code == 422 and "loopback" in refused.json["errors"]["json"]["url"][0]
    # At send time too (a name may point elsewhere later): the registered loopback endpoint is not called.
    move(app, erp, MILESTONE)
    send = sender(allow_private=False)
    try:
        assert deliver_once(sessions, send).retried == 1
    finally:
        send.close()
    assert erp["receiver"].inbox.received == []
    with sessions() as session:
        assert session.scalar(select(WebhookDelivery.last_error)).startswith("refused: a loopback address")


def test_production_configuration_refuses_private_webhook_addresses(monkeypatch):
    monkeypatch.setenv("SWM_ENV", "production")
    config = from_environment()
    assert webhook_allow_private(config) is False
    assert webhook_allow_private({**config, "SWM_ENV": "development"}) is True
    config.update(JWT_SECRET_KEY="x" * 40, DATABASE_URL="postgresql+psycopg://db/swm", WEBHOOK_ALLOW_PRIVATE=True)
    with pytest.raises(RuntimeError, match="SWM_WEBHOOK_ALLOW_PRIVATE"):
        validate(config)


def test_only_company_admins_and_keys_with_the_scope_manage_webhooks(world, client, erp):
    assert client.get("/webhooks", headers=erp["trader"]).status_code == 403
    key = world.api_key(erp["company"], scopes=("webhooks:manage",))
    assert [e["id"] for e in client.get("/webhooks", headers=key).json] == [erp["endpoint"]["id"]]
    read_only = world.api_key(erp["company"], scopes=("clearances:read",))
    assert client.get("/webhooks", headers=read_only).status_code == 403
    other_admin = world.login(world.user(world.company("别家"), role="company_admin"))
    assert client.get(f"/webhooks/{erp['endpoint']['id']}", headers=other_admin).status_code == 404
    assert client.get("/webhooks", headers=other_admin).json == []


def test_the_inbox_lists_news_without_an_item(app, client, erp):
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, erp["endpoint"]["id"])
        from notifications.webhooks import disable

        disable(db.session, endpoint, "a reason")
        db.session.commit()
        assert db.session.scalar(select(Notification.event_id).where(Notification.item_id.is_(None))) is None
    items = client.get("/me/notifications", headers=erp["admin"]).json["items"]
    assert items[0]["item_id"] is None and items[0]["data"]["reason"] == "a reason"


def test_sign_headers_follow_the_specification():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime(2024, 1, 1, tzinfo=UTC)
    headers = sign_headers("evt_1", "{}", [secret, secret], at)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    first, second = headers["webhook-signature"].split(" ")
    assert first == second == Webhook(secret).sign("evt_1", at, "{}") and first.startswith("v1,")



def test_the_worker_pump_keeps_two_batches_in_flight_and_loses_nothing(app, sessions, erp):
    move(app, erp, n=11)
    send = sender(batch_size=3)
    try:
        result = pump(sessions, send)
    finally:
        send.close()
    assert (result.claimed, result.delivered) == (11, 11)
    assert len(set(erp["receiver"].inbox.ids())) == len(erp["receiver"].inbox.ids()) == 11
    with sessions() as session:
        assert set(session.scalars(select(WebhookDelivery.state))) == {"delivered"}


def test_configuration_bounds_for_webhooks_and_the_feed(monkeypatch):
    config = from_environment()
    for name, value in (("WEBHOOK_RETRY_HOURS", 12), ("EVENT_RETENTION_DAYS", 7), ("WEBHOOK_CONCURRENCY", 0)):
        with pytest.raises(RuntimeError, match=f"SWM_{name}"):
            validate({**config, name: value})
