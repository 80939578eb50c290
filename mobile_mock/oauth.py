"""OAuth for the mock: verifies jwt-bearer grants from trusted service accounts, issues and checks tokens."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from mobile_mock.errors import unauthenticated
from mobile_mock.service_account import public_key_pem

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always signs this audience, whatever token_uri the file names.
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 60


@dataclass(frozen=True)
class TrustedAccount:
    client_email: str
    project_id: str
    private_key_id: str
    public_key: bytes


class GrantError(Exception):
    """A refused grant, answered as RFC 6749 `{"error": ..., "error_description": ...}` with HTTP 400."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class TokenAuthority:
    def __init__(self, lifetime: int = 3600, clock: Callable[[], float] = time.time) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._accounts: dict[str, TrustedAccount] = {}
        self._tokens: dict[str, tuple[str, float]] = {}  # access token -> (project id, expiry)
        self._lock = threading.Lock()

    def trust(self, info: dict[str, Any]) -> TrustedAccount:
        """Trust a service account: its full JSON (public key derived) or a dict with `public_key` PEM."""
        public = info["public_key"].encode() if "public_key" in info else public_key_pem(info)
        account = TrustedAccount(
            info["client_email"], info["project_id"], info.get("private_key_id", ""), public
        )
        with self._lock:
            self._accounts[account.client_email] = account
        return account

    def grant(self, grant_type: str | None, assertion: str | None) -> dict[str, Any]:
        if grant_type != JWT_BEARER_GRANT:
            raise GrantError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        if not assertion:
            raise GrantError("invalid_request", "Missing required parameter: assertion")
        account = self._account_for(assertion)
        try:
            claims = jwt.decode(
                assertion,
                account.public_key,
                algorithms=["RS256"],
                audience=TOKEN_AUDIENCE,
                issuer=account.client_email,
                leeway=CLOCK_SKEW,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise GrantError("invalid_grant", "Invalid JWT Signature.") from exc
        except jwt.InvalidAudienceError as exc:
            raise GrantError(
                "invalid_grant", f"Invalid JWT: Failed audience check. The right audience is {TOKEN_AUDIENCE}"
            ) from exc
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise GrantError("invalid_grant", _TIMEFRAME) from exc
        except jwt.InvalidTokenError as exc:
            raise GrantError("invalid_grant", f"Invalid JWT: {exc}") from exc
        if claims["exp"] - claims["iat"] > MAX_ASSERTION_LIFETIME:
            raise GrantError("invalid_grant", _TIMEFRAME)
        return self._issue(account.project_id)

    def check(self, authorization: str | None) -> str:
        """Return the project the bearer token was issued for, or raise the 401 FCM answers."""
        if not authorization or not authorization.startswith("Bearer "):
            raise unauthenticated("CREDENTIALS_MISSING")
        entry = self._tokens.get(authorization[7:])  # dict read is atomic: the hot path takes no lock
        if entry is None:
            raise unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED")
        if entry[1] < self._clock():
            raise unauthenticated("ACCESS_TOKEN_EXPIRED")
        return entry[0]

    def revoke_all(self) -> None:
        """Forget every issued token, as a restarted server would: clients must fetch new ones."""
        with self._lock:
            self._tokens.clear()

    def _account_for(self, assertion: str) -> TrustedAccount:
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise GrantError("invalid_grant", "Invalid JWT: malformed assertion") from exc
        account = self._accounts.get(str(unverified.get("iss")))
        if account is None:
            raise GrantError("invalid_grant", "Invalid grant: account not found")
        return account

    def _issue(self, project_id: str) -> dict[str, Any]:
        token = "ya29.mock." + secrets.token_urlsafe(48)
        now = self._clock()
        with self._lock:
            # Drop expired tokens here, on the rare grant path, so the map stays small.
            for stale in [t for t, (_, expiry) in self._tokens.items() if expiry < now]:
                del self._tokens[stale]
            self._tokens[token] = (project_id, now + self._lifetime)
        return {"access_token": token, "expires_in": self._lifetime, "token_type": "Bearer"}


_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)
