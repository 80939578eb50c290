"""Every bad request gets a JSON error that names the field and the reason, never a 500 or HTML."""

from __future__ import annotations

from app.web.extensions import db
from status_tracker.models import Shipment


def test_malformed_json_is_400_in_json(world, client):
    _, headers = world.trader()
    response = client.post("/shipments", data="{not json", content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.is_json
    assert response.json["errors"] == {"json": ["Invalid JSON body."]}


def test_unknown_and_missing_fields_are_named(world, client):
    _, headers = world.trader()
    response = client.post("/clearances", json={"kind": "license", "colour": "red"}, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "colour": ["Unknown field."], "reference": ["Missing data for required field."],
    }


def test_wrong_types_are_named(world, client):
    _, headers = world.trader()
    response = client.post("/subscriptions", json={"scope": "item", "target_id": "seven", "muted": "maybe"},
                           headers=headers)
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"target_id", "muted"}


def test_unknown_urls_and_methods_answer_in_json(client):
    assert client.get("/nowhere").json["code"] == 404
    response = client.put("/clearances")
    assert response.status_code == 405 and response.is_json


def test_a_duplicate_company_is_409_and_the_first_stays(world, client, app):
    admin = world.login(world.user(role="admin"))
    body = {"name": "甲公司", "uscc": "91350100M000100Y43"}
    assert client.post("/companies", json=body, headers=admin).status_code == 201
    again = client.post("/companies", json={**body, "name": "乙公司"}, headers=admin)
    assert again.status_code == 409
    listed = client.get("/companies", headers=admin).json
    assert [c["name"] for c in listed if c["uscc"] == body["uscc"]] == ["甲公司"]


def test_company_codes_are_validated_with_their_check_character(world, client):
    admin = world.login(world.user(role="admin"))
    response = client.post("/companies", json={"name": "x", "uscc": "91350100M000100Y44"}, headers=admin)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "uscc": ["the check character of this unified social credit code is wrong"]
    }
    short = client.post("/companies", json={"name": "x", "uscc": "91350100M000100Y43", "customs_code": "12"},
                        headers=admin)
    assert short.json["errors"]["json"] == {"customs_code": ["a customs code has 10 digits or capital letters"]}


def test_an_invalid_container_number_changes_nothing(world, client, app):
    _, headers = world.trader()
    client.post("/shipments", json={"container_no": "CSQU3054383"}, headers=headers)
    response = client.post("/shipments", json={"container_no": "CSQU3054384"}, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"container_no": ["the check digit of this container number is wrong"]}
    with app.app_context():
        assert [s.container_no for s in db.session.query(Shipment)] == ["CSQU3054383"]


def test_an_unexpected_failure_is_a_json_500_without_a_trace(app, client, monkeypatch):
    import status_tracker.kinds

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("app.web.api.status_kinds.routes._answer", broken)  # the kinds are dumped once, then kept
    response = client.get("/status-kinds")
    assert response.status_code == 500 and response.is_json
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert status_tracker.kinds.KINDS  # the table itself is untouched


def test_a_mistyped_filter_is_refused_rather_than_ignored(world, client):
    _, headers = world.trader()
    response = client.get("/clearances", query_string={"stag": "released"}, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"query": {"stag": ["Unknown field."]}}


def test_a_missing_body_is_400_and_a_non_json_body_415(world, client):
    _, headers = world.trader()
    assert client.patch("/me", headers=headers).status_code == 400
    assert client.post("/shipments", data="container_no=CSQU3054383", headers=headers,
                       content_type="application/x-www-form-urlencoded").status_code == 415


def test_absurd_ids_are_404_not_database_errors(world, client):
    _, headers = world.trader()
    for path in ("/clearances/99999999999999999999999", "/clearances/0", "/shipments/-1"):
        assert client.get(path, headers=headers).status_code == 404, path


def test_nul_characters_are_refused_by_name_on_every_database(world, client):
    _, headers = world.trader()
    response = client.post("/devices", json={"token": "t", "platform": "web", "app_version": "1\x00"},
                           headers=headers)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"app_version": ["must not contain NUL (U+0000) characters"]}
    nested = client.post("/clearances", json={"kind": "license", "reference": "LIC202400012345",
                                              "parties": [{"role": "agent", "uscc": "a\x00"}]},
                         headers=headers)
    assert nested.status_code == 422 and nested.json["errors"]["json"]["parties"]["0"]["uscc"]


def test_the_phone_web_app_origin_may_call_the_api_and_others_may_not(database_url):
    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "CORS_ORIGINS": ["http://127.0.0.1:8102"]})
    client = app.test_client()
    allowed = client.options("/auth/login", headers={"Origin": "http://127.0.0.1:8102",
                                                     "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://127.0.0.1:8102"
    other = client.options("/auth/login", headers={"Origin": "http://evil.example",
                                                   "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers
