"""The customer-service desk API: who gets in, what it finds, what a case shows, and the audit of it all."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.web.extensions import db
from desk.models import AuditEntry, CaseNote
from notifications.fanout import fan_out
from notifications.models import DeliveryAttempt, OutboxMessage
from status_tracker.apply import StatusUpdate, apply_updates
from status_tracker.kinds import KINDS
from status_tracker.models import ClearanceItem, StatusEvent
from tests.api.test_visibility import _operations

CUSTOMS = KINDS["customs_declaration"]
MANIFEST = KINDS["manifest"]
TOKEN = "consignee-phone-token-0123456789abcdef"


def happen(app, item_id, codes, start=1):
    base = datetime.now(UTC) - timedelta(hours=10)
    with app.app_context():
        for n, code in enumerate(codes, start=start):
            update = StatusUpdate(f"desk-{n}", n, code, f"note {code}", base + timedelta(hours=n))
            fan_out(db.session, apply_updates(db.session, [(item_id, update)]).changes)
        db.session.commit()


@pytest.fixture
def case(world, client, app):
    """A declaration declared by one company for a consignee whose user has a phone; two pushes so far."""
    declarant_co, consignee_co = world.company("上海报关行"), world.company("苏州电子")
    declarant, declarant_h = world.trader(declarant_co)
    consignee = world.user(consignee_co)
    consignee_h = world.login(consignee)
    client.post("/devices", json={"token": TOKEN, "platform": "android"}, headers=consignee_h)
    shipment = client.post("/shipments", json={"bill_of_lading": "COSU6345678910", "container_no": "CSQU3054383"},
                           headers=declarant_h).json
    item = world.track(declarant_h, CUSTOMS.key, shipment_id=shipment["id"],
                       parties=[{"role": "consignee", "uscc": consignee_co.uscc}])
    manifest = world.track(declarant_h, MANIFEST.key, "COSU6345678910/032E")
    happen(app, item["id"], ["L", "C"])
    desk_user = world.user(role="customer_service")
    return {"item": item, "manifest": manifest, "shipment": shipment, "declarant": declarant,
            "declarant_co": declarant_co, "consignee": consignee, "consignee_co": consignee_co,
            "trader": declarant_h, "desk_user": desk_user, "desk": world.login(desk_user),
            "admin": world.login(world.user(role="admin"))}


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_only_the_desk_reaches_desk_endpoints_and_every_call_is_audited(app, client, case):
    desk_ops = [(m, p) for m, p, _ in _operations(app) if p.startswith("/desk")]
    assert len(desk_ops) == 4
    with app.app_context():
        notification_id = db.session.scalar(select(OutboxMessage.notification_id).limit(1))
    ids = {"item_id": case["item"]["id"], "notification_id": notification_id}
    bodies = {"post": {"body": "caller asked about release", "reason": "ticket 95198-1"}}
    for method, path in desk_ops:
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        query = {"q": CUSTOMS.reference_example} if path.endswith("/search") else {}
        body = (bodies["post"] if path.endswith("/notes") else {"reason": "ticket 95198-1"}) \
            if method == "post" else None
        before = audit_count(app)
        assert client.open(url, method=method.upper(), json=body, query_string=query).status_code == 401
        for who in ("trader", "admin"):
            refused = client.open(url, method=method.upper(), json=body, query_string=query, headers=case[who])
            assert refused.status_code == 403, (who, method, path)
        assert audit_count(app) == before  # refusals leave no entry: nothing was shown
        ok = client.open(url, method=method.upper(), json=body, query_string=query, headers=case["desk"])
        assert ok.status_code in (200, 201, 202), (method, path, ok.json)
        assert audit_count(app) == before + 1, (method, path)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert sorted(e.action for e in entries) == ["add_note", "resend", "search", "view_case"]
        assert {e.actor_id for e in entries} == {case["desk_user"].id}


def test_the_audit_log_is_for_admins_and_filters_by_actor_action_and_target(app, client, case):
    item_id = case["item"]["id"]
    client.get("/desk/search", query_string={"q": "苏州电子", "reason": "caller 139"}, headers=case["desk"])
    client.get(f"/desk/cases/{item_id}", query_string={"reason": "ticket 7"}, headers=case["desk"])
    client.get(f"/desk/cases/{case['manifest']['id']}", headers=case["desk"])
    for who in ("trader", "desk"):
        assert client.get("/audit", headers=case[who]).status_code == 403
    everything = client.get("/audit", headers=case["admin"]).json
    assert [e["action"] for e in everything] == ["view_case", "view_case", "search"]  # newest first
    search = everything[2]
    assert search["query"] == "苏州电子" and search["reason"] == "caller 139"
    assert search["actor"]["id"] == case["desk_user"].id and search["actor"]["role"] == "customer_service"
    assert item_id in search["details"]["items"]
    viewed = client.get("/audit", query_string={"target_type": "item", "target_id": item_id},
                        headers=case["admin"]).json
    assert [(e["action"], e["reason"]) for e in viewed] == [("view_case", "ticket 7")]
    assert client.get("/audit", query_string={"action": "search"}, headers=case["admin"]).json == [search]
    page = client.get("/audit", query_string={"limit": 1, "before": everything[0]["id"]}, headers=case["admin"]).json
    assert page == [everything[1]]
    assert client.get("/audit", query_string={"actor_id": case["declarant"].id}, headers=case["admin"]).json == []
    assert client.get("/audit", query_string={"action": "delete"}, headers=case["admin"]).status_code == 422
    # Beyond BIGINT: a clear 422 naming the field, not a database overflow.
    huge = client.get("/audit", query_string={"actor_id": 2**70}, headers=case["admin"])
    assert huge.status_code == 422 and "actor_id" in huge.json["errors"]["query"]
    inbox = client.get("/me/notifications", query_string={"after": 2**70}, headers=case["trader"])
    assert inbox.status_code == 422 and "after" in inbox.json["errors"]["query"]


@pytest.mark.parametrize("query, expect", [
    (CUSTOMS.reference_example, "item"),  # the entry id
    ("３１０１２０２４１００１２３４５６７", "item"),  # typed with full-width digits
    (CUSTOMS.reference_example[:10], "item"),  # its beginning
    ("cosu6345678910", "both"),  # a B/L: the manifest "B/L/voyage" by prefix, the declaration by its shipment
    ("CSQU3054383", "item"),  # the container of its shipment
    ("苏州电子", "consignee_co"),  # part of a company's name
])
def test_search_finds_the_case_by_any_reference_or_company(client, case, query, expect):
    found = client.get("/desk/search", query_string={"q": query}, headers=case["desk"])
    assert found.status_code == 200, found.json
    ids = [i["id"] for i in found.json["items"]]
    if expect == "both":
        assert set(ids) == {case["item"]["id"], case["manifest"]["id"]}
    else:
        assert case["item"]["id"] in ids
    if expect == "consignee_co":
        assert [c["id"] for c in found.json["companies"]] == [case["consignee_co"].id]


def test_search_by_codes_and_phone(client, case):
    for q in (case["consignee_co"].uscc, case["consignee_co"].customs_code):
        body = client.get("/desk/search", query_string={"q": q}, headers=case["desk"]).json
        assert [c["id"] for c in body["companies"]] == [case["consignee_co"].id]
        assert [i["id"] for i in body["items"]] == [case["item"]["id"]]
    body = client.get("/desk/search", query_string={"q": case["consignee"].phone}, headers=case["desk"]).json
    assert [u["id"] for u in body["users"]] == [case["consignee"].id]
    assert body["users"][0]["company"]["id"] == case["consignee_co"].id
    assert [i["id"] for i in body["items"]] == [case["item"]["id"]]
    miss = client.get("/desk/search", query_string={"q": "999999999999999999"}, headers=case["desk"]).json
    assert miss == {"items": [], "companies": [], "users": [], "hints": []}


def test_a_short_beginning_of_a_reference_says_why_it_finds_nothing(client, case):
    short = CUSTOMS.reference_example[:4]
    body = client.get("/desk/search", query_string={"q": short}, headers=case["desk"]).json
    assert body["items"] == [] and body["hints"] == [
        f'a reference is found by its beginning from 6 characters on; "{short}" has 4: type more of it, '
        "or the whole reference"]
    chinese = client.get("/desk/search", query_string={"q": short},
                         headers={**case["desk"], "Accept-Language": "zh-CN"}).json
    assert chinese["hints"] == [f"按编号开头查询至少需要 6 个字符，“{short}”只有 4 个：请多输入几位，或输入完整编号"]
    # Six characters find it; a company's name of two says nothing about references.
    assert client.get("/desk/search", query_string={"q": CUSTOMS.reference_example[:6]},
                      headers=case["desk"]).json["hints"] == []
    assert client.get("/desk/search", query_string={"q": "苏州"}, headers=case["desk"]).json["hints"] == []


def test_search_and_case_refuse_bad_input_clearly(client, case):
    too_long = client.get("/desk/search", query_string={"q": "x" * 65}, headers=case["desk"])
    assert too_long.status_code == 422 and "q" in too_long.json["errors"]["query"]
    nul = client.get("/desk/search", query_string={"q": "3101\x00"}, headers=case["desk"])
    assert nul.status_code == 422 and nul.json["errors"]["query"] == {"q": ["must not contain NUL (U+0000) characters"]}
    missing = client.get("/desk/search", headers=case["desk"])
    assert missing.status_code == 422 and "q" in missing.json["errors"]["query"]
    assert client.get("/desk/cases/999999", headers=case["desk"]).status_code == 404
    empty = client.post(f"/desk/cases/{case['item']['id']}/notes", json={"body": "   "}, headers=case["desk"])
    assert empty.status_code == 422 and empty.json["errors"]["json"] == {"body": ["must not be empty"]}
    assert client.post("/desk/notifications/999999/resend", json={}, headers=case["desk"]).status_code == 404


def test_a_case_shows_parties_timeline_pushes_and_devices_with_tokens_masked(app, client, case):
    item_id = case["item"]["id"]
    client.post(f"/desk/cases/{item_id}/notes", json={"body": "called back about the inspection"},
                headers=case["desk"])
    response = client.get(f"/desk/cases/{item_id}", headers=case["desk"])
    body = response.json
    assert response.status_code == 200
    assert TOKEN not in json.dumps(body, ensure_ascii=False)
    assert body["item"]["reference"] == CUSTOMS.reference_example and body["item"]["customs_office"] == "3101"
    assert {p["role"] for p in body["item"]["parties"]} == {"declarant", "consignee"}
    assert [(e["native_code"], e["note"]) for e in body["timeline"]] == [("L", "note L"), ("C", "note C")]
    # Both milestones were told to both parties' users; the consignee's to its one phone.
    to_consignee = [n for n in body["notifications"] if n["user"]["id"] == case["consignee"].id]
    assert len(to_consignee) == 2
    push = to_consignee[0]["pushes"][0]
    assert push["state"] == "pending" and push["attempts"] == []
    assert push["device"]["token"] == TOKEN[:6] + "…" + TOKEN[-4:]
    recipients = {r["user"]["id"]: r for r in body["recipients"]}
    assert set(recipients) == {case["declarant"].id, case["consignee"].id}
    assert [d["token"] for d in recipients[case["consignee"].id]["devices"]] == [push["device"]["token"]]
    assert [n["body"] for n in body["notes"]] == ["called back about the inspection"]
    assert body["notes"][0]["author"]["id"] == case["desk_user"].id
    assert body["subscriptions"] == []


def test_the_desk_cannot_change_tracked_data(app, client, case):
    item_id = case["item"]["id"]

    def snapshot():
        with app.app_context():
            item = db.session.get(ClearanceItem, item_id)
            events = db.session.scalars(select(StatusEvent.native_code).where(StatusEvent.item_id == item_id)).all()
            return (item.current_code, item.stage, item.agency_note, item.updated_at, sorted(events),
                    sorted((p.role, p.company_id) for p in item.parties))

    before = snapshot()
    desk = case["desk"]
    attempts = [
        client.post("/clearances", json={"kind": CUSTOMS.key, "reference": "310120241009999999"}, headers=desk),
        client.post("/shipments", json={"container_no": "CSQU3054383"}, headers=desk),
        client.patch(f"/companies/{case['consignee_co'].id}", json={"name": "x"}, headers=desk),
        client.patch(f"/users/{case['consignee'].id}", json={"active": False}, headers=desk),
        client.put(f"/desk/cases/{item_id}", json={}, headers=desk),
        client.delete(f"/desk/cases/{item_id}", headers=desk),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403, 405, 405]
    client.get(f"/desk/cases/{item_id}", headers=desk)
    client.post(f"/desk/cases/{item_id}/notes", json={"body": "note"}, headers=desk)
    assert snapshot() == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseNote)) == 1


def test_resend_queues_the_same_notification_again_to_the_active_device(app, client, case):
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        message.state, message.last_error, message.attempts = "dead", "UNAVAILABLE", 8
        db.session.add(DeliveryAttempt(outbox_id=message.id, outcome="failed", error_code="UNAVAILABLE"))
        db.session.commit()
        outbox_id, notification_id = message.id, message.notification_id
    response = client.post(f"/desk/notifications/{notification_id}/resend", json={"reason": "never arrived"},
                           headers=case["desk"])
    assert response.status_code == 202, response.json
    assert response.json == {"notification_id": notification_id,
                             "queued": [{"outbox_id": outbox_id, "device_id": message.device_id, "state": "pending"}]}
    with app.app_context():
        again = db.session.get(OutboxMessage, outbox_id)
        assert (again.state, again.attempts, again.last_error) == ("pending", 0, None)
        assert again.next_attempt_at <= datetime.now(UTC)
        # The earlier attempt stays in the log.
        assert db.session.scalar(select(func.count()).where(DeliveryAttempt.outbox_id == outbox_id)) == 1


def test_resend_without_an_active_device_says_so(app, client, case, world):
    with app.app_context():
        notification_id = db.session.scalar(select(OutboxMessage.notification_id).limit(1))
    consignee_h = world.login(case["consignee"])
    device = client.get("/devices", headers=consignee_h).json[0]
    client.delete(f"/devices/{device['id']}", headers=consignee_h)
    refused = client.post(f"/desk/notifications/{notification_id}/resend", json={}, headers=case["desk"])
    assert refused.status_code == 409 and "no active device" in refused.json["message"]


def test_looking_up_a_case_that_does_not_exist_is_audited(app, client, case):
    response = client.get("/desk/cases/999999", query_string={"reason": "ticket 8"}, headers=case["desk"])
    assert response.status_code == 404
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.actor_id, entry.target_id, entry.reason, entry.details) == (
            "view_case", case["desk_user"].id, 999999, "ticket 8", {"found": False})


def test_a_case_shows_the_receipts_about_it_the_tracker_quarantined(app, client, case):
    from status_tracker.adapters.bounds import rejected
    from status_tracker.quarantine import quarantine

    item_id = case["item"]["id"]
    assert client.get(f"/desk/cases/{item_id}", headers=case["desk"]).json["rejected_receipts"] == []
    with app.app_context():
        quarantine(db.session, "gacc", [
            rejected("DEC_RESULT SEQ_NO='7': code is 40 characters, at most 16 are stored",
                     "<DEC_RESULT> SEQ_NO=7 CHANNEL=CCCC", CUSTOMS.reference_example),
            rejected("DEC_RESULT SEQ_NO='8': NOTICE_DATE '' is not a time", "<DEC_RESULT> SEQ_NO=8", "31012024OTHER"),
        ])
        db.session.commit()
    [shown] = client.get(f"/desk/cases/{item_id}", headers=case["desk"]).json["rejected_receipts"]
    assert (shown["agency"], shown["reference"], shown["times_seen"]) == ("gacc", CUSTOMS.reference_example, 1)
    assert shown["reason"].endswith("code is 40 characters, at most 16 are stored")
    assert shown["raw"] == "<DEC_RESULT> SEQ_NO=7 CHANNEL=CCCC"
