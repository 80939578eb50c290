"""The administrator's import (all rows or none, per-row reasons, idempotent) and the pushes a followed price
change produces (exactly one per follower, to followers only, old and new price in both languages)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from sqlalchemy import func, select

from app.web.extensions import db
from notifications.dispatcher import claim
from notifications.models import Device, Notification, NotificationSettings, OutboxMessage
from port_charges.models import ChargeAudit, ChargingEnterprise, FeeVersion

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "api_spec" / "push_payload.schema.json").read_text())

HEADER = "port,enterprise,enterprise_en,enterprise_kind,code,name_zh,name_en,category,unit,price,currency,basis," \
         "effective_from\n"
CSV = HEADER + (
    "2248,洋山一期码头,Yangshan Phase I Terminal,terminal,THC-20,码头作业费（20尺箱）,"
    "\"Terminal handling, 20' container\",terminal_handling,teu,560.00,CNY,交通运输部令,2026-01-01\n"
    "2248,洋山一期码头,Yangshan Phase I Terminal,terminal,THC-40,码头作业费（40尺箱）,"
    "\"Terminal handling, 40' container\",terminal_handling,feu,850.00,CNY,交通运输部令,2026-01-01\n"
    "2248,上港外运,SIPG Logistics,forwarder,DOC,单证费,Documentation fee,documentation,ticket,50,CNY,,2026-01-01\n"
)


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(FeeVersion)),
                db.session.scalar(select(func.count()).select_from(ChargingEnterprise)),
                db.session.scalar(select(func.count()).select_from(ChargeAudit)))


def test_an_import_with_bad_rows_is_refused_whole_with_each_rows_reasons(client, harbour):
    before = _counts(harbour.world.app)
    bad = CSV + "9999,某码头,,terminal,THC-40,码头作业费,THC,terminal_handling,feu,1.005,CNY,,2026-01-01\n" \
                "2248,冠东码头,,terminal,THC-40,码头作业费,THC,terminal_handling,barrel,900,CNY,,2026-02-30\n"
    response = client.post("/port-charges/imports", json={"csv": bad}, headers=harbour.admin)
    assert response.status_code == 422, response.json
    rows = response.json["errors"]["json"]["rows"]
    assert set(rows) == {"4", "5"}  # data rows, counted from 1
    assert set(rows["4"]) == {"port", "price"}
    assert set(rows["5"]) == {"unit", "effective_from"}
    assert _counts(harbour.world.app) == before  # nothing half-written, not even the new enterprise


def test_an_import_is_taken_whole_and_repeating_it_changes_nothing(client, harbour):
    first = client.post("/port-charges/imports", json={"csv": CSV}, headers=harbour.admin)
    assert first.status_code == 200, first.json
    assert first.json == {"rows": 3, "enterprises_created": 1, "created": 3, "changed": 0, "unchanged": 0,
                          "pushes": 0}
    after = _counts(harbour.world.app)
    again = client.post("/port-charges/imports", json={"csv": CSV}, headers=harbour.admin)
    assert again.json == {"rows": 3, "enterprises_created": 0, "created": 0, "changed": 0, "unchanged": 3,
                          "pushes": 0}
    assert _counts(harbour.world.app) == after
    rows = [{"port": "2248", "enterprise": "上港外运", "code": "DOC", "name_zh": "单证费",
             "name_en": "Documentation fee", "category": "documentation", "unit": "ticket", "price": "55.00",
             "effective_from": "2026-07-01"}]
    changed = client.post("/port-charges/imports", json={"rows": rows}, headers=harbour.admin)
    assert changed.json["changed"] == 1
    _, trader = harbour.world.trader()
    assert client.post("/port-charges/imports", json={"rows": rows}, headers=trader).status_code == 403
    assert client.post("/port-charges/imports", json={"csv": CSV, "rows": rows},
                       headers=harbour.admin).status_code == 422
    unknown = client.post("/port-charges/imports", json={"csv": "port,colour\n2248,red\n"}, headers=harbour.admin)
    assert unknown.json["errors"]["json"] == {"csv": ["unknown column 'colour'; the columns are port, enterprise, "
                                                      "enterprise_en, enterprise_kind, code, name_zh, name_en, "
                                                      "category, unit, price, currency, basis, effective_from, "
                                                      "effective_to"]}


def test_a_followed_price_change_is_one_push_to_each_follower_and_no_one_else(client, harbour, sessions):
    world = harbour.world
    harbour.publish(0, harbour.entry(price="850.00"), harbour.entry(code="THC-20", price="560.00"))
    harbour.publish(1, harbour.entry(price="900.00"))
    port, terminal, other = harbour.port.id, harbour.enterprises[0].id, harbour.enterprises[1].id
    people, signed_in = {}, {}
    for name, locale, follows in (
        ("enterprise", "zh-CN", [{"enterprise_id": terminal}]),
        ("item", "en", [{"port_id": port, "code": "THC-40"}]),
        ("both", "zh-CN", [{"enterprise_id": terminal}, {"port_id": port, "code": "THC-40"}]),
        ("elsewhere", "zh-CN", [{"enterprise_id": other}, {"port_id": port, "code": "THC-20"}]),
        ("nobody", "zh-CN", []),
    ):
        user = world.user(world.company(), locale=locale)
        headers = world.login(user)
        assert client.post("/devices", json={"token": f"phone-{name}", "platform": "android"},
                           headers=headers).status_code == 201
        for follow in follows:
            response = client.post("/port-charges/follows", json=follow, headers=headers)
            assert response.status_code == 201, response.json
        people[name], signed_in[name] = user.id, headers
    again = client.post("/port-charges/follows", json={"enterprise_id": terminal}, headers=signed_in["both"])
    assert again.status_code == 200  # following twice is one follow

    changed = harbour.publish(0, harbour.entry(price="880.00", effective_from="2026-05-01"))
    assert changed.json["pushes"] == 3  # enterprise, item, both (once)

    with sessions() as session:
        told = session.execute(select(Notification.user_id, Notification.title, Notification.body,
                                      Notification.topic)).all()
        by_user = {row.user_id: row for row in told}
        assert len(told) == 3 and people["elsewhere"] not in by_user and people["nobody"] not in by_user
        assert {people["enterprise"], people["item"], people["both"]} == set(by_user)
        zh, en = by_user[people["both"]], by_user[people["item"]]
        assert zh.title == "收费变更：码头作业费（40尺箱）（洋山一期码头）"
        assert "CNY 850.00 → CNY 880.00" in zh.body and "2026-05-01" in zh.body
        assert en.title == "Charge changed: Terminal handling charge, 40' container (Yangshan Phase I Terminal)"
        assert en.body == "Shanghai Yangshan · CNY 850.00 → CNY 880.00 per FEU, from 2026-05-01"
        assert zh.topic == f"charge-{terminal}-THC-40"
        outbox = session.scalars(select(OutboxMessage)).all()
        assert len(outbox) == 3 and {m.state for m in outbox} == {"pending"}

    # A change that is no price change (the same price republished, a new item) tells no one.
    assert harbour.publish(0, harbour.entry(price="880.00", effective_from="2026-05-01")).json["pushes"] == 0
    assert harbour.publish(0, harbour.entry(code="DOC", price="50")).json["pushes"] == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3

    # What the dispatcher sends is a valid push: a notice, collapsed by its fee item.
    claimed = claim(sessions, "test", limit=10)
    assert len(claimed) == 3
    for row in claimed:
        message = row.message()
        jsonschema.validate(message, SCHEMA)
        assert message["android"]["collapse_key"] == f"charge-{terminal}-THC-40"
        assert message["data"]["old_price"] == "850.00" and message["data"]["new_price"] == "880.00"
        assert message["data"]["deep_link"] == f"swm://port-charges/enterprises/{terminal}"


def test_a_price_change_waits_for_the_end_of_quiet_hours(client, harbour, sessions):
    harbour.publish(0, harbour.entry(price="850.00"))
    user = harbour.world.user(harbour.world.company())
    headers = harbour.world.login(user)
    client.post("/devices", json={"token": "phone-quiet", "platform": "android"}, headers=headers)
    client.post("/port-charges/follows", json={"enterprise_id": harbour.enterprises[0].id}, headers=headers)
    # Quiet all day but one minute: whenever the test runs, it is (almost surely) inside them.
    with sessions.begin() as session:
        session.add(NotificationSettings(user_id=user.id, quiet_start="00:00", quiet_end="23:59"))
    harbour.publish(0, harbour.entry(price="860.00", effective_from="2026-05-01"))
    with sessions() as session:
        states = session.scalars(select(OutboxMessage.state)).all()
        assert states in (["held"], ["pending"])  # pending only in the one minute of the day that is not quiet
        assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_follows_are_my_own(client, harbour):
    harbour.publish(0, harbour.entry())
    _, mine = harbour.world.trader()
    _, theirs = harbour.world.trader()
    follow = client.post("/port-charges/follows", json={"port_id": harbour.port.id, "code": "THC-40"},
                         headers=mine).json
    assert client.get("/port-charges/follows", headers=theirs).json == []
    assert client.delete(f"/port-charges/follows/{follow['id']}", headers=theirs).status_code == 404
    assert client.delete(f"/port-charges/follows/{follow['id']}", headers=mine).status_code == 204
    nothing = client.post("/port-charges/follows", json={"port_id": harbour.port.id, "code": "NOPE"}, headers=mine)
    assert nothing.status_code == 422
    assert nothing.json["errors"]["json"] == {"code": ["no enterprise of this port lists this fee item"]}
    both = client.post("/port-charges/follows", json={"enterprise_id": 1, "code": "THC-40"}, headers=mine)
    assert both.status_code == 422
