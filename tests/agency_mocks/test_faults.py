"""Each fault shows when switched on, is gone when cleared, and replays the same way for the same settings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.agency_mocks.support import DAY, advance, read_feed, register

LICENCE = "LIC202400012345"
VESSEL = "IMO9321483/118W"


def _faults(client: httpx.Client, agency: str, **settings: object) -> None:
    response = client.post(f"/{agency}/admin/faults", json=settings)
    assert response.status_code == 200, response.text


def _clear(client: httpx.Client, agency: str) -> None:
    assert client.delete(f"/{agency}/admin/faults").status_code == 200


@pytest.fixture
def busy(mocks: httpx.Client) -> httpx.Client:
    """Items with several receipts each, in the feed and at MOFCOM and MSA."""
    for n in range(5):
        register(mocks, "gacc", "customs_declaration", f"31012024100123456{n}")
    register(mocks, "mofcom", "license", LICENCE)
    register(mocks, "msa", "transport_vehicle", VESSEL)
    advance(mocks, DAY)
    return mocks


def test_settings_are_shown_merged_and_cleared(mocks: httpx.Client) -> None:
    assert mocks.get("/gacc/admin/faults").json()["error_rate"] == 0
    _faults(mocks, "gacc", error_rate=0.5)
    _faults(mocks, "gacc", latency_ms=20)
    shown = mocks.get("/gacc/admin/faults").json()
    assert (shown["error_rate"], shown["latency_ms"]) == (0.5, 20)
    assert mocks.delete("/gacc/admin/faults").json()["error_rate"] == 0
    assert mocks.get("/mofcom/admin/faults").json()["latency_ms"] == 0  # per agency


def test_bad_settings_are_refused(mocks: httpx.Client) -> None:
    for settings in ({"error_rate": 2}, {"nonsense": 1}, {"error_status": 404}, {"latency_ms": "slow"}):
        assert mocks.post("/gacc/admin/faults", json=settings).status_code == 400, settings


def test_latency_delays_polls_but_not_admin_calls(busy: httpx.Client, sleeps: list[float]) -> None:
    _faults(busy, "mofcom", latency_ms=250)
    busy.post("/mofcom/status/query", json={"references": [LICENCE]})
    busy.get(f"/mofcom/admin/items/{LICENCE}")
    assert sleeps == [0.25]
    _clear(busy, "mofcom")
    busy.post("/mofcom/status/query", json={"references": [LICENCE]})
    assert sleeps == [0.25]


def test_a_timeout_hangs_then_answers_504(busy: httpx.Client, sleeps: list[float]) -> None:
    _faults(busy, "msa", timeout_rate=1, timeout_seconds=12)
    assert busy.get(f"/msa/vessels/{VESSEL}/status").status_code == 504
    assert sleeps == [12]
    _clear(busy, "msa")
    assert busy.get(f"/msa/vessels/{VESSEL}/status").status_code == 200


@pytest.mark.parametrize("status", [503, 500])
def test_errors_come_as_the_chosen_5xx(busy: httpx.Client, status: int) -> None:
    _faults(busy, "gacc", error_rate=1, error_status=status)
    response = busy.get("/gacc/receipts")
    assert response.status_code == status
    assert response.json()["message"] == "simulated failure"
    assert busy.get("/gacc/admin/faults").status_code == 200  # admin routes stay clean
    _clear(busy, "gacc")
    assert busy.get("/gacc/receipts").status_code == 200


def test_an_error_rate_fails_some_requests_the_same_way_each_time(busy: httpx.Client) -> None:
    def statuses() -> list[int]:
        _faults(busy, "gacc", error_rate=0.5)  # setting faults re-seeds their dice
        return [busy.get("/gacc/receipts").status_code for _ in range(40)]

    first = statuses()
    assert set(first) == {200, 503}
    assert statuses() == first


def test_malformed_bodies_are_cut_short(busy: httpx.Client) -> None:
    _faults(busy, "gacc", malformed_rate=1)
    _faults(busy, "mofcom", malformed_rate=1)
    feed = busy.get("/gacc/receipts")
    assert feed.status_code == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(feed.content)
    batch = busy.post("/mofcom/status/query", json={"references": [LICENCE]})
    with pytest.raises(json.JSONDecodeError):
        json.loads(batch.content)
    _clear(busy, "gacc")
    _clear(busy, "mofcom")
    ET.fromstring(busy.get("/gacc/receipts").content)
    busy.post("/mofcom/status/query", json={"references": [LICENCE]}).json()


def test_the_feed_repeats_receipts_including_the_one_at_the_cursor(busy: httpx.Client) -> None:
    _, clean = read_feed(busy, after=2, limit=5)
    _faults(busy, "gacc", duplicate_rate=1)
    head, repeated = read_feed(busy, after=2, limit=5)
    seqs = [int(r["SEQ_NO"]) for r in repeated]
    assert seqs[0] == 2  # redelivered: the client already had it
    assert sorted(set(seqs) - {2}) == [int(r["SEQ_NO"]) for r in clean]
    assert len(seqs) > len(set(seqs))
    assert head["NEXT_SEQ"] == "7"  # the cursor is not confused by the repeats
    _clear(busy, "gacc")
    assert read_feed(busy, after=2, limit=5)[1] == clean


def test_batch_and_per_item_answers_repeat_entries(busy: httpx.Client) -> None:
    _faults(busy, "mofcom", duplicate_rate=1)
    _faults(busy, "msa", duplicate_rate=1)
    results = busy.post("/mofcom/status/query", json={"references": [LICENCE]}).json()["results"]
    assert [r["reference"] for r in results] == [LICENCE, LICENCE]
    history = busy.get(f"/msa/vessels/{VESSEL}/status").json()["history"]
    ids = [h["event_id"] for h in history]
    assert len(ids) > len(set(ids))
    _clear(busy, "msa")
    ids = [h["event_id"] for h in busy.get(f"/msa/vessels/{VESSEL}/status").json()["history"]]
    assert len(ids) == len(set(ids))


def test_the_feed_serves_a_page_out_of_order(busy: httpx.Client) -> None:
    _faults(busy, "gacc", out_of_order_rate=1)
    head, shuffled = read_feed(busy, limit=10)
    seqs = [int(r["SEQ_NO"]) for r in shuffled]
    assert seqs != sorted(seqs) and sorted(seqs) == list(range(1, 11))
    assert head["NEXT_SEQ"] == "10"
    _clear(busy, "gacc")
    assert [int(r["SEQ_NO"]) for r in read_feed(busy, limit=10)[1]] == list(range(1, 11))


def test_per_item_answers_go_stale_an_older_status_after_a_newer_one(busy: httpx.Client) -> None:
    fresh = busy.get(f"/msa/vessels/{VESSEL}/status")
    latest = fresh.json()["version"]
    assert latest > 1
    _faults(busy, "msa", out_of_order_rate=1)
    stale = busy.get(f"/msa/vessels/{VESSEL}/status", headers={"If-None-Match": fresh.headers["ETag"]})
    assert stale.status_code == 200
    assert stale.json()["version"] < latest
    assert stale.headers["ETag"] == f'"v{stale.json()["version"]}"'
    assert stale.json()["history"][-1]["version"] == stale.json()["version"]
    _clear(busy, "msa")
    assert busy.get(f"/msa/vessels/{VESSEL}/status").json()["version"] == latest


def test_oversize_pads_answers_with_whitespace_that_keeps_them_valid(busy: httpx.Client) -> None:
    _faults(busy, "mofcom", oversize_bytes=3 * 65536 + 17)
    response = busy.post("/mofcom/status/query", json={"references": [LICENCE]})
    assert len(response.content) == 3 * 65536 + 17 and "Content-Length" not in response.headers
    assert json.loads(response.content)["results"][0]["reference"] == LICENCE
    _faults(busy, "gacc", oversize_bytes=100_000)
    head, receipts = read_feed(busy, 0, 10)  # parses as XML, padding and all
    assert head and receipts
    _clear(busy, "mofcom")
    assert len(busy.post("/mofcom/status/query", json={"references": [LICENCE]}).content) < 65536


def test_trickle_sends_answers_a_few_bytes_at_a_time(busy: httpx.Client, sleeps: list[float]) -> None:
    _faults(busy, "msa", trickle_bytes_per_second=50)
    response = busy.get(f"/msa/vessels/{VESSEL}/status")
    assert json.loads(response.content)["reference"] == VESSEL
    assert len(sleeps) == -(-len(response.content) // 5) and set(sleeps) == {0.1}  # 5 bytes every 0.1 s
    assert mocks_refuse(busy, {"trickle_bytes_per_second": -1}) and mocks_refuse(busy, {"oversize_bytes": "big"})


def mocks_refuse(client: httpx.Client, settings: dict[str, object]) -> bool:
    return client.post("/gacc/admin/faults", json=settings).status_code == 400
