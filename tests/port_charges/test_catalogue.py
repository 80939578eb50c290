"""Catalogues as versions: a price on a past date, the history, publishing only one's own, comparison, search,
keyset pages and ETags."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.web.extensions import db
from port_charges.models import ChargeAudit, FeeVersion


def test_a_new_price_keeps_the_old_one_queryable_at_a_past_date(client, harbour):
    assert harbour.publish(0, harbour.entry(price="850.00", effective_from="2026-01-01")).status_code == 200
    changed = harbour.publish(0, harbour.entry(price="920.50", effective_from="2026-03-15"))
    assert changed.status_code == 200, changed.json
    assert [v["price"] for v in changed.json["changed"]] == ["920.50"]
    _, headers = harbour.world.trader()  # any signed-in user, party to nothing
    url = f"/port-charges/enterprises/{harbour.enterprises[0].id}/catalogue"

    def price_on(day: str) -> list[str]:
        response = client.get(f"{url}?on={day}", headers=headers)
        assert response.status_code == 200, response.json
        return [item["price"] for item in response.json["items"]]

    assert price_on("2025-12-31") == []
    assert price_on("2026-03-01") == ["850.00"]  # "what did this terminal charge on 1 March?"
    assert price_on("2026-03-14") == ["850.00"]
    assert price_on("2026-03-15") == ["920.50"]
    history = client.get(f"/port-charges/enterprises/{harbour.enterprises[0].id}/history", headers=headers).json
    assert [(v["price"], v["effective_from"], v["effective_to"]) for v in history["items"]] == [
        ("920.50", "2026-03-15", None), ("850.00", "2026-01-01", "2026-03-15")]
    with harbour.world.app.app_context():
        audit = db.session.scalars(select(ChargeAudit).where(ChargeAudit.action == "publish")
                                   .order_by(ChargeAudit.id)).all()
        assert [(a.actor_id, a.details["before"] and a.details["before"]["price"], a.details["after"]["price"])
                for a in audit] == [(harbour.publishers[0].id, None, "850.00"),
                                    (harbour.publishers[0].id, "850.00", "920.50")]


def test_a_published_version_is_never_rewritten_and_republishing_changes_nothing(client, harbour):
    harbour.publish(0, harbour.entry(price="850.00", effective_from="2026-03-01"))
    again = harbour.publish(0, harbour.entry(price="850.00", effective_from="2026-03-01"))
    assert again.status_code == 200 and again.json["unchanged"] == 1 and again.json["changed"] == []
    earlier = harbour.publish(0, harbour.entry(price="700.00", effective_from="2026-02-01"))
    assert earlier.status_code == 422
    assert "2026-03-01" in earlier.json["errors"]["json"]["entries"]["0"]["effective_from"][0]
    with harbour.world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeeVersion)) == 1


def test_bad_entries_are_refused_by_field(client, harbour):
    for entry, field in ((harbour.entry(price="850.001"), "price"), (harbour.entry(price="-1"), "price"),
                         (harbour.entry(code="thc 40"), "code"), (harbour.entry(unit="barrel"), "unit"),
                         (harbour.entry(effective_from="2026-13-01"), "effective_from"),
                         (harbour.entry(effective_to="2025-01-01"), "effective_to")):
        response = harbour.publish(0, entry)
        assert response.status_code == 422, (field, response.json)
        assert field in str(response.json["errors"]), (field, response.json)


def test_a_port_enterprise_publishes_only_its_own_catalogue(client, harbour):
    mine = harbour.publish(0, harbour.entry())
    assert mine.status_code == 200
    theirs = harbour.publish(1, harbour.entry(), headers=harbour.signed_in[0])
    assert theirs.status_code == 403
    assert theirs.json["message"] == "a port enterprise may publish only its own catalogue"
    _, trader = harbour.world.trader()
    assert harbour.publish(1, harbour.entry(), headers=trader).status_code == 403
    assert harbour.publish(1, harbour.entry(), headers=harbour.admin).status_code == 200  # an administrator may
    with harbour.world.app.app_context():
        assert {v.enterprise_id for v in db.session.scalars(select(FeeVersion))} == {
            harbour.enterprises[0].id, harbour.enterprises[1].id}


def test_the_comparison_is_cheapest_first_with_min_median_max(client, harbour):
    # Two enterprises published in an order that is not the price order; a third one later, cheapest.
    harbour.publish(0, harbour.entry(price="980.00"))
    harbour.publish(1, harbour.entry(price="850.00"))
    harbour.publish(1, harbour.entry(code="THC-20", price="600.00"))
    _, headers = harbour.world.trader()
    url = f"/port-charges/ports/{harbour.port.id}/compare?code=THC-40&on=2026-06-01"
    two = client.get(url, headers=headers).json
    assert [i["price"] for i in two["items"]] == ["850.00", "980.00"]
    assert two["spread"] == [{"currency": "CNY", "count": 2, "min": "850.00", "median": "915.00", "max": "980.00"}]
    harbour.publish(2, harbour.entry(price="799.99"))
    first = client.get(f"{url}&limit=2", headers=headers).json
    assert [(i["enterprise_id"], i["price"]) for i in first["items"]] == [
        (harbour.enterprises[2].id, "799.99"), (harbour.enterprises[1].id, "850.00")]
    assert first["spread"] == [{"currency": "CNY", "count": 3, "min": "799.99", "median": "850.00",
                                "max": "980.00"}]
    rest = client.get(f"{url}&limit=2&cursor={first['next_cursor']}", headers=headers).json
    assert [i["price"] for i in rest["items"]] == ["980.00"] and rest["next_cursor"] is None
    items = client.get(f"/port-charges/ports/{harbour.port.id}/fee-items?on=2026-06-01", headers=headers).json
    assert [(i["code"], i["enterprises"]) for i in items["items"]] == [("THC-20", 1), ("THC-40", 3)]
    before = client.get(url.replace("2026-06-01", "2025-06-01"), headers=headers).json
    assert before["items"] == [] and before["spread"] == []


def test_search_by_chinese_or_english_name(client, harbour):
    harbour.publish(0, harbour.entry(), harbour.entry(code="DOC", name_zh="单证费", name_en="Documentation fee",
                                                      category="documentation", unit="ticket", price="50"))
    _, headers = harbour.world.trader()
    zh = client.get("/port-charges/search", query_string={"q": "单证", "on": "2026-02-01"}, headers=headers).json
    en = client.get("/port-charges/search", query_string={"q": "TERMINAL handling", "on": "2026-02-01"},
                    headers=headers).json
    assert [i["code"] for i in zh["items"]] == ["DOC"]
    assert [i["code"] for i in en["items"]] == ["THC-40"]
    assert en["items"][0]["enterprise_name_en"] == "Yangshan Phase I Terminal"
    none = client.get("/port-charges/search", query_string={"q": "100%", "on": "2026-02-01"}, headers=headers)
    assert none.json["items"] == []


def test_lists_are_keyset_pages_and_answer_304_when_unchanged(client, harbour):
    _, headers = harbour.world.trader()
    url = f"/port-charges/ports/{harbour.port.id}/enterprises"
    first = client.get(f"{url}?limit=2", headers=headers)
    assert [e["name_zh"] for e in first.json["items"]] == ["洋山一期码头", "洋山四期码头"]
    rest = client.get(f"{url}?limit=2&cursor={first.json['next_cursor']}", headers=headers).json
    assert [e["name_zh"] for e in rest["items"]] == ["冠东码头"] and rest["next_cursor"] is None
    assert client.get(f"{url}?cursor=not-a-cursor", headers=headers).json["errors"] == {
        "query": {"cursor": ["not a cursor returned by this API"]}}

    catalogue = f"/port-charges/enterprises/{harbour.enterprises[0].id}/catalogue?on=2026-05-01"
    harbour.publish(0, harbour.entry())
    answer = client.get(catalogue, headers=headers)
    assert answer.status_code == 200 and answer.headers["ETag"]
    again = client.get(catalogue, headers={**headers, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    harbour.publish(0, harbour.entry(price="860.00", effective_from="2026-04-01"))
    changed = client.get(catalogue, headers={**headers, "If-None-Match": answer.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["items"][0]["price"] == "860.00"


def test_prices_are_decimal_never_float(client, harbour):
    # A JSON number is read by its digits: 0.1 + 0.2 stays 0.30 when published as 0.3.
    response = harbour.publish(0, harbour.entry(price=0.3))
    assert response.status_code == 200, response.json
    with harbour.world.app.app_context():
        version = db.session.scalar(select(FeeVersion))
        assert version.price_cents == 30 and version.price == Decimal("0.30")
