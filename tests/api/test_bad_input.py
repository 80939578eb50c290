"""Input the database cannot store, or the code cannot compute with, is refused with a 4xx naming the field.

Lone surrogates and NUL in any string, moments that cannot be shifted to UTC, ids beyond BIGINT, JSON nested
absurdly deep, digits of other scripts in identifiers, bodies beyond the size limit, device tokens at the
documented maximum: each once through the API, on every database backend of the suite.
"""

from __future__ import annotations

import base64
import io
import json
import secrets

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from status_tracker.kinds import KINDS
from tests.conftest import PASSWORD, make_uscc

SURROGATE = "\ud800"
MAX_BIGINT = 2**63 - 1
EDGE_DATES = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")


@pytest.fixture
def people(world, client):
    company = world.company()
    trader = world.user(company)
    admin = world.user(role="admin")
    desk = world.user(role="customer_service")
    trader_headers = world.login(trader)
    item = world.track(trader_headers, "transit")
    return {"company": company, "trader": trader, "item": item, "trader_headers": trader_headers,
            "admin_headers": world.login(admin), "desk_headers": world.login(desk), "admin": admin}


def _named(response, *path: str | int) -> list[str]:
    errors = response.json["errors"]
    for key in path:
        errors = errors[str(key)] if str(key) in errors else errors[key]
    return errors


# Every string the API stores, and how to send it: (who, method, url, body builder, path to the field's errors).
STORED_STRINGS = [
    ("anyone", "post", "/auth/login", lambda s: {"phone": "13900000001", "password": s}, ("password",)),
    ("anyone", "post", "/auth/login", lambda s: {"phone": s, "password": PASSWORD}, ("phone",)),
    ("trader", "patch", "/me", lambda s: {"name": s}, ("name",)),
    ("trader", "patch", "/me", lambda s: {"password": s * 8}, ("password",)),
    ("trader", "patch", "/me", lambda s: {"time_zone": s}, ("time_zone",)),
    ("trader", "post", "/clearances", lambda s: {"kind": "transit", "reference": s}, ("reference",)),
    ("trader", "post", "/clearances",
     lambda s: {"kind": "transit", "reference": KINDS["transit"].reference_example,
                "parties": [{"role": "consignee", "uscc": s}]},
     ("parties", 0, "uscc")),
    ("trader", "post", "/shipments", lambda s: {"label": s, "container_no": "CSQU3054383"}, ("label",)),
    ("trader", "post", "/shipments", lambda s: {"bill_of_lading": s}, ("bill_of_lading",)),
    ("trader", "post", "/devices", lambda s: {"token": s, "platform": "android"}, ("token",)),
    ("trader", "post", "/devices", lambda s: {"token": "t-1", "platform": "android", "app_version": s},
     ("app_version",)),
    ("admin", "post", "/companies", lambda s: {"name": s, "uscc": make_uscc(998)}, ("name",)),
    ("admin", "post", "/users", lambda s: {"phone": "13900000099", "name": s, "password": PASSWORD,
                                           "role": "admin"}, ("name",)),
    ("desk", "post", "/desk/cases/{item}/notes", lambda s: {"body": s}, ("body",)),
    ("desk", "post", "/desk/cases/{item}/notes", lambda s: {"body": "called", "reason": s}, ("reason",)),
]


@pytest.mark.parametrize("bad", [SURROGATE, "a\udfffb", "x\x00y"], ids=["lone-high", "lone-low", "nul"])
@pytest.mark.parametrize(("who", "method", "url", "body", "field"), STORED_STRINGS,
                         ids=[f"{m} {u} {'.'.join(map(str, f))}" for _, m, u, _, f in STORED_STRINGS])
