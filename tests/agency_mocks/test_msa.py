"""MSA: one vessel per request, with an ETag so that an unchanged status costs a 304."""

from __future__ import annotations

import httpx

from tests.agency_mocks.support import DAY, advance, register

VESSEL = "IMO9321483/118W"
URL = f"/msa/vessels/{VESSEL}/status"


def test_an_unchanged_status_is_a_304_and_a_changed_one_a_200_with_a_new_etag(mocks: httpx.Client) -> None:
    register(mocks, "msa", "transport_vehicle", VESSEL)
    first = mocks.get(URL)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag == '"v1"' and first.json()["version"] == 1

    unchanged = mocks.get(URL, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag

    advance(mocks, DAY)
    changed = mocks.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.headers["ETag"] == f'"v{changed.json()["version"]}"'
    assert changed.json()["reference"] == VESSEL


def test_an_unknown_vessel_is_a_404(mocks: httpx.Client) -> None:
    response = mocks.get("/msa/vessels/IMO0000000/1/status")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
