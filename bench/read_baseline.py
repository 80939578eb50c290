"""The bare baseline of bench/api_read.py: the phone's read URLs answered by plain Flask and psycopg, with the
same JSON and the same visibility rule (the company must be a party the agency confirms), as lean as honestly
possible: one autocommit connection per worker, one or two statements per request, a trivially checked auth
header ("Bearer bare:<user id>:<company id>"), rows turned into JSON by hand. Labels come from the product's
static tables (status_tracker.kinds / stages), as any service answering the same JSON would need them.

Run by the benchmark as `gunicorn 'bench.read_baseline:create_app()'` with BENCH_BARE_DATABASE_URL set.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import psycopg
from flask import Flask, Response, abort, request

from core.pagination import decode_cursor, encode_cursor
from status_tracker.kinds import KINDS, code_label, kind_name, localized
from status_tracker.stages import stage_label

LANG = "zh-CN"  # the bench users' locale; the API answers in it too
_connection: psycopg.Connection | None = None

ITEM_COLUMNS = ("i.id, i.kind, i.reference, i.shipment_id, i.customs_office, i.current_code, i.stage, i.unknown_code, "
                "i.agency_note, i.agency_updated_at, i.created_at, i.updated_at")
PARTY_COLUMNS = ("p.item_id, p.role, p.uscc, p.customs_code, p.confirmed_at, c.id, c.name, c.uscc, c.customs_code")
PARTIES = (f"SELECT {PARTY_COLUMNS} FROM item_parties p LEFT JOIN companies c ON c.id = p.company_id "
           "WHERE p.item_id = ANY(%s) AND p.source = 'agency' ORDER BY p.id")
VISIBLE = "EXISTS (SELECT 1 FROM item_parties v WHERE v.item_id = i.id AND v.source = 'agency' AND v.company_id = %s)"
PAGE = (f"SELECT {ITEM_COLUMNS} FROM clearance_items i JOIN ("
        "SELECT DISTINCT item_updated_at, item_id FROM item_parties WHERE company_id = %s AND source = 'agency' "
        "{after} ORDER BY item_updated_at DESC, item_id DESC LIMIT %s) AS page ON page.item_id = i.id "
        "ORDER BY page.item_updated_at DESC, page.item_id DESC")
AFTER = "AND item_updated_at <= %s AND (item_updated_at < %s OR (item_updated_at = %s AND item_id < %s))"


def _db() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["BENCH_BARE_DATABASE_URL"], autocommit=True)
    return _connection


def _caller() -> tuple[int, int]:
    try:
        _, user, company = request.headers["Authorization"].removeprefix("Bearer ").split(":")
        return int(user), int(company)
    except (KeyError, ValueError):
        abort(401)


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _json(body: object) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


def _item(row: tuple, parties: list[dict]) -> dict:
    (item_id, kind, reference, shipment_id, office, code, stage, unknown, note, agency_at, created, updated) = row
    return {"id": item_id, "kind": kind, "kind_name": kind_name(kind, LANG), "reference": reference,
            "shipment_id": shipment_id, "customs_office": office, "current_code": code,
            "status_label": code_label(kind, code, LANG), "stage": stage, "stage_label": stage_label(stage, LANG),
            "unknown_code": unknown, "agency_note": note, "agency_updated_at": _time(agency_at),
            "parties": parties, "created_at": _time(created), "updated_at": _time(updated)}


def _party(row: tuple) -> dict:
    _, role, uscc, customs_code, confirmed, company_id, name, c_uscc, c_code = row
    company = {"id": company_id, "name": name, "uscc": c_uscc, "customs_code": c_code} if company_id else None
    return {"role": role, "company": company, "uscc": uscc, "customs_code": customs_code,
            "confirmed_at": _time(confirmed)}


def create_app() -> Flask:
    app = Flask(__name__)
    kinds = {lang: json.dumps([localized(k, lang) for k in KINDS.values()], ensure_ascii=False)
             for lang in ("zh-CN", "en")}

    @app.get("/status-kinds")
    def status_kinds() -> Response:
        return Response(kinds[LANG], mimetype="application/json")

    @app.get("/clearances")
    def clearances() -> Response:
        _, company = _caller()
        limit = int(request.args.get("limit", 20))
        cursor = request.args.get("cursor")
        with _db().cursor() as cur:
            if cursor:
                after_time, after_id = decode_cursor(cursor)
                cur.execute(PAGE.format(after=AFTER),
                            (company, after_time, after_time, after_time, after_id, limit + 1))
            else:
                cur.execute(PAGE.format(after=""), (company, limit + 1))
            rows = cur.fetchall()
            by_item: dict[int, list[dict]] = {row[0]: [] for row in rows}
            if rows:
                cur.execute(PARTIES, (list(by_item),))
                for party in cur.fetchall():
                    by_item[party[0]].append(_party(party))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][11], rows[-1][0]) if more else None
        return _json({"items": [_item(row, by_item[row[0]]) for row in rows], "next_cursor": next_cursor})

    @app.get("/clearances/<int:item_id>")
    def item(item_id: int) -> Response:
        _, company = _caller()
        with _db().cursor() as cur:
            cur.execute(f"SELECT {ITEM_COLUMNS}, {PARTY_COLUMNS} FROM clearance_items i "
                        "LEFT JOIN item_parties p ON p.item_id = i.id AND p.source = 'agency' "
                        f"LEFT JOIN companies c ON c.id = p.company_id WHERE i.id = %s AND {VISIBLE} ORDER BY p.id",
                        (item_id, company))
            rows = cur.fetchall()
        if not rows:
            abort(404)
        return _json(_item(rows[0][:12], [_party(row[12:]) for row in rows if row[13] is not None]))

    @app.get("/clearances/<int:item_id>/timeline")
    def timeline(item_id: int) -> Response:
        _, company = _caller()
        with _db().cursor() as cur:
            cur.execute("SELECT i.kind, e.id, e.native_code, e.stage, e.milestone, e.note, e.agency_time, "
                        "e.received_at FROM clearance_items i LEFT JOIN status_events e ON e.item_id = i.id "
                        f"WHERE i.id = %s AND {VISIBLE} ORDER BY e.sequence, e.id", (item_id, company))
            rows = cur.fetchall()
        if not rows:
            abort(404)
        events = [{"id": e, "native_code": code, "label": code_label(kind, code, LANG), "stage": stage,
                   "stage_label": stage_label(stage, LANG), "milestone": milestone, "note": note,
                   "agency_time": _time(at), "received_at": _time(received)}
                  for kind, e, code, stage, milestone, note, at, received in rows if e is not None]
        return _json({"item_id": item_id, "events": events})

    @app.get("/me/notifications")
    def notifications() -> Response:
        user, _ = _caller()
        limit = int(request.args.get("limit", 50))
        with _db().cursor() as cur:
            cur.execute("SELECT id, public_id, item_id, topic, title, body, urgent, data, created_at, read_at, "
                        "(SELECT count(*) FROM notifications WHERE user_id = %s AND read_at IS NULL) "
                        "FROM notifications WHERE user_id = %s ORDER BY id DESC LIMIT %s", (user, user, limit))
            rows = cur.fetchall()
            unread = rows[0][10] if rows else cur.execute(
                "SELECT count(*) FROM notifications WHERE user_id = %s AND read_at IS NULL", (user,)).fetchone()[0]
        return _json({"items": [{"id": i, "notification_id": p, "item_id": item_id, "topic": topic, "title": t,
                                 "body": b, "urgent": u, "data": d, "created_at": _time(c), "read_at": _time(r)}
                                for i, p, item_id, topic, t, b, u, d, c, r, _ in rows], "unread": unread})

    return app
