"""Property-based tests of every operation against the app's own OpenAPI document (schemathesis).

Each operation is called with a token that may use it (admin for administration and the audit log, the
customer-service desk for /desk, a trader otherwise),
with both valid and invalid generated input: no 5xx, and every response conforms to the document.
One check is left out: "schema-valid input must be accepted". The document cannot say everything the
server checks (check characters of credit codes and container numbers, each kind's reference format,
opaque cursors, an Idempotency-Key reused with another body), so such input is rightly refused with 422.

A second run poisons the generated cases with what a database cannot store or date arithmetic cannot
hold (lone surrogates and NUL in any string, moments at the edges of years 1 and 9999 with offsets, ids
beyond BIGINT, forged cursors holding those, bodies nested too deep): each is answered with a 4xx in the
API's error shape, never a 5xx.
"""

from __future__ import annotations

import base64
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.web.auth.tokens import open_session
from app.web.extensions import db


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.fixture
def tokens(app, world, client):
    """Logins for the run, plus some data for generated ids to hit."""
    company = world.company()
    # A company admin: a trader who may also manage the company's webhooks, so those operations are exercised.
    trader = world.user(company, role="company_admin")
    admin = world.user(role="admin")
    desk = world.user(role="customer_service")
    trader_headers = world.login(trader)
    for kind in ("transit", "customs_declaration"):
        world.track(trader_headers, kind)
    client.post("/shipments", json={"container_no": "CSQU3054383"}, headers=trader_headers)
    client.post("/devices", json={"token": "phone-1", "platform": "android"}, headers=trader_headers)
    client.post("/subscriptions", json={"scope": "company", "target_id": company.id}, headers=trader_headers)

    def fresh_login(user):
        # Straight from the session store: logging in through the API would soon meet the login limit.
        with app.test_request_context():
            tokens = open_session(db.session.merge(user), "schemathesis")
            db.session.commit()
        return tokens

    return {"trader": trader, "admin": admin, "trader_headers": trader_headers,
            "admin_headers": world.login(admin), "desk_headers": world.login(desk), "fresh_login": fresh_login}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_and_never_fails(case, tokens):
    path = case.operation.path
    if path.startswith(("/companies", "/users", "/audit")):
        headers = tokens["admin_headers"]
    elif path.startswith("/desk"):
        headers = tokens["desk_headers"]
    elif path == "/auth/logout":
        # Logging out ends the session: use a throw-away one so the other calls keep working.
        headers = {"Authorization": f"Bearer {tokens['fresh_login'](tokens['trader'])['access_token']}"}
    elif path == "/auth/refresh":
        headers = {"Authorization": f"Bearer {tokens['fresh_login'](tokens['trader'])['refresh_token']}"}
    else:
        headers = tokens["trader_headers"]
    if _leaves_out_authorization(case):
        headers = {}  # sent as generated: without a token, which must be refused (401)
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])


def _leaves_out_authorization(case) -> bool:
    """A negative case whose headers lack the required Authorization on purpose. Adding our token back would
    make it valid, and the negative-data check would then blame the API for accepting it."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return bool(header and header.mode.is_negative and "Authorization" not in (case.headers or {}))


TEXT = st.sampled_from(["\ud800", "a\udfffb", "\udc00\ud800", "x\x00y"])
MOMENTS = st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z",
                           "9999-12-31T23:59:59Z"])
IDS = st.sampled_from([2**63, 2**64 + 1, -(2**63) - 1, 10**40])
CURSORS = st.tuples(st.one_of(MOMENTS, st.just("2026-01-01T00:00:00+00:00")), st.one_of(IDS, st.just(1))).map(
    lambda pair: base64.urlsafe_b64encode(f"{pair[0]}|{pair[1]}".encode()).decode().rstrip("="))
DATE_NAMES = {"since", "until", "updated_since"}
ID_NAMES = {"before", "after", "target_id", "actor_id", "shipment_id", "company_id", "limit", "offset"}
DEEPER_THAN_ALLOWED = 40  # the API refuses more than 32 levels (app/web/bodies.py)


def _poison_for(name: object, value: object) -> st.SearchStrategy:
    if name in DATE_NAMES:
        return MOMENTS
    if name == "cursor":
        return CURSORS
    if name in ID_NAMES or (isinstance(value, int) and not isinstance(value, bool)):
        return IDS
    if isinstance(value, str):
        return TEXT
    return st.one_of(TEXT, IDS, MOMENTS)


def _spots(value: object) -> list[tuple[object, object]]:
    """(container, key) of every leaf of a JSON value, nested ones included."""
    found: list[tuple[object, object]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _spots(child) if isinstance(child, (dict, list)) and child else [(value, key)]
    return found


def _has_body(case) -> bool:  # type: ignore[no-untyped-def]
    return not isinstance(case.body, NotSet)


@st.composite
def _poisoned(draw, case):  # type: ignore[no-untyped-def]
    case.query = dict(case.query or {})
    # Every query parameter the operation has, generated or not: since/until/cursor get poisoned too.
    spots = [(case.query, parameter.name) for parameter in case.operation.query]
    if isinstance(case.body, (dict, list)):
        spots += _spots(case.body)
    if case.path_parameters:
        spots += [(case.path_parameters, name) for name in case.path_parameters]
    for container, key in draw(st.lists(st.sampled_from(spots), min_size=1, max_size=3)) if spots else ():
        if container is case.path_parameters:
            container[key] = draw(IDS)
        elif container is case.query and key not in DATE_NAMES | ID_NAMES | {"cursor"}:
            # A URL travels as UTF-8: a lone surrogate cannot be sent in one, NUL can.
            container[key] = "x\x00y"
        else:
            container[key] = draw(_poison_for(key, container.get(key) if isinstance(container, dict) else None))
    if _has_body(case) and not isinstance(case.body, bytes) and draw(st.booleans()):
        for _ in range(DEEPER_THAN_ALLOWED):
            case.body = [case.body]
    return case


@pytest.fixture
def poisoned_api_schema(app):
    poisoned = schemathesis.openapi.from_wsgi("/openapi.json", app)

    @poisoned.hook
    def flatmap_case(context, case):  # type: ignore[no-untyped-def]
        return _poisoned(case)

    return poisoned


poisoned_schema = schemathesis.pytest.from_fixture("poisoned_api_schema")


@poisoned_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_input_no_database_can_store_is_a_4xx_for_every_operation(case, tokens, client):
    path = case.operation.path
    if path.startswith(("/companies", "/users", "/audit")):
        headers = tokens["admin_headers"]
    elif path.startswith("/desk"):
        headers = tokens["desk_headers"]
    elif path in ("/auth/logout", "/auth/refresh"):
        kind = "access_token" if path == "/auth/logout" else "refresh_token"
        headers = {"Authorization": f"Bearer {tokens['fresh_login'](tokens['trader'])[kind]}"}
    else:
        headers = tokens["trader_headers"]
    # Sent as any client would: JSON escapes a lone surrogate (\\ud800), the query string is UTF-8.
    body = {}
    if _has_body(case):  # negative cases may carry raw bytes, sent as they are
        data = case.body if isinstance(case.body, bytes) else json.dumps(case.body)
        body = {"data": data, "content_type": "application/json"}
    response = client.open(case.formatted_path, method=case.method, query_string=case.query,
                           headers={**(case.headers or {}), **headers}, **body)
    assert response.status_code < 500, (case.method, path, case.query, case.body, response.get_data(as_text=True))
    if response.status_code >= 400:
        assert response.json["code"] == response.status_code and response.json["message"], response.json
