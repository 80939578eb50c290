"""Logging in, refreshing, logging out, and the limits on guessing passwords."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_login_gives_tokens_that_open_me(world, client):
    user = world.user(world.company())
    response = client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer" and response.json["expires_in"] == 15 * 60
    me = client.get("/me", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.status_code == 200 and me.json["phone"] == user.phone


def test_login_accepts_the_phone_with_country_code(world, client):
    user = world.user(world.company())
    response = client.post("/auth/login", json={"phone": f"+86 {user.phone}", "password": PASSWORD})
    assert response.status_code == 200


def test_wrong_password_and_unknown_phone_get_the_same_401(world, client):
    user = world.user(world.company())
    wrong = client.post("/auth/login", json={"phone": user.phone, "password": "not the password"})
    unknown = client.post("/auth/login", json={"phone": "13912345678", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["message"] == unknown.json["message"]


def test_disabled_user_cannot_log_in_and_loses_access(world, client, app):
    admin = world.user(role="admin")
    user = world.user(world.company())
    headers = world.login(user)
    client.patch(f"/users/{user.id}", json={"active": False}, headers=world.login(admin))
    assert client.get("/me", headers=headers).status_code == 401
    assert client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD}).status_code == 401


def test_refresh_gives_a_new_access_token(world, client):
    user = world.user(world.company())
    tokens = client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD}).json
    refreshed = client.post("/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200
    assert client.get("/me", headers={"Authorization": f"Bearer {refreshed.json['access_token']}"}).status_code == 200


def test_an_access_token_cannot_refresh(world, client):
    headers = world.login(world.user(world.company()))
    assert client.post("/auth/refresh", headers=headers).status_code == 401


def test_logout_revokes_the_access_and_the_refresh_token(world, client):
    user = world.user(world.company())
    tokens = client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD}).json
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    other_session = world.login(user)
    assert client.post("/auth/logout", headers=access).status_code == 204
    assert client.get("/me", headers=access).status_code == 401
    refresh = client.post("/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refresh.status_code == 401
    # Only that session ended: the same user's other login still works.
    assert client.get("/me", headers=other_session).status_code == 200


def test_logout_silences_the_devices_of_that_session_only(world, client):
    user = world.user(world.company())
    phone_a, phone_b = world.login(user), world.login(user)
    client.post("/devices", json={"token": "tok-a", "platform": "android"}, headers=phone_a)
    client.post("/devices", json={"token": "tok-b", "platform": "ios"}, headers=phone_b)
    client.post("/auth/logout", headers=phone_a)
    assert [d["token"] for d in client.get("/devices", headers=phone_b).json] == ["tok-b"]


def test_garbage_tokens_get_401_in_json(client):
    for value in ("Bearer not-a-jwt", "Basic abc", "Bearer "):
        response = client.get("/me", headers={"Authorization": value})
        assert response.status_code == 401 and response.is_json and response.json["message"]


def test_login_attempts_are_limited_per_phone(world, client):
    user = world.user(world.company())
    codes = [client.post("/auth/login", json={"phone": user.phone, "password": "wrong-guess"}).status_code
             for _ in range(6)]
    assert codes == [401] * 5 + [429]
    limited = client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD})
    assert limited.status_code == 429 and limited.json["code"] == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Another phone from the same address is not locked out by that.
    other = world.user(world.company())
    assert client.post("/auth/login", json={"phone": other.phone, "password": PASSWORD}).status_code == 200


def test_login_attempts_are_limited_per_address(world, client):
    statuses = [
        client.post("/auth/login", json={"phone": f"1390000{n:04d}", "password": "x" * 8}).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429
