"""Through the real firebase-admin SDK: sends, batches, errors and topics land in the mock as they would in FCM."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from firebase_admin import exceptions, messaging
from urllib3.util.retry import Retry

Msg = Callable[..., messaging.Message]


def stored(sdk: Any, token: str) -> list[Any]:
    return sdk.mock.state.store.for_token(token, 0, 10_000)


def test_message_token_is_deprecated_in_7_7() -> None:
    with pytest.warns(DeprecationWarning, match=r"^Message\.token is deprecated\. Use Message\.fid instead\.$"):
        messaging.Message(token="phone-1")


def test_send_returns_the_name_the_phone_received(sdk: Any, token_msg: Msg) -> None:
    message = token_msg("phone-1", data={"kind": "customs", "status": "RELEASED"},
                        notification=messaging.Notification(title="放行", body="Released"),
                        android=messaging.AndroidConfig(priority="high", ttl=3600))

    name = messaging.send(message, app=sdk.app)

    assert re.fullmatch(r"projects/demo-swm/messages/\S+", name)
    [delivery] = stored(sdk, "phone-1")
    assert delivery.name == name
    assert delivery.message == {"token": "phone-1", "data": {"kind": "customs", "status": "RELEASED"},
                                "notification": {"title": "放行", "body": "Released"},
                                "android": {"priority": "high", "ttl": "3600s"}}


def test_send_each_of_fifty_all_arrive(sdk: Any, token_msg: Msg) -> None:
    messages = [token_msg(f"phone-{i}", data={"n": str(i)}) for i in range(50)]

    batch = messaging.send_each(messages, app=sdk.app)

    assert (batch.success_count, batch.failure_count) == (50, 0)
    for i, response in enumerate(batch.responses):
        [delivery] = stored(sdk, f"phone-{i}")
        assert delivery.name == response.message_id and delivery.message["data"] == {"n": str(i)}
    assert sdk.mock.state.stats.snapshot()["accepted"] == 50


def test_fids_work_without_a_warning(sdk: Any) -> None:
    multicast = messaging.MulticastMessage(fids=["fid-1", "fid-2"], data={"a": "b"})

    batch = messaging.send_each_for_multicast(multicast, app=sdk.app)

    assert batch.success_count == 2 and [d.via for d in stored(sdk, "fid-1")] == ["fid"]


def test_dead_tokens_fail_inside_the_batch_with_fcms_exceptions(sdk: Any, token_msg: Msg) -> None:
    sdk.set_faults({"tokens": {"uninstalled": "UNREGISTERED",
                                                     "other-sender": "SENDER_ID_MISMATCH"}})
    messages = [token_msg(t, data={"a": "b"}) for t in ("alive", "uninstalled", "other-sender")]

    batch = messaging.send_each(messages, app=sdk.app)

    ok, unregistered, mismatch = batch.responses
    assert ok.success
    assert isinstance(unregistered.exception, messaging.UnregisteredError)
    assert isinstance(mismatch.exception, messaging.SenderIdMismatchError)
    assert unregistered.exception.http_response.status_code == 404
    assert stored(sdk, "uninstalled") == []


def test_a_deleted_device_token_raises_unregistered(sdk: Any, token_msg: Msg) -> None:
    token = sdk.mock.state.devices.issue()
    sdk.mock.state.devices.delete(token)

    with pytest.raises(messaging.UnregisteredError):
        messaging.send(token_msg(token), app=sdk.app)


def test_quota_exceeded_raises_with_retry_after(sdk: Any, token_msg: Msg, no_retry: Retry) -> None:
    sdk.set_retries(no_retry)
    sdk.set_faults({"quota_exceeded_rate": 1.0, "retry_after": 30})

    batch = messaging.send_each([token_msg("phone-1")], app=sdk.app)

    error = batch.responses[0].exception
    assert isinstance(error, messaging.QuotaExceededError)
    assert error.http_response.headers["Retry-After"] == "30"


def test_the_sdk_itself_waits_out_a_429_retry_after(sdk: Any, token_msg: Msg) -> None:
    # urllib3's Retry honours Retry-After on 429 (and 503) even though 429 is not in the SDK's forcelist.
    sdk.set_faults({"next": ["QUOTA_EXCEEDED"], "retry_after": 1})

    started = time.monotonic()
    messaging.send(token_msg("phone-1"), app=sdk.app)

    assert time.monotonic() - started >= 1.0
    stats = sdk.mock.state.stats.snapshot(per_token=False)
    assert (stats["errors"], stats["accepted"]) == ({"QUOTA_EXCEEDED": 1}, 1)


def test_the_sdk_retries_a_single_503_by_itself(sdk: Any, token_msg: Msg) -> None:
    sdk.set_faults({"next": ["UNAVAILABLE"]})  # the first retry has no backoff

    messaging.send(token_msg("phone-1"), app=sdk.app)

    assert sdk.mock.state.stats.snapshot(per_token=False)["errors"] == {"UNAVAILABLE": 1}


@pytest.mark.parametrize(("code", "exception"), [("UNAVAILABLE", exceptions.UnavailableError),
                                                 ("INTERNAL", exceptions.InternalError)])
def test_server_errors_raise_once_retries_are_off(sdk: Any, token_msg: Msg, no_retry: Retry, code: str,
                                                   exception: type[Exception]) -> None:
    sdk.set_retries(no_retry)
    sdk.set_faults({"next": [code]})

    with pytest.raises(exception):
        messaging.send(token_msg("phone-1"), app=sdk.app)


def test_a_topic_send_reaches_only_subscribed_tokens(sdk: Any, token_msg: Msg) -> None:
    subscribed = messaging.subscribe_to_topic(["phone-1", "phone-2"], "/topics/port-SH", app=sdk.app)
    again = messaging.subscribe_to_topic(["phone-1"], "port-SH", app=sdk.app)  # the mock answers 409

    name = messaging.send(messaging.Message(topic="port-SH", data={"port": "Shanghai"}), app=sdk.app)
    messaging.unsubscribe_from_topic(["phone-2"], "port-SH", app=sdk.app)
    messaging.send(messaging.Message(topic="port-SH", data={"port": "again"}), app=sdk.app)

    assert (subscribed.success_count, again.success_count, again.failure_count) == (2, 1, 0)
    assert [d.message["data"]["port"] for d in stored(sdk, "phone-1")] == ["Shanghai", "again"]
    assert [(d.name, d.via) for d in stored(sdk, "phone-2")] == [(name, "topic:port-SH")]
    messaging.send(token_msg("phone-3"), app=sdk.app)
    assert [d.via for d in stored(sdk, "phone-3")] == ["token"]


def test_subscribing_a_dead_token_is_reported_per_token(sdk: Any) -> None:
    dead = sdk.mock.state.devices.issue()
    sdk.mock.state.devices.delete(dead)

    result = messaging.subscribe_to_topic(["phone-1", dead], "news", app=sdk.app)

    assert (result.success_count, result.failure_count) == (1, 1)
    assert (result.errors[0].index, result.errors[0].reason) == (1, "UNREGISTERED")


def test_dry_run_validates_without_delivering(sdk: Any, token_msg: Msg) -> None:
    name = messaging.send(token_msg("phone-1"), dry_run=True, app=sdk.app)

    assert name == "projects/demo-swm/messages/fake_message_id" and stored(sdk, "phone-1") == []


def test_a_restarted_mock_is_survived_by_refreshing_the_token(sdk: Any, token_msg: Msg) -> None:
    sdk.mock.state.authority.revoke_all()  # as if the mock restarted and forgot its tokens

    messaging.send(token_msg("phone-1"), app=sdk.app)  # google-auth refreshes on 401 and retries

    assert sdk.mock.state.stats.snapshot(per_token=False)["errors"] == {"UNAUTHENTICATED": 1}
    assert len(stored(sdk, "phone-1")) == 1


def test_the_async_client_follows_the_same_urls(sdk: Any) -> None:
    messages = [messaging.Message(fid=f"fid-{i}", data={"n": str(i)}) for i in range(5)]

    async def send_and_close() -> messaging.BatchResponse:
        try:
            return await messaging.send_each_async(messages, app=sdk.app)
        finally:
            # Kept-alive connections belong to this loop; delete_app would close them from a new loop
            # (asyncio.run) and fail with "Event loop is closed". Close them here, in their own loop.
            await messaging._get_messaging_service(sdk.app)._async_client.aclose()

    batch = asyncio.run(send_and_close())

    assert batch.success_count == 5 and all(stored(sdk, f"fid-{i}") for i in range(5))
