from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from agency_mocks.clock import SimClock
from tests.agency_mocks.support import START, FakeRealTime, advance, item, register


def test_simulated_time_is_derived_from_real_time_times_speed() -> None:
    real = FakeRealTime()
    clock = SimClock(START, speed=60, real=real)
    real.now += 10
    assert clock.now() == 600
    clock.set_speed(600)  # only the future runs faster
    assert clock.now() == 600
    real.now += 1
    assert clock.now() == 1200
    clock.advance(30)
    assert clock.now() == 1230
    assert clock.to_datetime(3600).isoformat() == "2024-06-03T09:00:00+08:00"


def test_the_clock_never_goes_back() -> None:
    clock = SimClock(START, speed=0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set_speed(-2)


def test_speed_changes_through_the_admin_endpoint_apply_from_then_on(
    mocks: httpx.Client, real_time: FakeRealTime
) -> None:
    assert mocks.get("/admin/clock").json()["speed"] == 0
    mocks.post("/admin/clock", json={"speed": 60})
    real_time.now += 10
    assert mocks.get("/admin/clock").json()["elapsed_seconds"] == 600
    state = mocks.post("/admin/clock", json={"speed": 600, "advance_seconds": 60}).json()
    assert state["elapsed_seconds"] == 660
    real_time.now += 1
    assert mocks.get("/admin/clock").json() == {
        "start": "2024-06-03T08:00:00+08:00", "now": "2024-06-03T08:21:00+08:00",
        "elapsed_seconds": 1260, "speed": 600.0,
    }


def test_bad_clock_changes_are_refused(mocks: httpx.Client) -> None:
    assert mocks.post("/admin/clock", json={"advance_seconds": -5}).status_code == 400
    assert mocks.post("/admin/clock", json={"speed": "fast"}).status_code == 400


def test_a_step_happens_when_its_time_comes_and_carries_its_planned_time(mocks: httpx.Client) -> None:
    registered = register(mocks, "gacc", "customs_declaration", "310120241001234567")
    next_step = registered["upcoming"][0]
    due = next_step["at"]
    seconds_until_due = (datetime.fromisoformat(due) - START).total_seconds()

    advance(mocks, seconds_until_due - 1)
    assert len(item(mocks, "gacc", "310120241001234567")["status"]["history"]) == 1

    advance(mocks, 3600)  # polled long after it happened: the receipt still says when it happened
    history = item(mocks, "gacc", "310120241001234567")["status"]["history"]
    assert history[1]["code"] == next_step["code"]
    assert history[1]["updated_at"] == due

