"""MOFCOM and CCPIT: statuses of up to 100 references per query."""

from __future__ import annotations

import httpx

from tests.agency_mocks.support import DAY, advance, register


def test_a_batch_answers_each_reference_in_order_and_reports_unknown_ones(mocks: httpx.Client) -> None:
    register(mocks, "mofcom", "license", "LIC202400012345")
    register(mocks, "mofcom", "service_trade", "FW20240000123456")
    advance(mocks, DAY)
    response = mocks.post("/mofcom/status/query",
                          json={"references": ["FW20240000123456", "NOPE", "LIC202400012345"]})
    assert response.status_code == 200
    body = response.json()
    assert body["agency"] == "mofcom"
    service, missing, licence = body["results"]
    assert missing == {"reference": "NOPE", "found": False}
    assert (licence["found"], licence["kind"], licence["reference"]) == (True, "license", "LIC202400012345")
    assert service["kind"] == "service_trade"
    history = licence["history"]
    assert [h["version"] for h in history] == list(range(1, len(history) + 1))
    assert history[0]["code"] == "10"
    latest = history[-1]
    assert {k: licence[k] for k in latest} == latest  # the top level is the latest receipt
    assert latest["updated_at"].endswith("+08:00")


def test_100_references_is_the_most_a_query_may_ask(mocks: httpx.Client) -> None:
    references = [f"CO2024310000{n:06d}" for n in range(101)]
    ok = mocks.post("/ccpit/status/query", json={"references": references[:100]})
    assert ok.status_code == 200
    assert len(ok.json()["results"]) == 100
    too_many = mocks.post("/ccpit/status/query", json={"references": references})
    assert too_many.status_code == 400
    assert "100" in too_many.json()["message"]


def test_a_malformed_query_is_a_400(mocks: httpx.Client) -> None:
    assert mocks.post("/ccpit/status/query", json={"refs": []}).status_code == 400
    assert mocks.post("/ccpit/status/query", json={"references": [1, 2]}).status_code == 400
    assert mocks.post("/ccpit/status/query", content=b"not json").status_code == 400


def test_an_agency_only_knows_its_own_items(mocks: httpx.Client) -> None:
    register(mocks, "mofcom", "license", "LIC202400012345")
    results = mocks.post("/ccpit/status/query", json={"references": ["LIC202400012345"]}).json()["results"]
    assert results == [{"reference": "LIC202400012345", "found": False}]
