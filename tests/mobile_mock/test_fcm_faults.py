"""Faults switched on at run time answer exactly as FCM does, reproducibly from a seed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
Send = Callable[..., Any]


def fcm_error(code: int, status: str, message: str, error_code: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status,
                      "details": [{"@type": FCM_ERROR, "errorCode": error_code}]}}


THIRD_PARTY_MESSAGE = "Auth error from APNS or Web Push Service"
QUOTA_MESSAGE = ("Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' "
                 "of service 'fcm.googleapis.com'.")


@pytest.mark.parametrize(
    ("error_code", "expected"),
    [
        ("UNREGISTERED",
         fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")),
        ("SENDER_ID_MISMATCH",
         fcm_error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")),
        ("INVALID_ARGUMENT",
         fcm_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT")),
        ("THIRD_PARTY_AUTH_ERROR",
         fcm_error(401, "UNAUTHENTICATED", THIRD_PARTY_MESSAGE, "THIRD_PARTY_AUTH_ERROR")),
    ],
)
def test_a_faulted_token_answers_fcms_error(client: FlaskClient, send: Send, error_code: str,
                                            expected: dict[str, Any]) -> None:
    client.post("/admin/faults", json={"tokens": {"dead-phone": error_code}})

    response = send({"token": "dead-phone"})

    assert response.status_code == expected["error"]["code"]
    assert response.get_json() == expected
    assert send({"token": "live-phone"}).status_code == 200


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("unavailable_rate",
         fcm_error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE")),
        ("internal_rate", fcm_error(500, "INTERNAL", "Internal error encountered.", "INTERNAL")),
        ("quota_exceeded_rate", fcm_error(429, "RESOURCE_EXHAUSTED", QUOTA_MESSAGE, "QUOTA_EXCEEDED")),
    ],
)
def test_a_full_rate_fails_every_send(
    client: FlaskClient, send: Send, rate: str, expected: dict[str, Any]
) -> None:
    client.post("/admin/faults", json={rate: 1.0})

    responses = [send({"token": f"phone-{i}"}) for i in range(3)] + [send({"topic": "news"})]

    assert {r.status_code for r in responses} == {expected["error"]["code"]}
    assert all(r.get_json() == expected for r in responses)


def test_quota_exceeded_carries_retry_after(client: FlaskClient, send: Send) -> None:
    client.post("/admin/faults", json={"quota_exceeded_rate": 1.0, "retry_after": 7})

    response = send({"token": "phone-1"})

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_scripted_outcomes_come_first_and_in_order(client: FlaskClient, send: Send) -> None:
    client.post("/admin/faults", json={"next": ["UNAVAILABLE", "OK", "INTERNAL"]})

    statuses = [send({"token": "phone-1"}).status_code for _ in range(4)]

    assert statuses == [503, 200, 500, 200]
    assert client.get("/admin/faults").get_json()["next_pending"] == []


def picked_tokens(send: Send, count: int = 200) -> set[str]:
    return {f"phone-{i}" for i in range(count) if send({"token": f"phone-{i}"}).status_code == 404}


def test_a_fraction_of_tokens_is_dead_and_stays_dead(client: FlaskClient, send: Send) -> None:
    client.post("/admin/faults", json={"unregistered_rate": 0.3, "seed": 7})

    dead = picked_tokens(send)

    assert 40 <= len(dead) <= 80
    assert picked_tokens(send) == dead  # the same tokens on every send: an uninstalled app stays uninstalled
    client.post("/admin/faults", json={"unregistered_rate": 0.3, "seed": 8})
    assert picked_tokens(send) != dead


def test_random_rates_replay_from_the_seed(client: FlaskClient, send: Send) -> None:
    def run() -> list[int]:
        client.post("/admin/faults", json={"unavailable_rate": 0.2, "quota_exceeded_rate": 0.2, "seed": 3})
        return [send({"token": "phone-1"}).status_code for _ in range(40)]

    first = run()

    assert first == run()
    assert {200, 503, 429} <= set(first)


def test_latency_slows_each_send(client: FlaskClient, send: Send) -> None:
    client.post("/admin/faults", json={"latency_ms": 120})

    started = time.perf_counter()
    send({"token": "phone-1"})

    assert time.perf_counter() - started >= 0.12


def test_faults_are_shown_and_cleared(client: FlaskClient, send: Send) -> None:
    client.post("/admin/faults", json={"tokens": {"phone-1": "UNREGISTERED"}})
    shown = client.get("/admin/faults").get_json()

    assert shown["active"] and shown["tokens"] == {"phone-1": "UNREGISTERED"}
    assert client.delete("/admin/faults").status_code == 204
    assert client.get("/admin/faults").get_json()["active"] is False
    assert send({"token": "phone-1"}).status_code == 200


@pytest.mark.parametrize(
    "plan",
    [{"colour": 1}, {"unavailable_rate": 2}, {"tokens": {"t": "BROKEN"}}, {"next": ["NOPE"]}, [1],
     {"latency_ms": -1}],
)
def test_a_bad_fault_plan_is_refused_and_changes_nothing(client: FlaskClient, plan: Any) -> None:
    client.post("/admin/faults", json={"latency_ms": 5})

    response = client.post("/admin/faults", json=plan)

    assert response.status_code == 400 and "error" in response.get_json()
    assert client.get("/admin/faults").get_json()["latency_ms"] == 5


def test_stats_count_errors_per_code_and_per_token(client: FlaskClient, send: Send) -> None:
    client.post("/admin/faults", json={"tokens": {"dead": "UNREGISTERED"}, "next": ["OK", "QUOTA_EXCEEDED"]})
    send({"token": "alive"})
    send({"token": "alive"})
    send({"token": "dead"})
    send({"token": "alive", "data": {"n": 1}})

    stats = client.get("/admin/stats").get_json()

    assert (stats["accepted"], stats["delivered"]) == (1, 1)
    assert stats["errors"] == {"QUOTA_EXCEEDED": 1, "UNREGISTERED": 1, "INVALID_ARGUMENT": 1}
    assert stats["per_token"] == {"alive": {"delivered": 1, "QUOTA_EXCEEDED": 1, "INVALID_ARGUMENT": 1},
                                  "dead": {"UNREGISTERED": 1}}
