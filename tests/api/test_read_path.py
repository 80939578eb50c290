"""The phone's read path: how many SQL statements each read costs (an N+1 regression fails here), conditional
GETs (ETag, 304), and that fewer lookups per request still refuse an ended session or a disabled user at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from app.web.auth import checked
from app.web.extensions import db
from core.models import Company
from status_tracker.apply import StatusUpdate, apply_update
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem
from tests.conftest import agency_confirms

CUSTOMS = KINDS["customs_declaration"]


@contextmanager
def counted(app) -> Iterator[list[str]]:
    """The statements the web app's engine sends while inside."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _items(world, app, headers, company_id: int, n: int) -> list[int]:
    """n items the company is a confirmed party to, each with two receipts and a second party."""
    other = world.company("另一方")
    ids = []
    with app.app_context():
        company = db.session.get(Company, company_id)
        for i in range(n):
            item = ClearanceItem(kind="customs_declaration", reference=f"3101202410{i:08d}")
            db.session.add(item)
            db.session.flush()
            agency_confirms(db.session, item.id, ("declarant", company), ("consignee", other))
            for seq, code in ((1, "1"), (2, "2")):
                apply_update(db.session, item.id, StatusUpdate(
                    agency_event_id=f"e{i}-{seq}", sequence=seq, code=code, note=None,
                    agency_time=item.created_at))
            ids.append(item.id)
        db.session.commit()
    return ids


# Statements per request, whatever the page size: the token's session and user in one, then the answer's own.
EXPECTED = {
    "/clearances?limit=20": 3,  # token; the page; its parties (with their companies)
    "/clearances?limit=2&cursor={cursor}": 3,
    "/clearances/{id}": 2,  # token; the item with its parties
    "/clearances/{id}/timeline": 3,  # token; the item (visibility); its events
    "/me/notifications?limit=20": 3,  # token; the page; the unread count
    "/status-kinds": 0,  # static: no token, no database
}


@pytest.mark.parametrize("url", list(EXPECTED))
def test_each_read_costs_a_fixed_number_of_statements(world, client, app, url, monkeypatch):
    monkeypatch.setitem(app.config, "TOKEN_CHECK_SECONDS", 0)  # every request looks its token's session up
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 6)
    cursor = client.get("/clearances?limit=2", headers=headers).json["next_cursor"]
    target = url.format(id=ids[0], cursor=cursor)
    with counted(app) as statements:
        response = client.get(target, headers=headers)
    assert response.status_code == 200, response.json
    assert len(statements) == EXPECTED[url], statements


@pytest.mark.parametrize("path", ["/clearances?limit=20", "/clearances/{id}", "/clearances/{id}/timeline"])
def test_a_personal_read_answers_an_etag_and_304_when_nothing_changed(world, client, app, path):
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 3)
    url = path.format(id=ids[0])
    first = client.get(url, headers=headers)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first.headers["Vary"]
    again = client.get(url, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    # Another language is another answer (the labels); the test client asks for English by default.
    chinese = client.get(url, headers={**headers, "If-None-Match": tag, "Accept-Language": "zh-CN"})
    assert chinese.status_code == 200 and chinese.headers["ETag"] != tag
    # The item moves: the old tag no longer matches.
    with app.app_context():
        apply_update(db.session, ids[0], StatusUpdate(agency_event_id="later", sequence=9, code="3", note="n",
                                                      agency_time=first.headers and _now()))
        db.session.commit()
    moved = client.get(url, headers={**headers, "If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["ETag"] != tag


def _now():  # type: ignore[no-untyped-def]
    from core.db import utcnow
    return utcnow()


def test_a_304_serializes_nothing(world, client, app, monkeypatch):
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 1)
    tag = client.get(f"/clearances/{ids[0]}", headers=headers).headers["ETag"]
    from app.web.api.clearances import schemas

    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("serialized on a 304")

    monkeypatch.setattr(schemas.ItemSchema, "dump", refuse)
    assert client.get(f"/clearances/{ids[0]}", headers={**headers, "If-None-Match": tag}).status_code == 304


def test_a_party_change_changes_the_items_etag(world, client, app):
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 1)
    tag = client.get(f"/clearances/{ids[0]}", headers=headers).headers["ETag"]
    third = world.company("第三方")
    with app.app_context():
        agency_confirms(db.session, ids[0], ("declarant", db.session.get(Company, user.company_id)),
                        ("agent", third))
        db.session.commit()
    assert client.get(f"/clearances/{ids[0]}", headers={**headers, "If-None-Match": tag}).status_code == 200


def test_status_kinds_are_public_cached_and_the_same_json_as_the_schema(client):
    from app.web.api.status_kinds.schemas import KindSchema
    from status_tracker.kinds import KINDS as ALL
    from status_tracker.kinds import localized

    for lang in ("zh-CN", "en"):
        first = client.get("/status-kinds", headers={"Accept-Language": lang})
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "public, max-age=3600"
        assert first.headers["Vary"] == "Accept-Language"
        assert first.json == KindSchema(many=True).dump([localized(k, lang) for k in ALL.values()])
        again = client.get("/status-kinds", headers={"Accept-Language": lang, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
    assert (client.get("/status-kinds", headers={"Accept-Language": "en"}).headers["ETag"]
            != client.get("/status-kinds", headers={"Accept-Language": "zh-CN"}).headers["ETag"])


def test_an_ended_session_or_a_disabled_user_is_refused_at_the_next_read(world, client, app, monkeypatch):
    from core.models import User

    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 1)
    url = f"/clearances/{ids[0]}"
    tag = client.get(url, headers=headers).headers["ETag"]
    assert client.post("/auth/logout", headers=headers).status_code in (200, 204)
    assert client.get(url, headers=headers).status_code == 401
    assert client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 401  # no 304 either
    _, other = world.trader(db_company(app, user.company_id))
    assert client.get(url, headers=other).status_code == 200
    with app.app_context():
        for row in db.session.scalars(select(User).where(User.company_id == user.company_id)):
            row.active = False  # behind the API's back: no session is ended
        db.session.commit()
    # A write looks the session up at once; a read may rely on the lookup of the last second (at most).
    assert client.post("/me/notifications/read-all", headers=other).status_code == 401
    later = checked.time.monotonic() + app.config["TOKEN_CHECK_SECONDS"]
    monkeypatch.setattr(checked.time, "monotonic", lambda: later)
    assert client.get(url, headers=other).status_code == 401
    assert client.get("/me/notifications", headers=other).status_code == 401


def test_a_repeated_read_within_the_second_skips_the_session_lookup_but_not_after_logout(world, client, app):
    assert app.config["TOKEN_CHECK_SECONDS"] == 1
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 1)
    url = f"/clearances/{ids[0]}"
    assert client.get(url, headers=headers).status_code == 200
    with counted(app) as statements:
        assert client.get(url, headers=headers).status_code == 200
    assert len(statements) == 1  # the item only
    assert client.post("/auth/logout", headers=headers).status_code in (200, 204)
    assert client.get(url, headers=headers).status_code == 401  # this process forgot the session at once


def db_company(app, company_id: int) -> Company:
    with app.app_context():
        return db.session.get(Company, company_id)


def test_a_company_in_two_roles_sees_each_item_once_in_update_order(world, client, app):
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 4)
    with app.app_context():
        company = db.session.get(Company, user.company_id)
        agency_confirms(db.session, ids[1], ("declarant", company), ("consignee", company))
        # The oldest item moves: it comes first.
        apply_update(db.session, ids[0], StatusUpdate(agency_event_id="x", sequence=5, code="3", note=None,
                                                      agency_time=_now()))
        db.session.commit()
    seen, cursor = [], None
    while True:
        page = client.get("/clearances?limit=1" + (f"&cursor={cursor}" if cursor else ""), headers=headers).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[0] == ids[0] and sorted(seen) == sorted(ids) and len(seen) == 4
    everything = client.get("/clearances?limit=20", headers=headers).json["items"]
    assert [i["id"] for i in everything] == seen
    assert [i["updated_at"] for i in everything] == sorted((i["updated_at"] for i in everything), reverse=True)


