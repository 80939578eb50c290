"""The kinds table in two languages, my profile, users and companies administration."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("header", "label"), [
    (None, "海关已放行"), ("en", "Released by customs"), ("en-GB,en;q=0.8", "Released by customs"),
    ("zh", "海关已放行"), ("fr", "海关已放行"),
])
def test_status_kinds_speak_the_asked_language(client, header, label):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")  # the client's default English, not sent here
    response = client.get("/status-kinds", headers={"Accept-Language": header} if header else {})
    kinds = response.json
    assert [k["number"] for k in kinds] == list(range(1, 15))
    customs = kinds[0]
    assert customs["key"] == "customs_declaration" and customs["modelled"] is False
    p = next(c for c in customs["codes"] if c["code"] == "P")
    assert p["label"] == label and p["stage"] == "released" and p["milestone"] is True


def test_i_change_my_language_and_time_zone(world, client):
    headers = world.login(world.user(world.company()))
    changed = client.patch("/me", json={"locale": "en", "time_zone": "Europe/Berlin"}, headers=headers)
    assert changed.status_code == 200 and changed.json["locale"] == "en"
    bad = client.patch("/me", json={"time_zone": "Mars/Olympus"}, headers=headers)
    assert bad.status_code == 422 and "time_zone" in bad.json["errors"]["json"]
    assert client.get("/me", headers=headers).json["time_zone"] == "Europe/Berlin"


def test_my_language_is_used_when_the_phone_sends_none(world, client):
    headers = world.login(world.user(world.company(), locale="en"))
    item = world.track(headers, "transit", "2233202400004567")
    assert item["kind_name"] == "Transit"


def test_an_admin_creates_a_company_and_its_trader(world, client):
    admin = world.login(world.user(role="admin"))
    company = client.post("/companies", json={"name": "深圳测试贸易有限公司", "uscc": "91350100M000100Y43",
                                              "customs_code": "4403961234"}, headers=admin)
    assert company.status_code == 201
    user = client.post("/users", json={"phone": "13711112222", "name": "新用户", "password": "long enough",
                                       "company_id": company.json["id"]}, headers=admin)
    assert user.status_code == 201 and user.json["company"]["id"] == company.json["id"]
    login = client.post("/auth/login", json={"phone": "13711112222", "password": "long enough"})
    assert login.status_code == 200
    no_company = client.post("/users", json={"phone": "13711113333", "name": "x", "password": "long enough"},
                             headers=admin)
    assert no_company.json["errors"]["json"] == {"company_id": ["a trader belongs to a company"]}
    renamed = client.patch(f"/companies/{company.json['id']}", json={"name": "新名字"}, headers=admin)
    assert renamed.json["name"] == "新名字"


def test_operators_see_health_readiness_and_metrics(client, sessions):
    from status_tracker.models import AgencyState

    with sessions.begin() as session:
        session.add(AgencyState(agency="gacc", cursor=10, feed_backlog=3, polls_total=7, errors_total=2,
                                events_total=42, consecutive_failures=0))
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/ready").json == {"status": "ready"}
    text = client.get("/metrics").get_data(as_text=True)
    assert 'swm_agency_events_ingested{agency="gacc"} 42.0' in text
    assert 'swm_agency_poll_errors{agency="gacc"} 2.0' in text
    assert 'swm_agency_feed_backlog{agency="gacc"} 3.0' in text
    assert 'swm_agency_breaker_open{agency="gacc"} 0.0' in text
