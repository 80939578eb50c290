"""Property-based tests of every operation against the app's own OpenAPI document (schemathesis).

Each operation is called with a token that may use it (admin for administration and the audit log, the
customer-service desk for /desk, a trader otherwise),
with both valid and invalid generated input: no 5xx, and every response conforms to the document.
One check is left out: "schema-valid input must be accepted". The document cannot say everything the
server checks (check characters of credit codes and container numbers, each kind's reference format,
opaque cursors, an Idempotency-Key reused with another body), so such input is rightly refused with 422.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.auth.tokens import open_session
from app.extensions import db


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.fixture
def tokens(app, world, client):
    """Logins for the run, plus some data for generated ids to hit."""
    company = world.company()
    trader = world.user(company)
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
