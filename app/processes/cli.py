"""The `swm` command: every flask command (run, routes, openapi) plus database, seed and spec commands."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from app import config as app_config
from app import create_app
from app.logs import configure_logging
from app.processes import i18n as i18n_build
from app.processes import migrate
from app.processes.dispatch_worker import run_dispatcher
from app.processes.scheduler import run_scheduler
from app.processes.seed import seed_demo, seed_history, seed_port_charges
from app.processes.webhook_worker import run_webhooks
from app.web.errors import current_api
from app.web.extensions import db
from notifications.dispatcher import retry_dead
from status_tracker.quarantine import rejected_receipts

SPEC_PATH = Path(__file__).resolve().parents[2] / "api_spec" / "openapi.json"


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """Single Window Mobile: clearance status tracking and push notifications."""
    configure_logging()


@main.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduler: one poll job per agency (a second one waits as standby).

    Exits 0 when stopped (SIGTERM, Ctrl-C), 1 when it gave up (a supervisor should start it again)."""
    status = run_scheduler(dict(current_app.config))
    # Jobs abandoned on a slow agency may still run in daemon threads: end the process here rather than through
    # interpreter teardown, which takes a while of its own and could meet such a thread waking up.
    logging.shutdown()
    os._exit(status)


@main.command("dispatcher", with_appcontext=False)
def dispatcher() -> None:
    """Send due pushes from the outbox to FCM (any number on PostgreSQL; one on SQLite)."""
    # Configuration straight from the environment: a dispatcher needs no web app, so a restarted one does
    # not wait for create_app() to build every API route before it sends again.
    config = app_config.from_environment()
    app_config.validate(config)
    run_dispatcher(config)
    # Everything sent is recorded; the sender's idle pool threads would hold interpreter teardown for seconds.
    logging.shutdown()
    os._exit(0)


@main.command("webhooks", with_appcontext=False)
def webhooks_worker() -> None:
    """Send due webhook deliveries to companies' endpoints (any number on PostgreSQL; one on SQLite)."""
    config = app_config.from_environment()
    app_config.validate(config)
    run_webhooks(config)


@main.group("outbox")
def outbox_group() -> None:
    """The push outbox."""


def _iso_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2026-05-01T08:00:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@outbox_group.command("retry-dead")
@click.option("--since", callback=_iso_time, metavar="ISO-TIME",
              help="Only dead letters last tried at or after this time (UTC unless it names an offset).")
@with_appcontext
def outbox_retry_dead(since: datetime | None) -> None:
    """Send dead letters again after an incident: each is queued anew (due now, a fresh retry horizon)."""
    count = retry_dead(db.session, since=since)
    db.session.commit()
    click.echo(f"re-queued {count} dead letter{'' if count == 1 else 's'}")


@main.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)


@db_group.command("downgrade")
@click.argument("revision", default="base")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: empty)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@main.command("seed")
@with_appcontext
def seed() -> None:
    """Create the demo companies, users and items, a history of finished items and three ports' charge
    catalogues (safe to run twice)."""
    logins = seed_demo(db.session) + seed_port_charges(db.session)
    seed_history(db.session)
    db.session.commit()
    click.echo("Demo logins (phone / password):")
    for phone, password, who in logins:
        click.echo(f"  {phone} / {password}  {who}")


@main.group("receipts")
def receipts_group() -> None:
    """Agency receipts the tracker could not take."""


@receipts_group.command("rejected")
@click.option("--agency", help="Only this agency's (gacc, mofcom, ...).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--raw", "show_raw", is_flag=True, help="Show each receipt's text as the agency sent it.")
@with_appcontext
def receipts_rejected(agency: str | None, limit: int, show_raw: bool) -> None:
    """List quarantined receipts, most recently seen first: the feed moved on past them, a person decides."""
    rows = rejected_receipts(db.session, agency=agency, limit=limit)
    if not rows:
        click.echo("no rejected receipts")
    for row in rows:
        item = f"item {row.item_id}" if row.item_id else "no tracked item"
        click.echo(f"{row.last_seen_at:%Y-%m-%d %H:%M:%S}Z  {row.agency}  {row.reference or '-'}  ({item}, "
                   f"seen {row.times_seen}×)  {row.reason}")
        if show_raw:
            click.echo(f"    {row.raw}")


def spec_text() -> str:
    return json.dumps(current_api().spec.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@main.command("spec")
@click.option("--check", is_flag=True, help="Fail if the committed document differs from the code.")
@with_appcontext
def spec(check: bool) -> None:
    """Write the OpenAPI document to api_spec/openapi.json."""
    text = spec_text()
    if check:
        if not SPEC_PATH.exists() or SPEC_PATH.read_text(encoding="utf-8") != text:
            raise click.ClickException("api_spec/openapi.json differs from the code: run `make spec`")
        click.echo("api_spec/openapi.json matches the code")
        return
    SPEC_PATH.write_text(text, encoding="utf-8")
    click.echo(f"wrote {SPEC_PATH}")


@main.command("i18n", with_appcontext=False)
@click.option("--check", is_flag=True, help="Fail if a text lacks a translation or a .mo is not its .po compiled.")
def i18n(check: bool) -> None:
    """Extract every text a user can read into core/translations/*/messages.po and compile messages.mo."""
    problems = i18n_build.check() if check else i18n_build.update()
    if problems:
        raise click.ClickException("translations missing or stale:\n" + "\n".join(problems))
    click.echo("the message catalogues are complete and compiled")


if __name__ == "__main__":
    main()
