"""STA and the bank: per-item queries behind a token bucket that answers 429 with Retry-After."""

from __future__ import annotations

import httpx

from tests.agency_mocks.support import FakeRealTime, register

URL = "/sta/items/TS20240300001234/status"


def test_past_the_rate_a_429_says_when_to_come_back(mocks: httpx.Client, real_time: FakeRealTime) -> None:
    register(mocks, "sta", "export_tax_refund", "TS20240300001234")
    assert [mocks.get(URL).status_code for _ in range(2)] == [200, 200]  # the burst of 2
    refused = mocks.get(URL)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["retry_after"] == 1

    real_time.now += 0.5  # 2 per second: one token back
    assert mocks.get(URL).status_code == 200
    assert mocks.get(URL).status_code == 429


def test_each_agency_has_its_own_bucket_and_the_limit_can_be_changed(
    mocks: httpx.Client, real_time: FakeRealTime
) -> None:
    register(mocks, "sta", "export_tax_refund", "TS20240300001234")
    register(mocks, "bank", "tax_payment", "223320241000876543")
    for _ in range(2):
        mocks.get(URL)
    assert mocks.get(URL).status_code == 429
    assert mocks.get("/bank/items/223320241000876543/status").status_code == 200

    limit = mocks.post("/sta/admin/rate-limit", json={"per_second": 0.1, "burst": 1})
    assert limit.json() == {"per_second": 0.1, "burst": 1}
    assert mocks.get(URL).status_code == 200
    refused = mocks.get(URL)
    assert refused.headers["Retry-After"] == "10"

    mocks.post("/sta/admin/rate-limit", json={"per_second": None})
    assert {mocks.get(URL).status_code for _ in range(20)} == {200}


def test_an_answer_carries_the_item_status_and_an_unknown_item_is_a_404(mocks: httpx.Client) -> None:
    register(mocks, "bank", "tax_payment", "223320241000876543")
    answer = mocks.get("/bank/items/223320241000876543/status").json()
    assert (answer["kind"], answer["code"], answer["version"]) == ("tax_payment", "01", 1)
    assert answer["event_id"] == "BANK:223320241000876543:1:01"
    assert mocks.get("/bank/items/999/status").status_code == 404


def test_a_bad_limit_is_a_400(mocks: httpx.Client) -> None:
    assert mocks.post("/sta/admin/rate-limit", json={"per_second": -1}).status_code == 400
    assert mocks.post("/bank/admin/rate-limit", json={"burst": 0}).status_code == 400
