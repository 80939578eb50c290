"""/metrics counts every request by route (not by raw path), with its latency; one charset in its Content-Type;
no Retry-After on a successful login."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD


def _samples(text: str, name: str) -> dict[str, float]:
    return {labels: float(value) for labels, value in re.findall(rf"^{name}\{{([^}}]*)\}} (\S+)$", text, re.M)}


def test_requests_are_counted_by_route_with_their_latency_and_bounded_labels(world, client):
    user = world.user(world.company())
    headers = world.login(user)
    for item_id in (1, 2, 999_999):  # three paths, one route
        client.get(f"/clearances/{item_id}", headers=headers)
    client.get("/no/such/path/8f3a1c")
    text = client.get("/metrics").get_data(as_text=True)
    requests = _samples(text, "swm_http_requests_total")
    route = 'endpoint="/clearances/<id:item_id>",method="GET",status="404"'
    assert requests[route] >= 3
    assert not any("999999" in labels or "8f3a1c" in labels for labels in requests)
    assert any('endpoint="<unmatched>"' in labels for labels in requests)
    latency = _samples(text, "swm_http_request_duration_seconds_count")
    assert latency['endpoint="/clearances/<id:item_id>",method="GET"'] >= 3


def test_the_metrics_content_type_names_its_charset_once(client):
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type.count("charset") == 1, content_type


def test_a_successful_login_carries_no_retry_after(world, client):
    user = world.user(world.company())
    response = client.post("/auth/login", json={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 200 and "Retry-After" not in response.headers
    for _ in range(6):
        refused = client.post("/auth/login", json={"phone": user.phone, "password": "wrong-guess"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
