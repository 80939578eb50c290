"""The dispatcher's SQL: every statement built once per dialect, batches passed as one parameter.

Building a statement (and its cache key) anew for each batch costs more than running it on SQLite, so they
are built once. The statements that touch every row of a batch (mark sent, log the attempt) take the batch
as one JSON parameter: one statement per batch whatever its size, no per-row parameter processing, and on
PostgreSQL one round trip instead of psycopg's 500 pipelined statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, cast, func, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core.db import UTCDateTime
from core.models import User
from notifications.models import Device, Notification, OutboxMessage

_outbox = OutboxMessage.__table__
_devices = Device.__table__


def _rows_from_json(dialect: str, columns: list[tuple[str, str]]) -> str:
    """A derived table of the JSON array-of-arrays parameter :rows, one column per (name, SQL type)."""
    if dialect == "postgresql":
        picked = ", ".join(f"CAST(e->>{i} AS {kind}) AS {name}" for i, (name, kind) in enumerate(columns))
        return f"(SELECT {picked} FROM json_array_elements(CAST(:rows AS json)) AS e)"
    picked = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, (name, _) in enumerate(columns))
    return f"(SELECT {picked} FROM json_each(:rows))"


@dataclass(frozen=True)
class OutboxSql:
    dialect: str
    due: Any  # the claim: due rows with what sending needs
    lease: Any
    cancel: Any
    sent: Any
    attempts: Any
    retry: Any
    dead: Any
    dead_token: Any
    pause: Any
    lock_devices: Any
    retire_devices: Any
    cancel_for_devices: Any

    def ids(self, ids: list[int]) -> Any:
        """The value for an `:ids` parameter: PostgreSQL gets an array literal (cheaper than adapting a list)."""
        return "{" + ",".join(map(str, ids)) + "}" if self.dialect == "postgresql" else ids

    @staticmethod
    def rows(rows: list[list[Any]]) -> str:
        return json.dumps(rows, separators=(",", ":"))


def for_session(session: Session) -> OutboxSql:
    return outbox_sql(session.get_bind().dialect.name)


@cache
def outbox_sql(dialect: str) -> OutboxSql:
    out = _outbox.c
    pg = dialect == "postgresql"

    def among(column: Any) -> Any:
        if pg:
            # One array parameter whatever the count (one statement text, parsed once). `IN (SELECT unnest)`,
            # not `= ANY(CAST(...))`: the planner joins on the key, where ANY over a cast parameter is
            # tested row by row against every element (500 × the table).
            ids = func.unnest(cast(bindparam("ids", type_=String()), postgresql.ARRAY(BigInteger())))
            return column.in_(select(ids).scalar_subquery())
        return column.in_(bindparam("ids", expanding=True))

    def at(name: str) -> Any:
        return bindparam(name, type_=UTCDateTime())

    due = (
        # Labelled with the names of the dispatcher's Claimed fields, which it is built from by name.
        select(out.id.label("outbox_id"), out.notification_id, Notification.public_id, out.device_id, Device.token,
               Device.platform, Notification.title, Notification.body, Notification.data, Notification.urgent,
               out.attempts, out.digest_count, User.locale, out.created_at.label("queued_at"),
               Device.active.label("device_active"))
        .join(Notification, Notification.id == out.notification_id)
        .join(Device, Device.id == out.device_id)
        .join(User, User.id == Notification.user_id)
        # `since`: no row older is still worth sending; on PostgreSQL it keeps the claim to the outbox's last
        # few daily partitions instead of every one kept for the delivery log (docs/partitions.md).
        .where(out.state == "pending", out.next_attempt_at <= at("now"), out.created_at >= at("since"),
               or_(out.leased_until.is_(None), out.leased_until < at("now")))
        .order_by(out.next_attempt_at)
        .limit(bindparam("limit"))
        # PostgreSQL: rows another worker is claiming right now are skipped, not waited for (SQLite: no-op).
        .with_for_update(skip_locked=True, of=_outbox)
    )
    # FCM accepted these: sent, even if the lease ran out meanwhile (the state guards a cancellation).
    sent = text(
        "UPDATE outbox SET state = 'sent', sent_at = :now, fcm_message_id = v.message_id, leased_until = NULL, "
        "attempts = outbox.attempts + 1, last_error = NULL FROM "
        + _rows_from_json(dialect, [("id", "bigint"), ("message_id", "text")])
        # SQLite: `+` keeps its planner from walking all pending rows by the state index, row by row through
        # the batch, instead of looking up each row of the batch by its id.
        + " AS v WHERE outbox.id = v.id AND outbox.created_at >= :since AND "
        + ("outbox.state" if pg else "+outbox.state") + " = 'pending'"
    ).bindparams(at("now"), at("since"))
    # Joined with outbox: a row deleted meanwhile (its user deleted, cascading) gets no attempt row. On
    # PostgreSQL FOR KEY SHARE also keeps the others from being deleted before the foreign-key check.
    attempts = text(
        "INSERT INTO delivery_attempts (outbox_id, attempted_at, outcome, error_code, fcm_message_id) "
        "SELECT v.id, :at, v.outcome, v.code, v.message_id FROM "
        + _rows_from_json(dialect, [("id", "bigint"), ("outcome", "text"), ("code", "text"), ("message_id", "text")])
        + " AS v JOIN outbox ON outbox.id = v.id AND outbox.created_at >= :since"
        + (" FOR KEY SHARE OF outbox" if pg else "")
    ).bindparams(at("at"), at("since"))
    # The other outcomes count only while the lease is still this claim's: once it ran out, another worker
    # may have claimed the row again, and its word is the newer one. (Few rows: executemany.)
    # With the row's created_at (its partition key): one partition looked at, not all.
    owned = _outbox.update().where(out.id == bindparam("b_id"), out.created_at == at("b_queued"),
                                   out.state == "pending", out.leased_until == at("b_lease"))
    done = {"attempts": out.attempts + 1, "leased_until": None}
    devices = _devices.c
    # Rows of retired devices still waiting, except those another worker holds (leased, or being locked right
    # now): it records them itself, and the claim cancels whatever is left for an inactive device.
    waiting = (
        select(out.id)
        .where(among(out.device_id), out.state.in_(("pending", "held")), out.created_at >= at("since"),
               or_(out.leased_until.is_(None), out.leased_until < at("now")))
        .order_by(out.id)
        .with_for_update(skip_locked=True)
    )
    return OutboxSql(
        dialect=dialect,
        due=due,
        lease=_outbox.update().where(among(out.id), out.created_at >= at("since")).values(leased_until=at("lease")),
        cancel=_outbox.update().where(among(out.id), out.created_at >= at("since"))
        .values(state="cancelled", leased_until=None,
                                                             last_error=bindparam("reason")),
        sent=sent,
        attempts=attempts,
        retry=owned.values(next_attempt_at=at("b_next"), last_error=bindparam("b_error"), **done),
        dead=owned.values(state="dead", last_error=bindparam("b_error"), **done),
        dead_token=owned.values(state="cancelled", last_error=bindparam("b_error"), **done),
        # FCM failed as a whole (the breaker paused): due again when the pause ends, not the row's own failure.
        pause=owned.values(next_attempt_at=at("b_next"), last_error=bindparam("b_error"), leased_until=None),
        # In id order, so that workers retiring the same devices queue instead of deadlocking. NO KEY UPDATE:
        # what `active = false` needs, and it does not conflict with fan-outs referencing the devices.
        lock_devices=select(devices.id).where(among(devices.id)).order_by(devices.id)
        .with_for_update(key_share=True),
        retire_devices=_devices.update().where(among(devices.id), devices.active.is_(True)).values(active=False),
        cancel_for_devices=_outbox.update().where(out.id.in_(waiting.scalar_subquery()))
        .values(state="cancelled", leased_until=None, last_error="device token is dead"),
    )
