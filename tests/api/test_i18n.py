"""Every error a user can read comes in the language asked for (Accept-Language, else the user's own), from the
message catalogues; the committed catalogues are complete and compiled."""

from __future__ import annotations

import pytest

from app.processes import i18n as build
from core.i18n import localize
from tests.conftest import PASSWORD

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_a_wrong_password_is_told_in_chinese(world, client):
    user = world.user(world.company())
    response = client.post("/auth/login", json={"phone": user.phone, "password": "not the password"}, headers=ZH)
    assert response.status_code == 401 and response.json["message"] == "手机号或密码错误"
    english = client.post("/auth/login", json={"phone": user.phone, "password": "not the password"})
    assert english.json["message"] == "wrong phone number or password"


def test_a_missing_token_is_told_in_chinese_with_the_libraries_reason(client):
    response = client.get("/me", headers=ZH)
    assert response.status_code == 401
    assert response.json["message"] == "请先登录：缺少 Authorization 请求头"


def test_marshmallows_messages_and_ours_are_in_chinese(world, client):
    user = world.user(world.company())
    response = client.post("/auth/login", json={"phone": user.phone, "password": "", "colour": 1}, headers=ZH)
    assert response.status_code == 422
    assert response.json["message"] == "请求有误，见各字段的说明"
    errors = response.json["errors"]["json"]
    assert errors["colour"] == ["未知字段。"]
    assert all("长度须在" in reason or "须" in reason for reason in errors["password"]), errors


def test_a_rate_limit_is_told_in_chinese_in_words(world, client):
    user = world.user(world.company())
    for _ in range(5):
        client.post("/auth/login", json={"phone": user.phone, "password": "wrong-guess"}, headers=ZH)
    limited = client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD}, headers=ZH)
    assert limited.status_code == 429
    assert limited.json["message"] == "尝试次数过多：60 秒内最多 5 次，请稍后再试"
    assert "per" not in limited.json["message"]


@pytest.mark.parametrize(("locale", "expected"), [("zh-CN", "不是本接口返回的游标"),
                                                  ("en", "not a cursor returned by this API")])
def test_without_accept_language_the_users_own_language_is_used(world, client, locale, expected):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")  # the client's default English, not sent here
    user = world.user(world.company(), locale=locale)
    response = client.get("/clearances", query_string={"cursor": "nonsense"}, headers=world.login(user))
    assert response.status_code == 422, response.json
    assert response.json["errors"]["query"]["cursor"] == [expected]


def test_the_most_specific_entry_wins_and_unknown_texts_stay_as_they_are():
    assert localize("no such company", "zh-CN") == "没有这家企业"
    assert localize("Length must be between 1 and 20.", "zh-CN") == "长度须在 1 到 20 之间。"
    assert localize("at most 2000 characters", "en") == "at most 2000 characters"
    assert localize("something no catalogue has", "zh-CN") == "something no catalogue has"


def test_the_committed_catalogues_are_complete_and_compiled():
    # `swm i18n` extracts, updates and compiles; this fails when a new text has no translation or a .po was
    # edited without compiling its .mo.
    assert build.check() == []
