"""Device tokens from the phone's side, and what the mock stored for each of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from mobile_mock import create_app

SEND_PATH = "/v1/projects/demo-swm/messages:send"
TOPICS = "/v1/projects/demo-swm/registrations/{token}/topicSubscriptions"
Send = Callable[..., Any]


def describe(client: FlaskClient, token: str) -> dict[str, Any]:
    info = client.get(f"/devices/{token}").get_json()
    info.pop("issued_at")
    return info


def test_a_phone_gets_an_fcm_like_token(client: FlaskClient) -> None:
    response = client.post("/devices")

    assert response.status_code == 201
    token = response.get_json()["token"]
    assert ":APA91b" in token and len(token) > 150
    assert describe(client, token) == {
        "token": token, "state": "issued", "deliverable": True, "topics": [], "received": 0}


def test_lenient_mode_delivers_to_any_token_never_deleted(send: Send) -> None:
    assert send({"token": "never-issued"}).status_code == 200


def test_strict_mode_delivers_only_to_issued_tokens(service_account: dict[str, Any], sign: Any) -> None:
    app = create_app({"SERVICE_ACCOUNTS": [service_account], "STRICT_TOKENS": True})
    client = app.test_client()
    access = client.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                         "assertion": sign(service_account)}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    issued = client.post("/devices").get_json()["token"]
    chosen = client.post("/devices", json={"token": "my-test-phone"}).get_json()["token"]

    statuses = [client.post(SEND_PATH, json={"message": {"token": t}}, headers=headers).status_code
                for t in (issued, chosen, "never-issued")]
    unknown_topic = client.post(TOPICS.format(token="never-issued"), query_string={"topic_name": "news"},
                                json={}, headers=headers)

    assert statuses == [200, 200, 404]
    assert unknown_topic.get_json()["error"]["details"][0]["errorCode"] == "UNREGISTERED"


def test_an_uninstalled_app_is_unregistered(client: FlaskClient, send: Send, auth: dict[str, str]) -> None:
    token = client.post("/devices").get_json()["token"]
    client.post(TOPICS.format(token=token), query_string={"topic_name": "news"}, json={}, headers=auth)
    assert send({"token": token}).status_code == 200

    assert client.delete(f"/devices/{token}").status_code == 204

    response = send({"token": token})
    assert response.status_code == 404
    assert response.get_json()["error"]["details"][0]["errorCode"] == "UNREGISTERED"
    send({"topic": "news"})
    assert describe(client, token) == {
        "token": token, "state": "deleted", "deliverable": False, "topics": [], "received": 1}


def test_a_phone_reads_its_inbox_from_a_cursor(client: FlaskClient, send: Send) -> None:
    for i in range(5):
        send({"token": "phone-1", "data": {"n": str(i)}})
        send({"token": "phone-2", "data": {"n": str(i)}})

    first = client.get("/devices/phone-1/messages", query_string={"limit": 2}).get_json()
    rest = client.get("/devices/phone-1/messages", query_string={"after": first["last_seq"]}).get_json()

    numbers = [m["message"]["data"]["n"] for m in first["messages"] + rest["messages"]]
    assert numbers == ["0", "1", "2", "3", "4"]
    assert {m["token"] for m in rest["messages"]} == {"phone-1"}
    seqs = [m["seq"] for m in first["messages"] + rest["messages"]]
    assert seqs == sorted(seqs)


def test_the_global_log_pages_and_resets_without_reusing_seqs(client: FlaskClient, send: Send) -> None:
    for i in range(6):
        send({"token": f"phone-{i % 2}", "data": {"n": str(i)}})

    page = client.get("/admin/messages", query_string={"after": 2, "limit": 3}).get_json()

    assert [m["seq"] for m in page["messages"]] == [3, 4, 5]
    assert (page["last_seq"], page["newest_seq"]) == (5, 6)
    assert client.delete("/admin/messages").status_code == 204
    assert client.get("/admin/messages").get_json()["messages"] == []
    assert client.get("/admin/stats").get_json()["accepted"] == 0
    send({"token": "phone-0"})
    assert client.get("/admin/messages").get_json()["messages"][0]["seq"] == 7


def test_stats_can_leave_out_the_per_token_map(client: FlaskClient, send: Send) -> None:
    send({"token": "phone-1"})

    stats = client.get("/admin/stats", query_string={"per_token": "0"}).get_json()

    assert "per_token" not in stats and stats["accepted"] == 1


def test_old_messages_are_dropped_beyond_the_cap(service_account: dict[str, Any]) -> None:
    app: Flask = create_app({"SERVICE_ACCOUNTS": [service_account], "MAX_STORED_MESSAGES": 10})
    store = app.extensions["mobile_mock"].store
    for i in range(30):
        store.record(f"m{i}", [f"phone-{i % 3}"], {"token": f"phone-{i % 3}"}, "token")

    kept = store.since(0, 100)

    assert 10 <= len(kept) <= 12 and kept[-1].seq == 30
    assert all(d.seq >= kept[0].seq for d in store.for_token("phone-0", 0, 100))


def test_bad_query_parameters_are_400(client: FlaskClient) -> None:
    assert client.get("/admin/messages", query_string={"after": "x"}).status_code == 400
    assert client.get("/devices/t/messages", query_string={"limit": 0}).status_code == 400
