"""Stories of the OAuth token endpoint: the jwt-bearer grant google-auth makes with a service account."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from mobile_mock import make_service_account
from mobile_mock.errors import ApiError
from mobile_mock.oauth import TokenAuthority

PROJECT_ID = "demo-swm"
SEND_PATH = f"/v1/projects/{PROJECT_ID}/messages:send"
Signer = Callable[..., str]
Grant = Callable[..., Any]
Account = dict[str, Any]


def test_a_trusted_account_gets_a_bearer_token(grant: Grant, sign: Signer, service_account: Account) -> None:
    response = grant(sign(service_account))

    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"
    assert body["access_token"].startswith("ya29.")


def test_a_forged_assertion_is_refused(grant: Grant, sign: Signer, service_account: Account) -> None:
    forger = make_service_account(PROJECT_ID)  # another key claiming to be the trusted account
    forged = sign(forger | {"client_email": service_account["client_email"]})

    response = grant(forged)

    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"aud": "https://example.com/token"}, "Failed audience check"),
        ({"iat": int(time.time()) - 7300, "exp": int(time.time()) - 3700}, "short-lived token"),
        ({"exp": int(time.time()) + 7200}, "short-lived token"),
        ({"iss": "stranger@elsewhere.iam.gserviceaccount.com"}, "account not found"),
    ],
    ids=["wrong-audience", "expired", "too-long-lived", "unknown-issuer"],
)
def test_bad_claims_are_refused(
    grant: Grant, sign: Signer, service_account: Account, overrides: dict[str, Any], description: str
) -> None:
    response = grant(sign(service_account, **overrides))

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"
    assert description in response.get_json()["error_description"]


def test_other_grants_and_garbage_are_refused(grant: Grant, sign: Signer, service_account: Account) -> None:
    assert grant(sign(service_account), grant_type="client_credentials").get_json()["error"] == (
        "unsupported_grant_type"
    )
    assert grant("not-a-jwt").get_json()["error"] == "invalid_grant"


def test_a_token_opens_only_its_own_project(client: FlaskClient, auth: dict[str, str]) -> None:
    body = {"message": {"token": "t1"}}

    assert client.post(SEND_PATH, json=body, headers=auth).status_code == 200
    other = client.post("/v1/projects/someone-else/messages:send", json=body, headers=auth)

    assert other.status_code == 403
    assert other.get_json()["error"]["status"] == "PERMISSION_DENIED"


def test_access_tokens_expire(sign: Signer, service_account: Account) -> None:
    now = [1000.0]
    authority = TokenAuthority(lifetime=60, clock=lambda: now[0])
    authority.trust(service_account)
    token = authority.grant(
        "urn:ietf:params:oauth:grant-type:jwt-bearer", sign(service_account)
    )["access_token"]

    assert authority.check(f"Bearer {token}") == PROJECT_ID
    now[0] += 61
    with pytest.raises(ApiError) as expired:
        authority.check(f"Bearer {token}")
    assert expired.value.details[0]["reason"] == "ACCESS_TOKEN_EXPIRED"


def test_a_revoked_key_gets_no_token_and_its_tokens_stop_working(client: FlaskClient, grant: Grant, sign: Signer,
                                                                  service_account: Account,
                                                                  auth: dict[str, str]) -> None:
    body = {"message": {"token": "t1"}}
    assert client.post(SEND_PATH, json=body, headers=auth).status_code == 200

    assert client.post("/admin/faults", json={"refuse_tokens": True}).status_code == 200

    refused = grant(sign(service_account))
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    assert client.post(SEND_PATH, json=body, headers=auth).status_code == 401
    assert client.get("/admin/faults").get_json()["active"] is True
    assert client.post("/admin/faults", json={"refuse_tokens": "yes"}).status_code == 400

    client.delete("/admin/faults")
    assert grant(sign(service_account)).status_code == 200
