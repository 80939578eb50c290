"""The bundle of live objects one mocks app owns (clock, simulation, faults, rate limits) and its accessor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from agency_mocks.clock import SimClock
from agency_mocks.faults import Faults
from agency_mocks.ratelimit import TokenBucket
from agency_mocks.simulation import Simulation

EXTENSION_KEY = "agency_mocks"


@dataclass
class MockState:
    seed: int
    clock: SimClock
    simulation: Simulation
    faults: dict[str, Faults]
    limits: dict[str, TokenBucket]  # only the rate-limited agencies have one
    feed_id: str  # changes whenever the process (and so the in-memory feed) starts afresh
    sleep: Callable[[float], None]


def mock_state() -> MockState:
    return current_app.extensions[EXTENSION_KEY]
