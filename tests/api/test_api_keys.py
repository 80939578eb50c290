"""API keys: made by a company admin (or an administrator), shown once, stored hashed, scoped, revocable at once;
a key acts as its company with its users' visibility, and is told apart from users in logs and audit."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.web.extensions import db
from core.api_keys import ApiKey, digest
from desk.models import AuditEntry
from status_tracker.kinds import KINDS

TRANSIT = KINDS["transit"].reference_example


@pytest.fixture
def company_admin(world):
    company = world.company("ERP用户")
    return company, world.login(world.user(company, role="company_admin"))


def _make(client, company, headers, scopes=("clearances:read",), name="ERP"):
    return client.post(f"/companies/{company.id}/api-keys", json={"name": name, "scopes": list(scopes)},
                       headers=headers)


def test_a_key_is_shown_once_and_stored_hashed(app, client, company_admin):
    company, admin = company_admin
    made = _make(client, company, admin)
    assert made.status_code == 201
    secret = made.json["key"]
    assert secret.startswith("swk_") and len(secret) > 40 and made.json["hint"] == secret[:12]
    listed = client.get(f"/companies/{company.id}/api-keys", headers=admin).json
    assert [k["id"] for k in listed] == [made.json["id"]] and "key" not in listed[0]
    with app.app_context():
        stored = db.session.get(ApiKey, made.json["id"])
        assert stored.key_sha256 == digest(secret) and secret not in (stored.hint, stored.key_sha256)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key_create"))
        assert entry.target_type == "api_key" and entry.target_id == made.json["id"]


def test_who_may_manage_keys(world, client, company_admin):
    company, admin = company_admin
    _, trader = world.trader(company)
    assert _make(client, company, trader).status_code == 403  # a plain trader of the company
    other = world.company("别家")
    other_admin = world.login(world.user(other, role="company_admin"))
    assert _make(client, company, other_admin).status_code == 404  # another company's admin: no such company
    assert client.get(f"/companies/{company.id}/api-keys", headers=other_admin).status_code == 404
    platform_admin = world.login(world.user(role="admin"))
    assert _make(client, company, platform_admin).status_code == 201
    bad = _make(client, company, admin, scopes=("everything",))
    assert bad.status_code == 422 and "scopes" in bad.json["errors"]["json"]
    assert _make(client, company, admin, scopes=()).status_code == 422
    key = {"Authorization": f"Bearer {_make(client, company, admin).json['key']}"}
    assert client.get(f"/companies/{company.id}/api-keys", headers=key).status_code == 403  # keys make no keys


def test_a_key_acts_as_its_company_within_its_scopes(world, client, company_admin):
    company, admin = company_admin
    _, trader = world.trader(company)
    item = world.track(trader, "transit")
    read = {"Authorization": f"Bearer {_make(client, company, admin).json['key']}"}
    assert [i["id"] for i in client.get("/clearances", headers=read).json["items"]] == [item["id"]]
    assert client.get(f"/clearances/{item['id']}/timeline", headers=read).status_code == 200
    refused = client.post("/clearances", json={"kind": "transit", "reference": TRANSIT}, headers=read)
    assert refused.status_code == 403 and "tracking:write" in refused.json["message"]
    for path in ("/me", "/devices", "/subscriptions", "/me/notifications"):  # a person's things: not for keys
        assert client.get(path, headers=read).status_code == 403, path
    track = {"Authorization": f"Bearer {_make(client, company, admin, scopes=('tracking:write',)).json['key']}"}
    body = {"kind": "customs_declaration", "reference": KINDS["customs_declaration"].reference_example}
    assert client.post("/clearances", json=body, headers=track).status_code == 202
    assert client.get("/clearances", headers=track).status_code == 403


def test_revoked_and_rotated_keys_are_refused_at_once(client, company_admin):
    company, admin = company_admin
    made = _make(client, company, admin).json
    key = {"Authorization": f"Bearer {made['key']}"}
    assert client.get("/clearances", headers=key).status_code == 200
    rotated = client.post(f"/companies/{company.id}/api-keys/{made['id']}/rotate", headers=admin)
    assert rotated.status_code == 200 and rotated.json["key"] != made["key"]
    assert client.get("/clearances", headers=key).status_code == 401
    key = {"Authorization": f"Bearer {rotated.json['key']}"}
    assert client.get("/clearances", headers=key).status_code == 200
    revoked = client.delete(f"/companies/{company.id}/api-keys/{made['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json["active"] is False and revoked.json["revoked_at"]
    answer = client.get("/clearances", headers=key)
    assert answer.status_code == 401 and answer.json["code"] == 401
    assert client.post(f"/companies/{company.id}/api-keys/{made['id']}/rotate", headers=admin).status_code == 422
    assert client.get("/clearances", headers={"Authorization": "Bearer swk_made-up"}).status_code == 401


def test_last_use_is_recorded(client, company_admin):
    company, admin = company_admin
    made = _make(client, company, admin).json
    assert made["last_used_at"] is None
    client.get("/clearances", headers={"Authorization": f"Bearer {made['key']}"})
    assert client.get(f"/companies/{company.id}/api-keys", headers=admin).json[0]["last_used_at"]


def test_each_key_has_its_own_rate_limit(app, client, company_admin):
    company, admin = company_admin
    first = {"Authorization": f"Bearer {_make(client, company, admin).json['key']}"}
    second = {"Authorization": f"Bearer {_make(client, company, admin).json['key']}"}
    before = app.config["API_KEY_LIMIT"]
    app.config["API_KEY_LIMIT"] = "3 per minute"
    try:
        assert [client.get("/clearances", headers=first).status_code for _ in range(4)] == [200, 200, 200, 429]
        limited = client.get("/clearances", headers=first)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert client.get("/clearances", headers=second).status_code == 200  # another key: its own count
    finally:
        app.config["API_KEY_LIMIT"] = before


def test_logs_tell_a_key_from_a_user(client, company_admin, caplog):
    company, admin = company_admin
    made = _make(client, company, admin).json
    with caplog.at_level(logging.INFO, logger="app.web.auth.api_keys"):
        client.get("/clearances", headers={"Authorization": f"Bearer {made['key']}"})
    used = [r for r in caplog.records if r.getMessage() == "api key used"]
    assert used and used[0].actor == f"api_key:{made['id']}" and made["key"] not in caplog.text


def test_idempotency_keys_of_a_key_are_its_own(world, client, company_admin):
    company, admin = company_admin
    key = {"Authorization": f"Bearer {_make(client, company, admin, scopes=('tracking:write',)).json['key']}",
           "Idempotency-Key": "batch-7"}
    body = {"kind": "transit", "reference": TRANSIT}
    first = client.post("/clearances", json=body, headers=key)
    again = client.post("/clearances", json=body, headers=key)
    assert first.status_code == again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
