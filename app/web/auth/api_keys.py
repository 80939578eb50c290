"""Authenticating a request by API key (`Authorization: Bearer swk_…`), beside the JWT check of user tokens.

A key acts as its company: routes read `current_user.company_id` as for a user, so a key sees exactly the
items its company's users see. `current_user.id` is None for a key (no person did it); `current_user.actor`
names who acted in logs and audit: `user:<id>` or `api_key:<id>`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from flask import current_app, g, request
from flask_smorest import abort
from limits import parse

from app.web.extensions import db, limiter
from core import api_keys
from core.languages import DEFAULT_LANGUAGE
from core.models import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyPrincipal:
    """Who is calling when a key calls: its company, in the role of the company's traders."""

    key_id: int
    company_id: int
    scopes: tuple[str, ...]
    created_by_user_id: int
    id: None = None  # not a person: track_item and claims record no user
    role: str = Role.TRADER.value
    locale: str = DEFAULT_LANGUAGE  # answers in the default language unless Accept-Language asks otherwise
    active: bool = True
    is_api_key: bool = True

    @property
    def actor(self) -> str:
        return f"api_key:{self.key_id}"


def presented_key() -> str | None:
    """The API key in the Authorization header, if the header carries one (rather than a user token)."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and api_keys.is_api_key(credential):
        return credential
    return None


def authenticate_key(secret: str, scope: str | None) -> KeyPrincipal:
    """Check the key and its scope, count it against its rate limit, and make it the request's current user
    (aborts with 401, 403 or 429)."""
    if scope is None:
        abort(403, message="API keys may not do this; a person must log in")
    key = api_keys.authenticate(db.session, secret)
    if key is None:
        abort(401, message="invalid API key: unknown, rotated or revoked")
    assert key is not None
    if scope not in key.scopes:
        abort(403, message=f"this API key lacks the scope {scope}")
    _count(key.id)
    principal = KeyPrincipal(key_id=key.id, company_id=key.company_id, scopes=tuple(key.scopes),
                             created_by_user_id=key.created_by_user_id)
    # flask-jwt-extended's current_user reads this: routes stay as they are for users and keys alike.
    g._jwt_extended_jwt_user = {"loaded_user": principal}
    g._jwt_extended_jwt = {"sub": principal.actor, "type": "api_key"}
    g.actor = principal.actor
    log.info("api key used", extra={"actor": principal.actor, "company_id": key.company_id,
                                    "method": request.method, "path": request.path})
    return principal


def _count(key_id: int) -> None:
    """One request against the key's own limit (SWM_API_KEY_LIMIT), shared by every process with the same
    rate-limit storage; over it: 429 with Retry-After."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    item = parse(current_app.config["API_KEY_LIMIT"])
    strategy = limiter.limiter
    if strategy.hit(item, "api_key", str(key_id)):
        return
    reset, _remaining = strategy.get_window_stats(item, "api_key", str(key_id))
    retry = max(1, math.ceil(reset - time.time()))
    abort(429, message=f"this API key made more than {current_app.config['API_KEY_LIMIT']}",
          headers={"Retry-After": str(retry)})
