"""Configuration from environment variables only (SWM_*), with defaults fit for the embedded demo."""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from notifications.messages import TTL_SECONDS

DEFAULT_SQLITE = f"sqlite:///{Path('var/swm.sqlite3').resolve()}"
# Only good enough for the demo and tests; production must bring its own (checked in create_app).
DEV_SECRET = "dev-only-secret-key-change-me-in-production-0123456789"
# Exactly these: a misspelt "prod" must not quietly run as development with the demo secret.
ENVIRONMENTS = ("development", "test", "production")
MIN_METRICS_TOKEN = 16


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() in {"1", "true", "yes", "on"}


def _threshold(raw: str) -> int | None:
    """psycopg's prepare_threshold: a count, or "off" (never prepare: a pgbouncer older than 1.21)."""
    if raw.strip().lower() in {"off", "none", ""}:
        return None
    value = int(raw)
    if value < 0:
        raise RuntimeError("SWM_DB_PREPARE_THRESHOLD must be 0 or more, or off")
    return value


def from_environment() -> dict[str, Any]:
    env = os.environ.get("SWM_ENV", "development")
    return {
        "SWM_ENV": env,
        "DATABASE_URL": os.environ.get("SWM_DATABASE_URL", DEFAULT_SQLITE),
        # The scheduler's leader lock is a session-level advisory lock on a connection of its own: behind a pooler
        # in transaction mode (pgbouncer) it needs a URL that reaches PostgreSQL directly. Empty: DATABASE_URL.
        "LEADER_DATABASE_URL": os.environ.get("SWM_LEADER_DATABASE_URL", ""),
        # The web app's connections (docs/read-path.md): a ping before each use (off: a broken connection fails
        # one request with 503 and the pool is renewed), their age limit, and when psycopg prepares a statement.
        "DB_PRE_PING": _bool("SWM_DB_PRE_PING", False),
        "DB_POOL_RECYCLE": int(os.environ.get("SWM_DB_POOL_RECYCLE_SECONDS", "600")),
        "DB_PREPARE_THRESHOLD": _threshold(os.environ.get("SWM_DB_PREPARE_THRESHOLD", "5")),
        # A read may rely on a token's session having been found open this recently in the same process
        # (app/web/auth/checked.py); 0: every request looks it up.
        "TOKEN_CHECK_SECONDS": float(os.environ.get("SWM_TOKEN_CHECK_SECONDS", "1")),
        "JWT_SECRET_KEY": os.environ.get("SWM_SECRET_KEY", DEV_SECRET),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=int(os.environ.get("SWM_ACCESS_TOKEN_MINUTES", "15"))),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=int(os.environ.get("SWM_REFRESH_TOKEN_DAYS", "30"))),
        "RATELIMIT_STORAGE_URI": os.environ.get("SWM_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("SWM_RATELIMIT_ENABLED", True),
        "LOGIN_LIMIT_PER_PHONE": os.environ.get("SWM_LOGIN_LIMIT_PER_PHONE", "5 per minute"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("SWM_LOGIN_LIMIT_PER_IP", "30 per minute"),
        # Addresses or networks of the load balancers in front of the API, comma-separated; only their
        # X-Forwarded-For / X-Forwarded-Proto are believed (app/web/proxies.py).
        "TRUSTED_PROXIES": os.environ.get("SWM_TRUSTED_PROXIES", ""),
        # Bearer token Prometheus sends for /metrics; without it production does not serve /metrics at all.
        "METRICS_TOKEN": os.environ.get("SWM_METRICS_TOKEN", ""),
        # Request bodies beyond this are refused with 413 before they are read (Flask's MAX_CONTENT_LENGTH).
        "MAX_CONTENT_LENGTH": int(os.environ.get("SWM_MAX_BODY_BYTES", str(1024 * 1024))),
        # Web origins allowed to call the API from a browser (the phone web app), comma-separated.
        "CORS_ORIGINS": [o.strip() for o in os.environ.get("SWM_CORS_ORIGINS", "").split(",") if o.strip()],
        # Expected completion times reuse clearance-time statistics computed at most this long ago.
        "STATS_CACHE_SECONDS": float(os.environ.get("SWM_STATS_CACHE_SECONDS", "300")),
        # A clearance-time figure is published only when it aggregates this many items from this many companies.
        "STATS_MIN_ITEMS": int(os.environ.get("SWM_STATS_MIN_ITEMS", "5")),
        "STATS_MIN_COMPANIES": int(os.environ.get("SWM_STATS_MIN_COMPANIES", "3")),
        # The scheduler process
        "AGENCY_URL": os.environ.get("SWM_AGENCY_URL", "http://127.0.0.1:8101"),
        "AGENCY_TIMEOUT": float(os.environ.get("SWM_AGENCY_TIMEOUT", "10")),  # per request, connect to last byte
        "AGENCY_MAX_BYTES": int(os.environ.get("SWM_AGENCY_MAX_BYTES", str(8 * 2**20))),  # larger answers refused
        "POLL_SECONDS": float(os.environ.get("SWM_POLL_SECONDS", "5")),
        # How often the scheduler looks for items past their stage's usual time (docs/late-alerts.md).
        "LATE_ALERT_SECONDS": float(os.environ.get("SWM_LATE_ALERT_SECONDS", "300")),
        "POLL_MIN_INTERVAL": int(os.environ.get("SWM_POLL_MIN_INTERVAL", "60")),
        "POLL_MAX_INTERVAL": int(os.environ.get("SWM_POLL_MAX_INTERVAL", str(6 * 3600))),
        "WORKER_METRICS_PORT": int(os.environ.get("SWM_WORKER_METRICS_PORT", "0")),
        # How often a leader confirms its lock (and stops polling when it cannot), and a standby tries to take it.
        "LEADER_CHECK_SECONDS": float(os.environ.get("SWM_LEADER_CHECK_SECONDS", "1")),
        # Exit with a failure once the database has been unreachable this long (0: keep trying for ever).
        "SCHEDULER_GIVE_UP_SECONDS": float(os.environ.get("SWM_SCHEDULER_GIVE_UP_SECONDS", "300")),
        # On stop or step-down, jobs in flight get this long to finish; then they are abandoned.
        "SCHEDULER_STOP_GRACE_SECONDS": float(os.environ.get("SWM_SCHEDULER_STOP_GRACE_SECONDS", "3")),
        # The push dispatcher (`swm dispatcher`)
        "FCM_SERVICE_ACCOUNT": os.environ.get("SWM_FCM_SERVICE_ACCOUNT", ""),  # path to the service-account JSON
        "FCM_ENDPOINT": os.environ.get("SWM_FCM_ENDPOINT", ""),  # a mock base URL; never in production
        "DISPATCH_BATCH": int(os.environ.get("SWM_DISPATCH_BATCH", "500")),
        "DISPATCH_LEASE_SECONDS": float(os.environ.get("SWM_DISPATCH_LEASE_SECONDS", "60")),
        # Transient FCM failures are retried until a push is this many hours old (at most its TTL, 7 days).
        "PUSH_RETRY_HOURS": float(os.environ.get("SWM_PUSH_RETRY_HOURS", "24")),
        # Send pushes from the scheduler process too (a small installation); otherwise run `swm dispatcher`.
        "DISPATCH_IN_SCHEDULER": _bool("SWM_DISPATCH_IN_SCHEDULER", False),
        "DISPATCH_METRICS_PORT": int(os.environ.get("SWM_DISPATCH_METRICS_PORT", "0")),
        # History retention, in days (docs/partitions.md): status events by their item's creation (a year and a
        # month: last year's same month stays comparable), notifications with their pushes and delivery log (the
        # desk answers "I never got it" for half a year), the desk's audit log (three years).
        "RETENTION_EVENTS_DAYS": int(os.environ.get("SWM_RETENTION_EVENTS_DAYS", "400")),
        "RETENTION_PUSHES_DAYS": int(os.environ.get("SWM_RETENTION_PUSHES_DAYS", "180")),
        "RETENTION_AUDIT_DAYS": int(os.environ.get("SWM_RETENTION_AUDIT_DAYS", "1095")),
        # PostgreSQL: how far ahead housekeeping creates the history tables' partitions (a scheduler outage
        # shorter than this never sends rows to the default partitions).
        "PARTITIONS_AHEAD_DAYS": int(os.environ.get("SWM_PARTITIONS_AHEAD_DAYS", "7")),
        # Companies' systems: API keys and webhooks (docs/enterprise-api.md)
        "API_KEY_LIMIT": os.environ.get("SWM_API_KEY_LIMIT", "600 per minute"),
        # Loopback, link-local and private webhook addresses: refused in production (SSRF), allowed elsewhere.
        # Unset (None): decided by SWM_ENV when read (webhook_allow_private), so an SWM_ENV given later counts.
        "WEBHOOK_ALLOW_PRIVATE": (None if os.environ.get("SWM_WEBHOOK_ALLOW_PRIVATE") is None
                                  else _bool("SWM_WEBHOOK_ALLOW_PRIVATE", False)),
        "WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("SWM_WEBHOOK_TIMEOUT_SECONDS", "10")),
        "WEBHOOK_MAX_RESPONSE_BYTES": int(os.environ.get("SWM_WEBHOOK_MAX_RESPONSE_BYTES", "4096")),
        "WEBHOOK_RETRY_HOURS": float(os.environ.get("SWM_WEBHOOK_RETRY_HOURS", "72")),
        "WEBHOOK_DISABLE_AFTER_HOURS": float(os.environ.get("SWM_WEBHOOK_DISABLE_AFTER_HOURS", "24")),
        "WEBHOOK_BATCH": int(os.environ.get("SWM_WEBHOOK_BATCH", "200")),
        "WEBHOOK_CONCURRENCY": int(os.environ.get("SWM_WEBHOOK_CONCURRENCY", "16")),
        "WEBHOOKS_IN_SCHEDULER": _bool("SWM_WEBHOOKS_IN_SCHEDULER", False),
        # The event feed (GET /events) keeps this many days (at least 30).
        "EVENT_RETENTION_DAYS": int(os.environ.get("SWM_EVENT_RETENTION_DAYS", "35")),
    }


def webhook_allow_private(config: dict[str, Any]) -> bool:
    """Whether webhooks may go to loopback, link-local and private addresses: as set, else only outside production."""
    setting = config.get("WEBHOOK_ALLOW_PRIVATE")
    return config.get("SWM_ENV") != "production" if setting is None else bool(setting)


def trusted_networks(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise RuntimeError(f"SWM_TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
    return networks


def validate(config: dict[str, Any]) -> None:
    """Refuse settings that are fine for a demo but dangerous in production."""
    if config["SWM_ENV"] not in ENVIRONMENTS:
        raise RuntimeError(f"SWM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {config['SWM_ENV']!r}")
    trusted_networks(config.get("TRUSTED_PROXIES", ""))
    if config["SWM_ENV"] == "production":
        if config["JWT_SECRET_KEY"] == DEV_SECRET or len(config["JWT_SECRET_KEY"]) < 32:
            raise RuntimeError("SWM_SECRET_KEY must be set to a secret of at least 32 characters in production")
        if config["DATABASE_URL"].startswith("sqlite"):
            raise RuntimeError("production runs on PostgreSQL: set SWM_DATABASE_URL")
        if config.get("FCM_ENDPOINT"):
            raise RuntimeError("SWM_FCM_ENDPOINT redirects pushes away from FCM: not allowed in production")
        if config.get("METRICS_TOKEN") and len(config["METRICS_TOKEN"]) < MIN_METRICS_TOKEN:
            raise RuntimeError(f"SWM_METRICS_TOKEN must have at least {MIN_METRICS_TOKEN} characters in production")
    leader_url = config.get("LEADER_DATABASE_URL", "")
    if leader_url and not (leader_url.startswith("postgresql") and config["DATABASE_URL"].startswith("postgresql")):
        raise RuntimeError("SWM_LEADER_DATABASE_URL is for PostgreSQL: set it only when SWM_DATABASE_URL is "
                           "PostgreSQL too (reached through a pooler), to the same database reached directly")
    for name in ("STATS_MIN_ITEMS", "STATS_MIN_COMPANIES"):
        if config.get(name, 1) < 1:
            raise RuntimeError(f"SWM_{name} must be at least 1")
    if not 1 <= config.get("DISPATCH_BATCH", 500) <= 500:
        raise RuntimeError("SWM_DISPATCH_BATCH must be between 1 and 500 (FCM's send_each limit)")
    if config.get("LEADER_CHECK_SECONDS", 1) <= 0:
        raise RuntimeError("SWM_LEADER_CHECK_SECONDS must be positive")
    if config.get("SCHEDULER_GIVE_UP_SECONDS", 0) < 0 or config.get("SCHEDULER_STOP_GRACE_SECONDS", 0) < 0:
        raise RuntimeError("SWM_SCHEDULER_GIVE_UP_SECONDS and SWM_SCHEDULER_STOP_GRACE_SECONDS must not be negative")
    if not 0 < config.get("PUSH_RETRY_HOURS", 24) <= TTL_SECONDS / 3600:
        raise RuntimeError(f"SWM_PUSH_RETRY_HOURS must be more than 0 and at most {TTL_SECONDS // 3600} "
                           "(the time to live of a push: FCM drops it after that anyway)")
    for name in ("RETENTION_EVENTS_DAYS", "RETENTION_PUSHES_DAYS", "RETENTION_AUDIT_DAYS", "PARTITIONS_AHEAD_DAYS"):
        if config.get(name, 1) < 1:
            raise RuntimeError(f"SWM_{name} must be at least 1")
    if config.get("RETENTION_PUSHES_DAYS", 180) * 24 < 2 * config.get("PUSH_RETRY_HOURS", 24):
        # A push still being retried must not lose its partition under it.
        raise RuntimeError("SWM_RETENTION_PUSHES_DAYS must cover at least twice SWM_PUSH_RETRY_HOURS")
    if config.get("SWM_ENV") == "production" and config.get("WEBHOOK_ALLOW_PRIVATE"):
        raise RuntimeError("SWM_WEBHOOK_ALLOW_PRIVATE lets webhooks reach internal addresses: not in production")
    if config.get("WEBHOOK_RETRY_HOURS", 72) < 24 or config.get("WEBHOOK_DISABLE_AFTER_HOURS", 24) <= 0:
        raise RuntimeError("SWM_WEBHOOK_RETRY_HOURS must be at least 24, SWM_WEBHOOK_DISABLE_AFTER_HOURS positive")
    if config.get("EVENT_RETENTION_DAYS", 35) < 30:
        raise RuntimeError("SWM_EVENT_RETENTION_DAYS must be at least 30")
    if not 1 <= config.get("WEBHOOK_CONCURRENCY", 16) <= 256 or not 1 <= config.get("WEBHOOK_BATCH", 200) <= 1000:
        raise RuntimeError("SWM_WEBHOOK_CONCURRENCY must be 1–256 and SWM_WEBHOOK_BATCH 1–1000")
    if "SWM_DISPATCH_MAX_ATTEMPTS" in os.environ:
        # Retired, not ignored: a count of tries is what dropped pushes in outages; say what replaced it.
        raise RuntimeError("SWM_DISPATCH_MAX_ATTEMPTS is retired: pushes are retried until they are "
                           "SWM_PUSH_RETRY_HOURS old (default 24); unset it")
