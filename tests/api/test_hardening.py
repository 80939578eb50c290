"""Configuration that refuses to run unsafely, headers on every answer, /metrics behind a token, the real client
behind trusted proxies only, and logs that never carry SQL parameters or device tokens."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text

from app import create_app, logs
from tests.conftest import PASSWORD

SECRET = "s" * 40
METRICS_TOKEN = "metrics-scraper-token-0123456789"
UNREACHABLE_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/none"
DEVICE_TOKEN = "cK3pX9aQz1Lm0Rt7Vb2NwE:APA91bHk2f" + "Zq8Lr4Tn6Xw0Yc3Vb7Nm1Kp5Jd9Hs2Gf4" * 4


@pytest.mark.parametrize("env", ["prod", "Production", "PRODUCTION", "staging", "", "dev"])
def test_only_the_three_environments_are_accepted(database_url, env):
    with pytest.raises(RuntimeError, match="SWM_ENV"):
        create_app({"DATABASE_URL": database_url, "SWM_ENV": env})


def test_swm_env_from_the_environment_is_checked_too(database_url, monkeypatch):
    monkeypatch.setenv("SWM_ENV", "prod")
    with pytest.raises(RuntimeError, match="SWM_ENV"):
        create_app({"DATABASE_URL": database_url})


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_test_boot(database_url, env):
    assert create_app({"DATABASE_URL": database_url, "SWM_ENV": env}).config["SWM_ENV"] == env


# Headers

def test_api_answers_are_nosniff_and_not_stored(world, client):
    _, headers = world.trader()
    for response in (client.get("/me", headers=headers), client.get("/me"), client.get("/nowhere"),
                     client.get("/health")):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.path
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    # Reads with an ETag: the phone alone may keep them, and asks again each time (tests/api/test_read_path.py).
    listed = client.get("/clearances", headers=headers)
    assert listed.headers["X-Content-Type-Options"] == "nosniff"
    assert listed.headers["Cache-Control"] == "private, no-cache"


# /metrics

def _production_app(database_url: str, **overrides):  # type: ignore[no-untyped-def]
    url = database_url if database_url.startswith("postgresql") else UNREACHABLE_POSTGRES
    return create_app({"DATABASE_URL": url, "SWM_ENV": "production", "JWT_SECRET_KEY": SECRET, "TESTING": True,
                       **overrides})


def test_metrics_in_production_need_the_bearer_token(database_url):
    client = _production_app(database_url, METRICS_TOKEN=METRICS_TOKEN).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": METRICS_TOKEN}).status_code == 401
    if database_url.startswith("postgresql"):  # a production app needs PostgreSQL to answer
        ok = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert ok.status_code == 200 and b"swm_outbox_messages" in ok.data


def test_metrics_in_production_without_a_token_are_not_served(database_url):
    client = _production_app(database_url).test_client()
    assert client.get("/metrics").status_code == 404


def test_a_configured_metrics_token_is_required_and_accepted(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", METRICS_TOKEN)
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.is_json and refused.headers["WWW-Authenticate"].startswith("Bearer")
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert ok.status_code == 200 and b"swm_outbox_messages" in ok.data


def test_a_short_metrics_token_is_refused_in_production(database_url):
    with pytest.raises(RuntimeError, match="SWM_METRICS_TOKEN"):
        _production_app(database_url, METRICS_TOKEN="short")


# Trusted proxies

def _login_statuses(app, world, forwarded_for: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    return [client.post("/auth/login", json={"phone": f"1390000{n:04d}", "password": PASSWORD},
                        headers={"X-Forwarded-For": address}).status_code
            for n, address in enumerate(forwarded_for)]


def _app(database_url: str, **overrides):  # type: ignore[no-untyped-def]
    return create_app({"DATABASE_URL": database_url, "TESTING": True, "LOGIN_LIMIT_PER_IP": "2 per minute",
                       **overrides})


def test_behind_a_trusted_proxy_the_login_limit_keys_on_the_forwarded_client(database_url, world):
    app = _app(database_url, TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    # The test client's peer is 127.0.0.1: the balancer. Each client has its own allowance.
    assert _login_statuses(app, world, ["203.0.113.7", "203.0.113.7", "203.0.113.7"]) == [401, 401, 429]
    assert _login_statuses(app, world, ["203.0.113.8", "198.51.100.1, 203.0.113.9"]) == [401, 401]


@pytest.mark.parametrize("proxies", ["", "10.0.0.0/8"])
def test_forwarded_for_from_an_untrusted_peer_is_ignored(database_url, world, proxies):
    app = _app(database_url, TRUSTED_PROXIES=proxies)
    # Whatever the header claims, every attempt comes from the peer itself.
    assert _login_statuses(app, world, ["203.0.113.7", "203.0.113.8", "203.0.113.9"]) == [401, 401, 429]


def test_a_bad_trusted_proxy_is_refused(database_url):
    with pytest.raises(RuntimeError, match="SWM_TRUSTED_PROXIES"):
        _app(database_url, TRUSTED_PROXIES="10.0.0.0/8, the balancer")


# Logs

@pytest.fixture
def log_output():  # type: ignore[no-untyped-def]
    """What the configured log handler writes, as production's processes configure it."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure_logging("text", stream=stream)
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_a_500_logs_neither_sql_parameters_nor_the_device_token(world, client, monkeypatch, log_output):
    def broken(session, *_args, token, **_kwargs):  # type: ignore[no-untyped-def]
        session.execute(text("SELECT id FROM no_such_table WHERE token = :token"), {"token": token})

    monkeypatch.setattr("app.web.api.devices.routes.register_device", broken)
    _, headers = world.trader()
    response = client.post("/devices", json={"token": DEVICE_TOKEN, "platform": "android"}, headers=headers)
    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "no_such_table" in logged  # the error itself is logged, with its statement
    assert DEVICE_TOKEN not in logged and DEVICE_TOKEN[:30] not in logged and DEVICE_TOKEN[-30:] not in logged
    assert "hide_parameters" in logged  # SQLAlchemy's note in place of the parameters


def test_device_tokens_in_log_messages_are_masked(log_output):
    logging.getLogger("test").error("refused %s for device", DEVICE_TOKEN)
    logged = log_output.getvalue()
    assert DEVICE_TOKEN not in logged and DEVICE_TOKEN[:10] not in logged and "refused" in logged


def test_masking_keeps_ordinary_text():
    line = "GET /clearances/12345?cursor=abc 200 in 3 ms by user 13800000002"
    assert logs.mask_secrets(line) == line
    assert DEVICE_TOKEN not in logs.mask_secrets(f"token={DEVICE_TOKEN}; next")
    assert logs.mask_secrets(f"token={DEVICE_TOKEN}; next").endswith("; next")
