"""Registering items with an agency, and the app-wide health and lifecycle routes."""

from __future__ import annotations

import httpx

from tests.agency_mocks.support import register


def test_registering_twice_is_harmless_but_under_another_kind_is_a_conflict(mocks: httpx.Client) -> None:
    first = mocks.post("/gacc/admin/items", json={"kind": "transit", "reference": "2233202400004567"})
    again = mocks.post("/gacc/admin/items", json={"kind": "transit", "reference": "2233202400004567"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"]["version"] == 1
    clash = mocks.post("/gacc/admin/items", json={"kind": "manifest", "reference": "2233202400004567"})
    assert clash.status_code == 409


def test_an_agency_accepts_only_its_own_kinds_and_sane_references(mocks: httpx.Client) -> None:
    assert mocks.post("/gacc/admin/items", json={"kind": "license", "reference": "X1"}).status_code == 400
    assert mocks.post("/gacc/admin/items", json={"kind": "nope", "reference": "X1"}).status_code == 400
    for reference in ("", " X1", "X" * 65, 42):
        response = mocks.post("/gacc/admin/items", json={"kind": "transit", "reference": reference})
        assert response.status_code == 400, reference


def test_many_items_register_in_one_request_all_or_none(mocks: httpx.Client) -> None:
    items = [{"kind": "license", "reference": f"LIC2024000{n:05d}"} for n in range(50)]
    response = mocks.post("/mofcom/admin/items", json={"items": items})
    assert (response.status_code, response.json()) == (201, {"registered": 50, "already_registered": 0})

    bad = mocks.post("/mofcom/admin/items", json={"items": [
        {"kind": "license", "reference": "LIC999"}, {"kind": "transit", "reference": "T1"},
    ]})
    assert bad.status_code == 400
    assert mocks.get("/mofcom/admin/items/LIC999").status_code == 404


def test_health_counts_items_and_receipts_per_agency(mocks: httpx.Client) -> None:
    register(mocks, "sta", "export_tax_refund", "TS20240300001234")
    health = mocks.get("/health").json()
    assert health["status"] == "ok"
    assert health["seed"] == 42
    assert health["agencies"]["sta"] == {"items": 1, "receipts": 1}
    assert health["clock"]["speed"] == 0


def test_the_lifecycles_are_published_as_data(mocks: httpx.Client) -> None:
    lifecycles = mocks.get("/admin/lifecycles").json()
    assert len(lifecycles) == 14
    assert lifecycles["customs_declaration"]["codes"]["P"] == "海关已放行"
    assert lifecycles["transit"]["paths"][0]["steps"][0] == {"code": "01", "dwell_minutes": [0.0, 0.0]}


def test_errors_are_json(mocks: httpx.Client) -> None:
    response = mocks.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