def test_reads_run_without_a_transaction_on_postgresql(world, client, app):
    """No BEGIN/ROLLBACK per read (and psycopg keeps its prepared statements); writes keep their transaction."""
    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 1)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        assert db.engine.pool._pre_ping is False  # type: ignore[attr-defined]
    modes: list[bool] = []

    def record(conn, _cursor, *_args):  # type: ignore[no-untyped-def]
        modes.append(conn.connection.dbapi_connection.autocommit)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/clearances/{ids[0]}", headers=headers).status_code == 200
        assert modes and all(modes)
        modes.clear()
        assert client.post("/me/notifications/read-all", headers=headers).status_code == 200
        assert modes and not any(modes)
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_compiled_dumpers_give_exactly_what_the_schemas_give(world, client, app):
    """The read path dumps through serializers compiled from the schemas (app/web/api/dumping.py): same output,
    for items with and without status, notes, companies, events and notifications."""
    import marshmallow as ma

    from app.web.api.clearances.schemas import ItemPageSchema, ItemSchema, TimelineSchema
    from app.web.api.notifications.schemas import InboxSchema
    from notifications.models import Notification
    from status_tracker.clearances import ItemFilter, get_visible_item, list_items, timeline
    from status_tracker.parties import AgencyParty, record_agency_parties

    user, headers = world.trader()
    ids = _items(world, app, headers, user.company_id, 3)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        bare = ClearanceItem(kind="license", reference="LIC202400012345", agency_note="备注 \u00e9")
        db.session.add(bare)
        db.session.flush()
        record_agency_parties(db.session, {bare.id: [
            AgencyParty("declarant", db.session.get(Company, user.company_id).uscc, None),
            AgencyParty("agent", "91310000MA1FL0XX1Y", None)]})  # no company of ours: company null
        db.session.add(Notification(public_id="n1", user_id=user.id, item_id=ids[0], event_id=1, title="t", body="b",
                                    data={"a": "1"}, urgent=True))
        db.session.flush()
        db.session.expire_all()
        items, cursor = list_items(db.session, user.company_id, ItemFilter(), limit=2)
        page = {"items": items, "next_cursor": cursor}

        def slow(schema: ma.Schema, obj: object) -> object:
            return ma.Schema.dump(schema, obj)  # marshmallow's own, bypassing the compiled one

        assert ItemPageSchema().dump(page) == slow(ItemPageSchema(), page)
        for item_id in [*ids, bare.id]:
            item = get_visible_item(db.session, user.company_id, item_id, with_parties=True)
            assert ItemSchema().dump(item) == slow(ItemSchema(), item)
            events = {"item_id": item.id, "events": timeline(db.session, item)}
            assert TimelineSchema().dump(events) == slow(TimelineSchema(), events)
        inbox = {"items": list(db.session.scalars(select(Notification))), "unread": 1}
        assert InboxSchema().dump(inbox) == slow(InboxSchema(), inbox)
        assert bare.parties and any(p.company is None for p in bare.parties)
        db.session.rollback()
