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


def _login(client, phone, password=PASSWORD):  # type: ignore[no-untyped-def]
    response = client.post("/auth/login", json={"phone": phone, "password": password})
    assert response.status_code == 200, response.json
    return response.json


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_password_change_ends_every_other_session_and_keeps_this_one(world, client, app):
    from tests.api.test_desk_console import console_login

    user = world.user(role="customer_service")
    mine, other = _login(client, user.phone), _login(client, user.phone)
    console = app.test_client()
    assert console_login(console, user).status_code == 302
    assert console.get("/console/").status_code == 200
    changed = client.patch("/me", json={"password": "a brand new password"}, headers=_bearer(mine["access_token"]))
    assert changed.status_code == 200
    # The other API session: its access and refresh tokens are refused, and so is the console's cookie.
    assert client.get("/me", headers=_bearer(other["access_token"])).status_code == 401
    assert client.post("/auth/refresh", headers=_bearer(other["refresh_token"])).status_code == 401
    assert console.get("/console/").status_code == 302
    # The session that changed the password goes on, refresh token included.
    assert client.get("/me", headers=_bearer(mine["access_token"])).status_code == 200
    assert client.post("/auth/refresh", headers=_bearer(mine["refresh_token"])).status_code == 200
    _login(client, user.phone, "a brand new password")


def test_a_password_change_silences_the_other_sessions_devices(world, client):
    user = world.user(world.company())
    mine, other = _login(client, user.phone), _login(client, user.phone)
    client.post("/devices", json={"token": "tok-mine", "platform": "android"}, headers=_bearer(mine["access_token"]))
    client.post("/devices", json={"token": "tok-other", "platform": "ios"}, headers=_bearer(other["access_token"]))
    client.patch("/me", json={"password": "a brand new password"}, headers=_bearer(mine["access_token"]))
    assert [d["token"] for d in client.get("/devices", headers=_bearer(mine["access_token"])).json] == ["tok-mine"]


def test_a_profile_change_without_a_password_ends_no_session(world, client):
    user = world.user(world.company())
    mine, other = _login(client, user.phone), _login(client, user.phone)
    assert client.patch("/me", json={"name": "new name"}, headers=_bearer(mine["access_token"])).status_code == 200
    assert client.post("/auth/refresh", headers=_bearer(other["refresh_token"])).status_code == 200


def test_disabling_ends_sessions_for_good_even_after_enabling_with_a_new_password(world, client):
    admin = world.login(world.user(role="admin"))
    user = world.user(world.company())
    old = _login(client, user.phone)
    assert client.patch(f"/users/{user.id}", json={"active": False}, headers=admin).status_code == 200
    enabled = client.patch(f"/users/{user.id}", json={"active": True, "password": "a brand new password"},
                           headers=admin)
    assert enabled.status_code == 200
    assert client.post("/auth/refresh", headers=_bearer(old["refresh_token"])).status_code == 401
    assert client.get("/me", headers=_bearer(old["access_token"])).status_code == 401
    fresh = _login(client, user.phone, "a brand new password")
    assert client.get("/me", headers=_bearer(fresh["access_token"])).status_code == 200


def test_disabling_then_enabling_without_a_new_password_keeps_old_sessions_dead(world, client):
    admin = world.login(world.user(role="admin"))
    user = world.user(world.company())
    old = _login(client, user.phone)
    client.patch(f"/users/{user.id}", json={"active": False}, headers=admin)
    client.patch(f"/users/{user.id}", json={"active": True}, headers=admin)
    assert client.post("/auth/refresh", headers=_bearer(old["refresh_token"])).status_code == 401
    assert client.get("/me", headers=_bearer(old["access_token"])).status_code == 401


def test_an_admin_password_reset_ends_all_sessions_of_that_user(world, client, app):
    from tests.api.test_desk_console import console_login

    admin_user = world.user(role="admin")
    admin = world.login(admin_user)
    user = world.user(role="customer_service")
    first, second = _login(client, user.phone), _login(client, user.phone)
    console = app.test_client()
    assert console_login(console, user).status_code == 302
    assert client.patch(f"/users/{user.id}", json={"password": "reset by the admin"}, headers=admin).status_code == 200
    for tokens in (first, second):
        assert client.post("/auth/refresh", headers=_bearer(tokens["refresh_token"])).status_code == 401
        assert client.get("/me", headers=_bearer(tokens["access_token"])).status_code == 401
    assert console.get("/console/").status_code == 302
    # The admin's own session is not the user's: it goes on.
    assert client.get("/me", headers=admin).status_code == 200
