"""Configuration from environment variables only (SWM_*), with defaults fit for the embedded demo."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_SQLITE = f"sqlite:///{Path('var/swm.sqlite3').resolve()}"
# Only good enough for the demo and tests; production must bring its own (checked in create_app).
DEV_SECRET = "dev-only-secret-key-change-me-in-production-0123456789"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict[str, Any]:
    env = os.environ.get("SWM_ENV", "development")
    return {
        "SWM_ENV": env,
        "DATABASE_URL": os.environ.get("SWM_DATABASE_URL", DEFAULT_SQLITE),
        "JWT_SECRET_KEY": os.environ.get("SWM_SECRET_KEY", DEV_SECRET),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=int(os.environ.get("SWM_ACCESS_TOKEN_MINUTES", "15"))),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=int(os.environ.get("SWM_REFRESH_TOKEN_DAYS", "30"))),
        "RATELIMIT_STORAGE_URI": os.environ.get("SWM_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("SWM_RATELIMIT_ENABLED", True),
        "LOGIN_LIMIT_PER_PHONE": os.environ.get("SWM_LOGIN_LIMIT_PER_PHONE", "5 per minute"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("SWM_LOGIN_LIMIT_PER_IP", "30 per minute"),
        # Request bodies beyond this are refused with 413 before they are read (Flask's MAX_CONTENT_LENGTH).
        "MAX_CONTENT_LENGTH": int(os.environ.get("SWM_MAX_BODY_BYTES", str(1024 * 1024))),
        # Web origins allowed to call the API from a browser (the phone web app), comma-separated.
        "CORS_ORIGINS": [o.strip() for o in os.environ.get("SWM_CORS_ORIGINS", "").split(",") if o.strip()],
        # Expected completion times reuse clearance-time statistics computed at most this long ago.
        "STATS_CACHE_SECONDS": float(os.environ.get("SWM_STATS_CACHE_SECONDS", "300")),
        # The scheduler process
        "AGENCY_URL": os.environ.get("SWM_AGENCY_URL", "http://127.0.0.1:8101"),
        "AGENCY_TIMEOUT": float(os.environ.get("SWM_AGENCY_TIMEOUT", "10")),
        "POLL_SECONDS": float(os.environ.get("SWM_POLL_SECONDS", "5")),
        "POLL_MIN_INTERVAL": int(os.environ.get("SWM_POLL_MIN_INTERVAL", "60")),
        "POLL_MAX_INTERVAL": int(os.environ.get("SWM_POLL_MAX_INTERVAL", str(6 * 3600))),
        "WORKER_METRICS_PORT": int(os.environ.get("SWM_WORKER_METRICS_PORT", "0")),
        # The push dispatcher (`swm dispatcher`)
        "FCM_SERVICE_ACCOUNT": os.environ.get("SWM_FCM_SERVICE_ACCOUNT", ""),  # path to the service-account JSON
        "FCM_ENDPOINT": os.environ.get("SWM_FCM_ENDPOINT", ""),  # a mock base URL; never in production
        "DISPATCH_BATCH": int(os.environ.get("SWM_DISPATCH_BATCH", "500")),
        "DISPATCH_LEASE_SECONDS": float(os.environ.get("SWM_DISPATCH_LEASE_SECONDS", "60")),
        "DISPATCH_MAX_ATTEMPTS": int(os.environ.get("SWM_DISPATCH_MAX_ATTEMPTS", "8")),
        # Send pushes from the scheduler process too (a small installation); otherwise run `swm dispatcher`.
        "DISPATCH_IN_SCHEDULER": _bool("SWM_DISPATCH_IN_SCHEDULER", False),
        "DISPATCH_METRICS_PORT": int(os.environ.get("SWM_DISPATCH_METRICS_PORT", "0")),
    }


def validate(config: dict[str, Any]) -> None:
    """Refuse settings that are fine for a demo but dangerous in production."""
    if config["SWM_ENV"] == "production":
        if config["JWT_SECRET_KEY"] == DEV_SECRET or len(config["JWT_SECRET_KEY"]) < 32:
            raise RuntimeError("SWM_SECRET_KEY must be set to a secret of at least 32 characters in production")
        if config["DATABASE_URL"].startswith("sqlite"):
            raise RuntimeError("production runs on PostgreSQL: set SWM_DATABASE_URL")
        if config.get("FCM_ENDPOINT"):
            raise RuntimeError("SWM_FCM_ENDPOINT redirects pushes away from FCM: not allowed in production")
    if not 1 <= config.get("DISPATCH_BATCH", 500) <= 500:
        raise RuntimeError("SWM_DISPATCH_BATCH must be between 1 and 500 (FCM's send_each limit)")
