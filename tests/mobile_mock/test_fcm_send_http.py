"""Raw HTTP stories of messages:send and the topic endpoints, in FCM v1's exact request and error shapes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

SEND_PATH = "/v1/projects/demo-swm/messages:send"
TOPICS = "/v1/projects/demo-swm/registrations/{token}/topicSubscriptions"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
Send = Callable[..., Any]


def invalid_argument(message: str) -> dict[str, Any]:
    return {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT",
                      "details": [{"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"}]}}


def test_a_send_without_credentials_is_unauthenticated(client: FlaskClient) -> None:
    response = client.post(SEND_PATH, json={"message": {"token": "t1"}})

    assert response.status_code == 401
    error = response.get_json()["error"]
    assert (error["code"], error["status"]) == (401, "UNAUTHENTICATED")
    assert error["message"].startswith("Request is missing required authentication credential.")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"


def test_a_send_with_an_unknown_bearer_is_unauthenticated(client: FlaskClient) -> None:
    response = client.post(SEND_PATH, json={"message": {"token": "t1"}},
                           headers={"Authorization": "Bearer ya29.made-up"})

    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["message"].startswith("Request had invalid authentication credentials.")


def test_a_send_is_named_and_stored_for_its_token(send: Send, client: FlaskClient) -> None:
    message = {"token": "phone-1", "data": {"kind": "customs", "status": "RELEASED"},
               "notification": {"title": "放行", "body": "Declaration 2231 released"},
               "android": {"priority": "high", "ttl": "3600s"}}

    response = send(message)

    assert response.status_code == 200
    name = response.get_json()["name"]
    assert re.fullmatch(r"projects/demo-swm/messages/0:\d+%[0-9a-f]+", name)
    [stored] = client.get("/devices/phone-1/messages").get_json()["messages"]
    assert stored["name"] == name and stored["message"] == message and stored["via"] == "token"
    assert stored["received_at"] > 0


def test_an_fid_target_is_a_device_too(send: Send, client: FlaskClient) -> None:
    assert send({"fid": "installation-1", "data": {"a": "b"}}).status_code == 200
    assert client.get("/devices/installation-1/messages").get_json()["messages"][0]["via"] == "fid"


def test_validate_only_checks_without_delivering(send: Send, client: FlaskClient) -> None:
    response = send(body={"message": {"token": "phone-1"}, "validate_only": True})

    assert response.get_json() == {"name": "projects/demo-swm/messages/fake_message_id"}
    assert client.get("/devices/phone-1/messages").get_json()["messages"] == []
    assert client.get("/admin/stats").get_json()["validated_only"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": {"data": {"a": "b"}}},
         "Request contains an invalid argument: exactly one of token, fid, topic or condition must be set."),
        ({"message": {"token": "t", "topic": "news"}},
         "Request contains an invalid argument: exactly one of token, fid, topic or condition must be set."),
        ({"message": {"token": "t", "data": {"a": "b", "count": 3}}},
         "Invalid value at 'message.data[1].value' (TYPE_STRING), 3"),
        ({"message": {"token": "t", "colour": "red"}},
         'Invalid JSON payload received. Unknown name "colour" at \'message\': Cannot find field.'),
        ({"message": {"token": "t"}, "dry_run": True},
         'Invalid JSON payload received. Unknown name "dry_run": Cannot find field.'),
        ({"message": {"token": ""}}, "Invalid value at 'message.token' (TYPE_STRING), \"\""),
        ({"message": {"topic": "/topics/news"}}, "Invalid topic name: /topics/news"),
        ({"message": {"condition": "'a' in topics &&"}},
         "Invalid condition expression provided: expected 'topic' in topics"),
        ({"message": {"token": "t", "data": {"from": "x"}}}, "Invalid data payload key: from"),
        ({"message": {"token": "t", "android": {"priority": "urgent"}}},
         "Invalid value at 'message.android.priority' (type.googleapis.com/"
         "google.firebase.fcm.v1.AndroidMessagePriority), \"urgent\""),
        ({"message": {"token": "t", "data": {"blob": "x" * 5000}}}, "Message is too big"),
        ([1, 2], "Invalid JSON payload received. Expected an object."),
    ],
    ids=["no-target", "two-targets", "non-string-data", "unknown-field", "unknown-body-field", "empty-token",
         "prefixed-topic", "bad-condition", "reserved-key", "bad-priority", "too-big", "not-an-object"],
)
def test_invalid_messages_get_fcms_invalid_argument(send: Send, body: Any, message: str) -> None:
    response = send(body=body)

    assert response.status_code == 400
    assert response.get_json() == invalid_argument(message)


def test_a_body_that_is_not_json_is_invalid(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(SEND_PATH, data=b"{not json", headers=auth, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == "INVALID_ARGUMENT"


def test_a_topic_send_reaches_each_subscriber(send: Send, client: FlaskClient, auth: dict[str, str]) -> None:
    for token in ("phone-1", "phone-2"):
        assert client.post(TOPICS.format(token=token), query_string={"topic_name": "port-SH"},
                           json={}, headers=auth).status_code == 200

    name = send({"topic": "port-SH", "data": {"port": "Shanghai"}}).get_json()["name"]

    for token in ("phone-1", "phone-2"):
        [stored] = client.get(f"/devices/{token}/messages").get_json()["messages"]
        assert (stored["name"], stored["via"]) == (name, "topic:port-SH")
    assert client.get("/admin/stats").get_json()["delivered"] == 2


def test_subscribing_twice_is_already_exists(client: FlaskClient, auth: dict[str, str]) -> None:
    url, query = TOPICS.format(token="phone-1"), {"topic_name": "news"}

    first = client.post(url, query_string=query, json={}, headers=auth)
    second = client.post(url, query_string=query, json={}, headers=auth)

    assert first.get_json() == {"name": "projects/demo-swm/registrations/phone-1/topicSubscriptions/news"}
    assert second.status_code == 409 and second.get_json()["error"]["status"] == "ALREADY_EXISTS"


def test_unsubscribing_what_is_missing_needs_allow_missing(client: FlaskClient, auth: dict[str, str]) -> None:
    url = TOPICS.format(token="phone-1") + "/news"

    assert client.delete(url, headers=auth).status_code == 404
    assert client.delete(url, query_string={"allow_missing": "true"}, headers=auth).get_json() == {}


def test_topic_endpoints_need_credentials(client: FlaskClient) -> None:
    response = client.post(TOPICS.format(token="phone-1"), query_string={"topic_name": "news"}, json={})

    assert response.status_code == 401


def test_a_condition_send_reaches_matching_subscribers(
    send: Send, client: FlaskClient, auth: dict[str, str]
) -> None:
    subscriptions = {"phone-1": ["customs"], "phone-2": ["customs", "quarantine"], "phone-3": ["quarantine"]}
    for token, topics in subscriptions.items():
        for topic in topics:
            client.post(TOPICS.format(token=token), query_string={"topic_name": topic}, json={}, headers=auth)

    send({"condition": "'customs' in topics && !('quarantine' in topics)", "data": {"a": "b"}})
    send({"condition": "'quarantine' in topics || 'nobody' in topics", "data": {"a": "c"}})

    received = {token: [m["message"]["data"]["a"] for m in
                        client.get(f"/devices/{token}/messages").get_json()["messages"]]
                for token in subscriptions}
    assert received == {"phone-1": ["b"], "phone-2": ["c"], "phone-3": ["c"]}
