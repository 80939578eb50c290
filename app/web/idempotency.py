"""Idempotency-Key for POSTs: the same key and body replay the first success; another body is refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import current_user
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import UnprocessableEntity

from app.web.errors import http_error
from app.web.extensions import db
from core.db import Base, BigId, UTCDateTime, utcnow
from core.i18n import N_


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _fingerprint() -> str:
    raw = request.get_data()
    try:
        # The same JSON with other spacing or key order is the same body.
        raw = json.dumps(current_app.json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:  # malformed or nested too deep: the view's parsing says so
        pass
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + raw).hexdigest()


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an authenticated POST view (inside login_required, outside the smorest decorators)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return func(*args, **kwargs)
        if not 1 <= len(key) <= 200:
            return http_error(
                UnprocessableEntity, "invalid request",
                {"headers": {"Idempotency-Key": [N_("between 1 and 200 characters")]}},
            )
        fingerprint = _fingerprint()
        owner, key = _owner(key)
        stored = db.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.user_id == owner, IdempotencyRecord.key == key)
        )
        if stored is not None:
            if stored.fingerprint != fingerprint:
                return http_error(
                    UnprocessableEntity, "invalid request",
                    {"headers": {"Idempotency-Key": [N_("already used with a different request")]}},
                )
            return Response(stored.body, status=stored.status_code, mimetype="application/json",
                            headers={"Idempotent-Replayed": "true"})
        response = func(*args, **kwargs)
        if isinstance(response, Response) and 200 <= response.status_code < 300:
            _remember(owner, key, fingerprint, response)
        return response

    return wrapper


def _owner(key: str) -> tuple[int, str]:
    """Whose keys these are: the user's; an API key's are filed under the user who created it, in a space of
    their own ("api_key:<id>:" and the digest of the key, which keeps the stored key within 200 characters)."""
    if getattr(current_user, "is_api_key", False):
        return current_user.created_by_user_id, f"{current_user.actor}:{hashlib.sha256(key.encode()).hexdigest()}"
    return current_user.id, key


def _remember(user_id: int, key: str, fingerprint: str, response: Response) -> None:
    record = IdempotencyRecord(
        user_id=user_id, key=key, fingerprint=fingerprint,
        status_code=response.status_code, body=response.get_data(as_text=True),
    )
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent request with the same key stored its answer first; that one stands.
        db.session.rollback()