def test_strings_no_database_can_store_are_refused_naming_the_field(client, people, who, method, url, body,
                                                                    field, bad):
    headers = {"anyone": {}, "trader": people["trader_headers"], "admin": people["admin_headers"],
               "desk": people["desk_headers"]}[who]
    # Escaped as \\ud800 on the wire (json.dumps' default): what a client would send.
    response = getattr(client, method)(url.format(item=people["item"]["id"]), data=json.dumps(body(bad)),
                                       content_type="application/json", headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert _named(response, "json", *field)


def test_a_lone_surrogate_in_a_key_is_refused_and_the_answer_is_valid_utf8(client, people):
    response = client.post("/shipments", data=json.dumps({SURROGATE: 1, "label": "x"}),
                           content_type="application/json", headers=people["trader_headers"])
    assert response.status_code == 422
    assert response.json["errors"]["json"]  # the answer itself could be encoded
    response.get_data().decode("utf-8")


@pytest.mark.parametrize("moment", EDGE_DATES)
@pytest.mark.parametrize(("who", "url", "field"), [
    ("admin", "/audit", "since"), ("admin", "/audit", "until"),
    ("trader", "/clearances", "updated_since"),
    ("trader", "/stats/clearance-times", "since"), ("trader", "/stats/clearance-times", "until"),
])
def test_moments_that_cannot_be_stored_are_refused_naming_the_field(client, people, who, url, field, moment):
    headers = people[f"{who}_headers"]
    response = client.get(url, query_string={field: moment}, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert _named(response, "query", field)


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", [
    f"2026-01-01T00:00:00+00:00|{MAX_BIGINT + 1}",
    "2026-01-01T00:00:00+00:00|-5",
    "0001-01-01T00:00:00+14:00|5",
    "9999-12-31T23:59:59-14:00|5",
])
def test_cursors_holding_what_cannot_be_stored_are_refused(client, people, raw):
    response = client.get("/clearances", query_string={"cursor": _cursor(raw)}, headers=people["trader_headers"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["errors"]["query"] == {"cursor": ["not a cursor returned by this API"]}


@pytest.mark.parametrize(("method", "url", "who"), [
    ("post", "/auth/login", "anyone"), ("post", "/devices", "trader"), ("patch", "/me", "trader"),
    ("post", "/devices", "trader-idempotent"),
])
@pytest.mark.parametrize("depth", [100_000, 1_000])
def test_json_nested_absurdly_deep_is_a_400_naming_the_body(client, people, method, url, who, depth):
    headers = {} if who == "anyone" else people["trader_headers"]
    if who == "trader-idempotent":
        headers = {**headers, "Idempotency-Key": "k-1"}  # the key's fingerprint reads the body first
    body = "[" * depth + "]" * depth
    response = getattr(client, method)(url, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "nested" in response.json["errors"]["json"][0]


def test_json_of_ordinary_depth_still_reaches_validation(client, people):
    response = client.post("/clearances", json={"kind": "transit", "reference": "x", "parties": [{"role": ["a"]}]},
                           headers=people["trader_headers"])
    assert response.status_code == 422


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_a_credit_code_with_arabic_indic_digits_is_refused_for_a_trader_and_an_admin(client, people):
    uscc = make_uscc(997).translate(ARABIC_INDIC)
    tracked = client.post("/clearances", json={
        "kind": "customs_declaration", "reference": KINDS["customs_declaration"].reference_example,
        "parties": [{"role": "consignee", "uscc": uscc}],
    }, headers=people["trader_headers"])
    assert tracked.status_code == 422, tracked.get_data(as_text=True)
    assert "uscc" in str(tracked.json["errors"])
    created = client.post("/companies", json={"name": "x", "uscc": uscc}, headers=people["admin_headers"])
    assert created.status_code == 422 and _named(created, "json", "uscc")


@pytest.mark.parametrize("phone", ["139" + "12345678".translate(ARABIC_INDIC), "139१२३४५६७८"])
def test_phones_with_digits_of_other_scripts_are_refused(client, people, phone):
    response = client.post("/users", json={"phone": phone, "name": "x", "password": PASSWORD, "role": "admin"},
                           headers=people["admin_headers"])
    assert response.status_code == 422 and _named(response, "json", "phone")


def test_container_numbers_with_digits_of_other_scripts_are_refused(client, people):
    response = client.post("/shipments", json={"container_no": "CSQU" + "3054383".translate(ARABIC_INDIC)},
                           headers=people["trader_headers"])
    assert response.status_code == 422 and _named(response, "json", "container_no")


def test_a_device_token_of_the_documented_maximum_is_stored_and_found_again(client, people, app):
    token = secrets.token_urlsafe(3072)  # 4096 characters that do not compress (PostgreSQL would shrink "ttt…")
    assert len(token) == 4096
    first = client.post("/devices", json={"token": token, "platform": "android"}, headers=people["trader_headers"])
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post("/devices", json={"token": token, "platform": "ios"}, headers=people["trader_headers"])
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    other = client.post("/devices", json={"token": token[:-1] + ("A" if token[-1] != "A" else "B"), "platform": "ios"},
                        headers=people["trader_headers"])
    assert other.status_code == 201 and other.json["id"] != first.json["id"]
    too_long = client.post("/devices", json={"token": token + "A", "platform": "ios"},
                           headers=people["trader_headers"])
    assert too_long.status_code == 422 and _named(too_long, "json", "token")


def test_a_body_beyond_the_limit_is_a_413_in_our_shape(client, people, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 16 * 1024 * 1024
    body = b'{"label": "' + b"x" * limit + b'"}'
    for url, headers in (("/shipments", people["trader_headers"]), ("/auth/login", {})):
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 413, (url, response.get_data(as_text=True)[:200])
        assert response.is_json and response.json["code"] == 413 and "body" in response.json["message"]


def test_a_streamed_body_beyond_the_limit_is_refused_without_reading_it_whole(client, people, app):
    class Endless(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            size = min(len(buffer), 65536)
            buffer[:size] = b" " * size
            Endless.served += size
            assert Endless.served < 64 * 1024 * 1024, "the server read 64 MiB of an endless body"
            return size

    limit = app.config["MAX_CONTENT_LENGTH"]
    for url, headers in (("/shipments", people["trader_headers"]), ("/auth/login", {})):
        Endless.served = 0
        # As gunicorn hands over a chunked upload: no Content-Length, the stream says where it ends.
        environ = EnvironBuilder(path=url, method="POST", headers=headers,
                                 content_type="application/json").get_environ()
        environ.pop("CONTENT_LENGTH", None)
        environ.update({"wsgi.input": io.BufferedReader(Endless()), "wsgi.input_terminated": True,
                        "HTTP_TRANSFER_ENCODING": "chunked"})
        response = client.open(Request(environ))
        assert response.status_code == 413, (url, response.get_data(as_text=True)[:200])
        assert response.is_json and response.json["code"] == 413
        assert Endless.served <= limit + 2 * 65536


def _spellings(phone: str) -> list[str]:
    wide = phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return [f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}", f"0086 {phone}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
            f"{phone[:3]} {phone[3:7]} {phone[7:]}", wide, f"+86-{phone}"]


def test_the_login_limit_per_phone_holds_however_the_phone_is_written(world, client):
    user = world.user(world.company())
    codes = [client.post("/auth/login", json={"phone": user.phone, "password": "wrong-guess"}).status_code
             for _ in range(6)]
    assert codes[-1] == 429
    for spelling in _spellings(user.phone):
        response = client.post("/auth/login", json={"phone": spelling, "password": "wrong-guess"})
        assert response.status_code == 429, spelling


@pytest.mark.parametrize("spelling", _spellings("13912345678"))
def test_a_phone_is_normalized_on_every_way_in(client, people, spelling):
    created = client.post("/users", json={"phone": spelling, "name": "x", "password": PASSWORD, "role": "admin"},
                          headers=people["admin_headers"])
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json["phone"] == "13912345678"
    login = client.post("/auth/login", json={"phone": spelling, "password": PASSWORD})
    assert login.status_code == 200
    found = client.get("/desk/search", query_string={"q": spelling}, headers=people["desk_headers"])
    assert found.status_code == 200 and [u["phone"] for u in found.json["users"]] == ["13912345678"]


def test_the_console_login_limit_per_phone_holds_however_the_phone_is_written(world, client):
    from tests.api.test_desk_console import csrf_token

    desk = world.user(role="customer_service")

    def attempt(phone: str) -> int:
        return client.post("/console/login", data={"phone": phone, "password": "guess guess",
                                                   "csrf_token": csrf_token(client)}).status_code

    assert [attempt(desk.phone) for _ in range(6)][-1] == 429
    for spelling in _spellings(desk.phone):
        assert attempt(spelling) == 429, spelling


@pytest.mark.parametrize("number", ["1e400", "-1e400", "Infinity", "NaN", "-Infinity"])
def test_ids_beyond_any_integer_are_refused_naming_the_field(client, people, number):
    body = '{"scope": "item", "target_id": ' + number + "}"
    response = client.post("/subscriptions", data=body, content_type="application/json",
                           headers=people["trader_headers"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert _named(response, "json", "target_id")


def test_customs_offices_are_ascii_digits(client, people):
    office = "2233".translate(ARABIC_INDIC)
    stats = client.get("/stats/clearance-times", query_string={"customs_office": office},
                       headers=people["trader_headers"])
    assert stats.status_code == 422 and _named(stats, "query", "customs_office")
    tracked = client.post("/clearances", json={"kind": "license", "reference": KINDS["license"].reference_example,
                                               "customs_office": office}, headers=people["trader_headers"])
    assert tracked.status_code == 422 and _named(tracked, "json", "customs_office")


def test_a_value_the_database_still_refuses_is_a_422_not_a_500(client, people, monkeypatch):
    """The net under the checks above: should a value slip past them, the database's refusal is bad input."""
    from sqlalchemy.exc import DataError

    def refused(*_args, **_kwargs):
        raise DataError("INSERT INTO shipments …", {}, Exception("value too long for type character varying(200)"))

    monkeypatch.setattr("app.web.api.shipments.routes.create_shipment", refused)
    response = client.post("/shipments", json={"label": "x"}, headers=people["trader_headers"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["errors"]["json"] and "varying" not in response.get_data(as_text=True)


def test_a_chunked_body_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not(client, people, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"container_no": "CSQU3054383"}'
    for size, expected in ((limit, 201), (limit + 1, 413)):
        environ = EnvironBuilder(path="/shipments", method="POST", headers=people["trader_headers"],
                                 content_type="application/json").get_environ()
        environ.pop("CONTENT_LENGTH", None)
        environ.update({"wsgi.input": io.BytesIO(body + b" " * (size - len(body))), "wsgi.input_terminated": True,
                        "HTTP_TRANSFER_ENCODING": "chunked"})
        response = client.open(Request(environ))
        assert response.status_code == expected, (size, response.get_data(as_text=True)[:200])
