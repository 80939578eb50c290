"""Fixtures for the mobile mock: apps, signed grants, a live server, and the real SDK pointed at it.

Helpers are handed out as fixtures rather than imported, so the tests do not depend on how pytest
names this folder (`tests.mobile_mock` needs tests/__init__.py; without it the folder would shadow
the real `mobile_mock` package).
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import firebase_admin
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from firebase_admin import _http_client, credentials, messaging
from flask import Flask
from flask.testing import FlaskClient
from urllib3.util.retry import Retry

from mobile_mock import MockState, create_app, make_service_account
from mobile_mock.oauth import JWT_BEARER_GRANT, TOKEN_AUDIENCE
from mobile_mock.server import serve_in_thread

PROJECT_ID = "demo-swm"
SEND_PATH = f"/v1/projects/{PROJECT_ID}/messages:send"
FCM_HOST = "https://fcm.googleapis.com"


@pytest.fixture(scope="session")
def service_account() -> dict[str, Any]:
    """One RSA key for the whole run: generating one costs ~0.1 s."""
    return make_service_account(PROJECT_ID, "http://127.0.0.1/token")


@pytest.fixture
def mock_app(service_account: dict[str, Any]) -> Flask:
    return create_app({"SERVICE_ACCOUNTS": [service_account]})


@pytest.fixture
def state(mock_app: Flask) -> MockState:
    return mock_app.extensions["mobile_mock"]


@pytest.fixture
def client(mock_app: Flask) -> FlaskClient:
    return mock_app.test_client()


def sign_assertion(info: dict[str, Any], **overrides: Any) -> str:
    """The JWT google-auth signs for a jwt-bearer grant, with claims overridable to forge bad ones."""
    now = int(time.time())
    claims = {"iss": info["client_email"], "aud": TOKEN_AUDIENCE, "iat": now, "exp": now + 3600,
              "scope": "https://www.googleapis.com/auth/cloud-platform"} | overrides
    key = _private_key(info["private_key"])
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": info["private_key_id"]})


@lru_cache(maxsize=8)
def _private_key(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None)  # slow: load each key once


@pytest.fixture
def sign() -> Callable[..., str]:
    return sign_assertion


@pytest.fixture
def grant(client: FlaskClient) -> Callable[..., Any]:
    def post(assertion: str, grant_type: str = JWT_BEARER_GRANT) -> Any:
        return client.post("/token", data={"grant_type": grant_type, "assertion": assertion})

    return post


@pytest.fixture
def auth(client: FlaskClient, service_account: dict[str, Any]) -> dict[str, str]:
    """Authorization header carrying a token the mock issued."""
    response = client.post("/token", data={"grant_type": JWT_BEARER_GRANT,
                                           "assertion": sign_assertion(service_account)})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def send(client: FlaskClient, auth: dict[str, str]) -> Callable[..., Any]:
    """POST a raw FCM v1 body: `send(message_dict)` or `send(body=...)`."""
    def post(message: dict[str, Any] | None = None, *, body: Any = None, **kwargs: Any) -> Any:
        payload = body if body is not None else {"message": message}
        return client.post(SEND_PATH, json=payload, headers=auth, **kwargs)

    return post


@dataclass
class LiveMock:
    base_url: str
    app: Flask
    state: MockState
    service_account: dict[str, Any]  # token_uri points at this server
    stop: Callable[[], None]


@pytest.fixture
def live_mock(service_account: dict[str, Any]) -> Iterator[LiveMock]:
    app = create_app({"SERVICE_ACCOUNTS": [service_account], "SSE_KEEPALIVE_SECONDS": 0.2})
    base_url, stop = serve_in_thread(app)
    info = service_account | {"token_uri": f"{base_url}/token"}
    yield LiveMock(base_url, app, app.extensions["mobile_mock"], info, stop)
    stop()


def point_messaging_at(app: firebase_admin.App, base_url: str, pool_size: int = 100,
                       retries: Retry = _http_client.DEFAULT_RETRY_CONFIG) -> None:
    """Re-point firebase-admin 7.7's messaging service at the mock (private attributes: guarded)."""
    service = messaging._get_messaging_service(app)
    for attribute in ("_fcm_url", "_fcm_topic_url", "_client"):
        if not hasattr(service, attribute):
            version = firebase_admin.__version__
            raise RuntimeError(f"firebase-admin {version} has no {attribute}: re-check the SDK")
    if not service._fcm_url.startswith(FCM_HOST) or not service._fcm_topic_url.startswith(FCM_HOST):
        raise RuntimeError("firebase-admin's FCM URLs changed shape: re-check the SDK")
    project_id = app.project_id
    service._fcm_url = f"{base_url}/v1/projects/{project_id}/messages:send"
    service._fcm_topic_url = f"{base_url}/v1/projects/{project_id}/registrations"
    mount_pool(app, base_url, pool_size, retries)


def mount_pool(app: firebase_admin.App, base_url: str, pool_size: int = 100,
               retries: Retry = _http_client.DEFAULT_RETRY_CONFIG) -> None:
    """The SDK mounts its 100-connection pool for fcm.googleapis.com only; give the mock one too."""
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=retries)
    messaging._get_messaging_service(app)._client.session.mount(base_url, adapter)


@dataclass
class Sdk:
    app: firebase_admin.App
    mock: LiveMock

    def set_retries(self, retries: Retry) -> None:
        mount_pool(self.app, self.mock.base_url, retries=retries)

    def set_faults(self, plan: dict[str, Any]) -> None:
        requests.post(f"{self.mock.base_url}/admin/faults", json=plan, timeout=5).raise_for_status()


@pytest.fixture
def sdk(live_mock: LiveMock) -> Iterator[Sdk]:
    """A firebase-admin app with the mock's service account, its messaging pointed at the mock."""
    app = firebase_admin.initialize_app(credentials.Certificate(live_mock.service_account),
                                        name=f"mobile-mock-{uuid.uuid4()}")
    try:
        point_messaging_at(app, live_mock.base_url)
        app.credential.get_access_token()  # warm: google-auth refreshes without a lock
        yield Sdk(app, live_mock)
    finally:
        firebase_admin.delete_app(app)


@pytest.fixture
def no_retry() -> Retry:
    """Lets a test see a 5xx or 429 once, as the mock sent it, instead of the SDK's retried outcome."""
    return Retry(total=0, status=0, raise_on_status=False)


def token_message(token: str, **fields: Any) -> messaging.Message:
    """`Message(token=...)` without its 7.7 DeprecationWarning (pyproject turns warnings into errors)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
        return messaging.Message(token=token, **fields)


@pytest.fixture
def token_msg() -> Callable[..., messaging.Message]:
    return token_message
