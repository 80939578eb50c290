"""Same seed, same story: each item's codes and their timings depend only on seed, kind and reference."""

from __future__ import annotations

from datetime import datetime

import httpx
from flask import Flask

from agency_mocks import create_app
from agency_mocks.clock import SimClock
from agency_mocks.lifecycles import LIFECYCLES
from tests.agency_mocks.support import DAY, START, advance, item, register

REFERENCES = [f"3101202410{n:08d}" for n in range(30)]


def _client(seed: int) -> httpx.Client:
    app: Flask = create_app({"seed": seed, "clock": SimClock(START, speed=0)})
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://mocks")


def _stories(client: httpx.Client, references: list[str]) -> dict[str, list[tuple[str, float]]]:
    """Each item's codes with their times relative to its registration."""
    stories = {}
    for reference in references:
        shown = item(client, "gacc", reference)
        registered = datetime.fromisoformat(shown["registered_at"])
        stories[reference] = [
            (r["code"], (datetime.fromisoformat(r["updated_at"]) - registered).total_seconds())
            for r in shown["status"]["history"]
        ]
    return stories


def _play(seed: int, references: list[str], head_start: float = 0) -> dict[str, list[tuple[str, float]]]:
    with _client(seed) as client:
        advance(client, head_start)
        for reference in references:
            register(client, "gacc", "customs_declaration", reference)
        advance(client, 3 * DAY)
        return _stories(client, references)


def test_the_same_seed_tells_the_same_story_whatever_the_order_and_moment_of_registration() -> None:
    first = _play(42, REFERENCES)
    again = _play(42, list(reversed(REFERENCES)), head_start=5000)
    assert again == first


def test_another_seed_tells_another_story() -> None:
    assert _play(7, REFERENCES) != _play(42, REFERENCES)


def test_stories_vary_between_items_and_follow_the_lifecycle_paths() -> None:
    stories = _play(42, REFERENCES)
    paths = {tuple(step.code for step in path.steps) for path in LIFECYCLES["customs_declaration"].paths}
    assert {tuple(code for code, _ in story) for story in stories.values()} <= paths
    assert len({tuple(code for code, _ in story) for story in stories.values()}) > 1
    for story in stories.values():
        offsets = [offset for _, offset in story]
        assert offsets[0] == 0 and offsets == sorted(offsets)


def test_the_whole_feed_replays_identically_for_the_same_seed_and_operations() -> None:
    def feed(seed: int) -> bytes:
        with _client(seed) as client:
            for n, kind in enumerate(k for k, lc in LIFECYCLES.items() if lc.agency == "gacc"):
                register(client, "gacc", kind, f"REF{n:04d}")
                advance(client, 600)
            advance(client, DAY)
            body = client.get("/gacc/receipts", params={"limit": 1000}).content
            return b"".join(line for line in body.splitlines() if b"FEED_ID" not in line)

    assert feed(42) == feed(42)


def test_a_registered_item_starts_at_its_first_code_with_a_plan_for_the_rest(mocks: httpx.Client) -> None:
    agent = {"role": "agent", "uscc": "91310115MA1H7X2K3X", "name": "ACME"}
    shown = register(mocks, "msa", "transport_vehicle", "IMO9321483/118W", parties=[agent])
    assert shown["status"]["code"] == "01"
    assert shown["status"]["version"] == 1
    assert shown["parties"] == [agent]
    assert shown["scripted"] is True
    assert [step["at"] for step in shown["upcoming"]] == sorted(step["at"] for step in shown["upcoming"])
