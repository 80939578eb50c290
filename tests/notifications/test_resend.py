"""A desk resend through the real firebase-admin SDK: the phone gets the notification again, and the delivery
log shows it as a new attempt of the same notification and the same outbox message."""

from __future__ import annotations

from core.accounts import NewUser, create_user
from notifications.dispatcher import dispatch_once
from notifications.models import DeliveryAttempt, Notification
from tests.conftest import PASSWORD
from tests.notifications.conftest import fcm_token


def desk_login(client, sessions) -> dict[str, str]:
    with sessions.begin() as session:
        create_user(session, NewUser(phone="13900095198", name="95198 desk", password=PASSWORD,
                                     role="customer_service"))
    token = client.post("/auth/login", json={"phone": "13900095198", "password": PASSWORD}).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_resend_reaches_the_phone_again_as_a_new_attempt_of_the_same_notification(
        client, sessions, pushes, fcm, live_mock):
    token = fcm_token()
    outbox_id = pushes.push(pushes.device(token))
    assert dispatch_once(sessions, fcm, worker_id="test").sent == 1
    with sessions() as session:
        notification = session.get(Notification, pushes.row(outbox_id).notification_id)

    desk = desk_login(client, sessions)
    resent = client.post(f"/desk/notifications/{notification.id}/resend", json={"reason": "caller saw nothing"},
                         headers=desk)
    assert resent.status_code == 202, resent.json
    assert [q["outbox_id"] for q in resent.json["queued"]] == [outbox_id]
    assert dispatch_once(sessions, fcm, worker_id="test").sent == 1

    deliveries = [d for d in live_mock.deliveries() if d["token"] == token]
    assert len(deliveries) == 2  # the phone got it twice, the same notification both times
    assert {d["message"]["data"]["notification_id"] for d in deliveries} == {notification.public_id}
    attempts = pushes.attempts(outbox_id)
    assert [a.outcome for a in attempts] == ["sent", "sent"]
    assert [a.fcm_message_id for a in attempts] == [d["name"] for d in deliveries]
    row = pushes.row(outbox_id)
    assert (row.state, row.fcm_message_id) == ("sent", deliveries[1]["name"])

    case = client.get(f"/desk/cases/{pushes.item_id}", headers=desk).json
    [logged] = [n for n in case["notifications"] if n["id"] == notification.id]
    [push] = logged["pushes"]
    assert push["outbox_id"] == outbox_id
    assert [a["fcm_message_id"] for a in push["attempts"]] == [d["name"] for d in deliveries]


def test_a_resend_also_reaches_a_phone_registered_since(client, sessions, pushes, fcm, live_mock):
    old = fcm_token()
    outbox_id = pushes.push(pushes.device(old))
    dispatch_once(sessions, fcm, worker_id="test")
    new = fcm_token()
    pushes.device(new)
    with sessions() as session:
        notification_id = pushes.row(outbox_id).notification_id
    resent = client.post(f"/desk/notifications/{notification_id}/resend", json={},
                         headers=desk_login(client, sessions))
    assert len(resent.json["queued"]) == 2
    assert dispatch_once(sessions, fcm, worker_id="test").sent == 2
    counts = {t: sum(d["token"] == t for d in live_mock.deliveries()) for t in (old, new)}
    assert counts == {old: 2, new: 1}
    with sessions() as session:
        assert session.query(DeliveryAttempt).count() == 3


def test_a_resend_gets_a_fresh_retry_horizon(sessions, pushes):
    from datetime import timedelta

    from core.db import utcnow
    from notifications.delivery_log import resend
    from notifications.sending import SendOutcome
    from tests.notifications.fakes import FakeSender

    outbox_id = pushes.push(pushes.device(token="phone"), state="sent", created_at=utcnow() - timedelta(days=2))
    with sessions.begin() as session:
        resend(session, pushes.row(outbox_id).notification_id)
    fake = FakeSender()
    fake.script("phone", SendOutcome.retry("UNAVAILABLE"))  # FCM has a bad moment just then
    assert dispatch_once(sessions, fake, worker_id="test").retried == 1
    assert pushes.row(outbox_id).state == "pending"  # not a dead letter for being queued two days ago
